// End-to-end delivery benchmark: how long from a client's submitted ORS to the
// resources confirmed by the FHIR server, over N pushes through host-sim and the real
// plugin, against the same server's raw cost for the same kind of transaction posted
// directly (the baseline, measured in the same run). Prints figures; asserts nothing.
//
//   node end_to_end.mjs --build BUILD_DIRECTORY [--count 100]   (also: ./run bench --end-to-end)
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { connect } from '../fhir-server/client.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const { values } = parseArgs({ options: { build: { type: 'string' }, count: { type: 'string', default: '100' } } });
if (!values.build) {
  console.error('usage: node end_to_end.mjs --build BUILD_DIRECTORY [--count N]');
  process.exit(2);
}
const build = path.resolve(values.build);
const count = Number(values.count);
const output = path.join(build, 'benchmark-end-to-end');
const certificates = path.join(build, 'test-certificates');
fs.rmSync(output, { recursive: true, force: true });
fs.mkdirSync(output, { recursive: true });

const run = (command, args) => {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status})\n${result.stdout}`);
  return result.stdout;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

run(path.join(root, 'tests/certificates/make_test_certificates.sh'), [certificates]);
run(path.join(root, 'tests/fhir-server/start.sh'), [certificates, path.join(output, 'fhir-server')]);
try {
  const portFile = path.join(output, 'fhir-server', 'fhir-server.port');
  const server = connect({ portFile, caFile: path.join(certificates, 'ca.pem') });
  const base = `https://localhost:${fs.readFileSync(portFile, 'utf8').trim()}/fhir/R4`;
  const patient = `pat-bench-${randomUUID().slice(0, 8)}`;
  await server.request('PUT', `Patient/${patient}`, { body: { resourceType: 'Patient', id: patient } });

  // Baseline: the same two-entry conditional transaction, posted directly.
  const system = 'https://fhir.alliance-plugin.org/sid/benchmark';
  const baseline = [];
  for (let index = 0; index < count; index++) {
    const id = randomUUID();
    const entry = (resource, value) => ({
      fullUrl: `urn:uuid:${randomUUID()}`, resource,
      request: { method: 'POST', url: resource.resourceType, ifNoneExist: `identifier=${system}|${value}` },
    });
    const response = entry({ resourceType: 'QuestionnaireResponse', identifier: { system, value: id },
      questionnaire: 'https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0', status: 'completed',
      subject: { reference: `Patient/${patient}` }, authored: new Date().toISOString(),
      item: [{ linkId: 'ors-total', answer: [{ valueDecimal: 20.5 }] }] }, id);
    const observation = entry({ resourceType: 'Observation', identifier: [{ system, value: `${id}-total` }],
      status: 'final', code: { coding: [{ system: 'http://snomed.info/sct', code: '716613004' }] },
      subject: { reference: `Patient/${patient}` }, effectiveDateTime: new Date().toISOString(),
      valueQuantity: { value: 20.5, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
      derivedFrom: [{ reference: response.fullUrl }] }, `${id}-total`);
    const started = performance.now();
    const answer = await server.request('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: [response, observation] } });
    baseline.push(performance.now() - started);
    if (answer.status !== 200) throw new Error(`baseline transaction failed: ${answer.status}`);
  }

  // The same number of ORS submissions through host-sim and the plugin.
  const answers = { 'ors-individually': 5.1, 'ors-interpersonally': 4.9, 'ors-socially': 5.5, 'ors-overall': 5.0 };
  const sessions = Array.from({ length: count }, (_, index) => ({
    session_id: `bench-${index}`, appointment_kind: 'individual', medium: 'video',
    participants: [{ participant_id: 'client', role: 'client', age_years: 30, fhir_reference: `Patient/${patient}` }],
    steps: [
      { action: 'start' },
      { action: 'send', participant: 'client', panel: 'Outcome', message: { type: 'submit', measure: 'ORS', answers } },
      { action: 'expect', participant: 'client', panel: 'Outcome', message_type: 'saved' },
      { action: 'close', participant: 'client', panel: 'Outcome', reason: 'submitted' },
      { action: 'wait', ms: 20 },
    ],
  }));
  fs.writeFileSync(path.join(output, 'scenario.json'), JSON.stringify({ name: 'End-to-end benchmark', sessions }));
  // The store's key: 32 random bytes in base64, readable by the owner only.
  fs.writeFileSync(path.join(output, 'store.key'), randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  fs.writeFileSync(path.join(output, 'alliance.json'), JSON.stringify({
    store: { path: 'state/alliance.db', key_file: 'store.key' },
    measures: { questionnaire_folder: path.join(root, 'fhir/questionnaires') },
    fhir: { base_url: base, ca_file: path.join(certificates, 'ca.pem') },
  }));
  run(path.join(build, 'sdk-stubs/host-sim/host-sim'), [
    '--plugin', path.join(build, 'plugin/liballiance.so'), '--config', path.join(output, 'alliance.json'),
    '--scenario', path.join(output, 'scenario.json'), '--record', path.join(output, 'record.json')]);
  const record = JSON.parse(fs.readFileSync(path.join(output, 'record.json'), 'utf8'));
  const latencies = record.logs
    .map((line) => /event=delivered .*latency_ms=(\d+)/.exec(line.message))
    .filter(Boolean)
    .map((match) => Number(match[1]));
  if (latencies.length !== count) throw new Error(`expected ${count} deliveries, saw ${latencies.length}`);

  const hooks = record.hook_calls.filter((call) => !['thp_plugin_entry', 'shutdown'].includes(call.hook)).map((call) => call.micros);
  console.log(`pushes: ${count}, each a validated two-entry conditional transaction over TLS on loopback`);
  console.log(`end to end (submit to server confirmation): median ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms`);
  console.log(`baseline (same transaction posted directly): median ${percentile(baseline, 50).toFixed(2)} ms, p95 ${percentile(baseline, 95).toFixed(2)} ms`);
  console.log(`ratio end to end / baseline (medians): ${(percentile(latencies, 50) / percentile(baseline, 50)).toFixed(2)}`);
  console.log(`host hooks: ${hooks.length} calls, median ${percentile(hooks, 50)} us, max ${Math.max(...hooks)} us`);
} finally {
  run(path.join(root, 'tests/fhir-server/stop.sh'), [path.join(output, 'fhir-server')]);
}
