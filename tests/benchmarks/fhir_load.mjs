// Posts COUNT fresh transaction Bundles, equivalent to the plugin's, to a running test
// FHIR server and prints the rate: the baselines for the plugin's drain.
//
//   node fhir_load.mjs --client keep-alive --port-file PATH --ca PEM --count N --patients K
//                      [--connections C]
//     the server's ceiling: C keep-alive connections, each posting its share one
//     request after another; the Bundles are serialized before the clock starts.
//   node fhir_load.mjs --client fhir-kit --port-file PATH --ca PEM --count N --patients K
//     a typical integration script: the fhir-kit-client package, one transaction after
//     another, as its README shows. Trusts the test CA through NODE_EXTRA_CA_CERTS,
//     which this script sets for a child copy of itself (native fetch reads it at start).
//
// Last line: `figures {"client", "connections", "count", "seconds", "per_second"}`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { connect } from '../fhir-server/client.mjs';
import { bundleFactory, checkCreated } from './bundles.mjs';

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    'port-file': { type: 'string' },
    ca: { type: 'string' },
    count: { type: 'string' },
    patients: { type: 'string', default: '1' },
    connections: { type: 'string', default: '1' },
  },
});
const count = Number(values.count);
const patients = Number(values.patients);
const connections = Number(values.connections);
if (!['keep-alive', 'fhir-kit'].includes(values.client) || !values['port-file'] || !values.ca ||
    !(count > 0) || !(patients > 0) || !(connections > 0)) {
  console.error('usage: node fhir_load.mjs --client keep-alive|fhir-kit --port-file PATH --ca PEM ' +
    '--count N --patients K [--connections C]');
  process.exit(2);
}
const requestTimeoutMs = 30_000;
const make = bundleFactory({ patients });
const report = (seconds) => {
  const how = values.client === 'fhir-kit' ? 'with fhir-kit-client, one after another'
    : `over ${connections} keep-alive connection${connections === 1 ? '' : 's'}`;
  console.log(`${count} transactions ${how}: ${seconds.toFixed(2)} s, ${(count / seconds).toFixed(1)} per second`);
  console.log(`figures ${JSON.stringify({
    client: values.client, connections, count, seconds: Number(seconds.toFixed(3)),
    per_second: Number((count / seconds).toFixed(2)),
  })}`);
};

async function keepAlive() {
  const server = connect({ portFile: values['port-file'], caFile: values.ca });
  const bodies = Array.from({ length: count }, (_, index) => JSON.stringify(make(index)));
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const answer = await Promise.race([
        server.request('POST', '', { rawBody: body, headers: { Prefer: 'return=minimal' } }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 30 s')), requestTimeoutMs).unref()),
      ]);
      if (answer.status !== 200) throw new Error(`transaction failed: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
      checkCreated(answer.body, 2);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  report((performance.now() - started) / 1000);
  server.close();
}

async function fhirKit() {
  const { Client } = await import('fhir-kit-client');
  const port = fs.readFileSync(values['port-file'], 'utf8').trim();
  const client = new Client({ baseUrl: `https://localhost:${port}/fhir/R4` });
  const bundles = Array.from({ length: count }, (_, index) => make(index));
  const started = performance.now();
  for (const body of bundles) {
    const answer = await client.transaction({
      body, options: { headers: { Prefer: 'return=minimal' }, signal: AbortSignal.timeout(requestTimeoutMs) },
    });
    checkCreated(answer, 2);
  }
  report((performance.now() - started) / 1000);
}

if (values.client === 'keep-alive') {
  await keepAlive();
} else if (process.env.NODE_EXTRA_CA_CERTS === values.ca) {
  await fhirKit();
} else {
  const child = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: values.ca },
  });
  process.exit(child.status ?? 1);
}
