#!/usr/bin/env node
// A FHIR R4 test server over HTTPS, for Alliance's integration tests and demo.
//
//   node server.mjs --certificate PEM --key PEM [--port N] [--port-file PATH]
//                   [--host localhost] [--client-ca PEM] [--log PATH] [--no-transactions]
//                   [--jwks PATH] [--client-secret-file PATH] [--client-id ID] [--token-lifetime S]
//                   [--require-token] [--granted-scopes "SCOPE ..."] [--scope-ignored]
//                   [--emulate epic|oracle-health --flowsheet-rows PATH]
//
// Listens on loopback only: --host localhost (the default) on 127.0.0.1 and ::1 at one
// port, since a client may try only the first address localhost resolves to (Node 18
// does, and Debian's /etc/hosts names localhost for both, ::1 first in what glibc
// answers); --host 127.0.0.1 or ::1 on that one. FHIR lives under
// https://localhost:<port>/fhir/R4; GET /healthz
// answers "ok". --port 0 (the default) takes any free port; --port-file receives the port
// once the server listens. --client-ca requires client certificates signed by that CA.
// One log line per request (time, method, path, status, ms) to --log or stderr; no bodies.
// --no-transactions plays a server without transaction support: the CapabilityStatement
// leaves the `transaction` interaction out and a transaction Bundle is refused (400).
// --jwks, --client-secret-file and the options after them: SMART Backend Services
// (token-endpoint.mjs). --emulate plays an EHR's documented write rules (emulation.mjs).
// /_test/faults sets faults that the next FHIR requests meet (faults.mjs).
// This file is the command line and the HTTPS plumbing; fhir-service.mjs is the FHIR part.
import fs from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

import { chartPage } from './chart-page.mjs';
import { Emulation, emulationOptions } from './emulation.mjs';
import { FaultPlan } from './faults.mjs';
import { FhirService } from './fhir-service.mjs';
import { httpError, toHttpError } from './outcomes.mjs';
import { SmartAuth, smartOptions } from './token-endpoint.mjs';

const basePath = '/fhir/R4';
const bodyLimit = 10 * 1024 * 1024;
const jsonContentType = /^application\/(fhir\+)?json\s*(;|$)/i;
const loopback = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/;
// With --port 0 the first address picks a free port and ::1 must get the same one,
// which another program may hold there: that many tries with new ports.
const listenTries = 10;

function usage(message) {
  process.stderr.write(`fhir-server: ${message}\nusage: node server.mjs --certificate PEM --key PEM [--port N] ` +
    '[--port-file PATH] [--host localhost] [--client-ca PEM] [--log PATH] [--no-transactions]\n' +
    '       [--jwks PATH] [--client-secret-file PATH] [--client-id ID] [--token-lifetime SECONDS] [--require-token]\n' +
    '       [--granted-scopes "SCOPE ..."] [--scope-ignored] [--emulate epic|oracle-health --flowsheet-rows PATH]\n');
  process.exit(2);
}

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        certificate: { type: 'string' },
        key: { type: 'string' },
        port: { type: 'string', default: '0' },
        'port-file': { type: 'string' },
        host: { type: 'string', default: 'localhost' },
        'client-ca': { type: 'string' },
        log: { type: 'string' },
        'no-transactions': { type: 'boolean', default: false },
        ...smartOptions,
        ...emulationOptions,
      },
      strict: true,
    }));
  } catch (error) {
    usage(error.message);
  }
  if (!values.certificate || !values.key) {
    usage('--certificate and --key are required');
  }
  if (!loopback.test(values.host)) {
    usage(`--host ${values.host} is not a loopback address: this test server listens on loopback only`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usage(`--port ${values.port} is not a port number`);
  }
  return { ...values, port };
}

function openLog(path) {
  const descriptor = path ? fs.openSync(path, 'a') : 2;
  return (line) => fs.writeSync(descriptor, `${line}\n`);
}

// Listens with each of `servers` on one of `hosts`, all at one port (`port`, or the one
// the first picks when it is 0), and resolves with the port. An address this machine
// lacks (no IPv6 loopback) is left out, with a log line, when another one listens.
async function listenOnLoopbacks(servers, hosts, port, log) {
  const listenOne = (server, host, atPort) => new Promise((resolve, reject) => {
    const failed = (error) => reject(error);
    server.once('error', failed);
    server.listen({ port: atPort, host, ipv6Only: host.includes(':') }, () => {
      server.off('error', failed);
      resolve(server.address().port);
    });
  });
  const closeAll = (listening) => Promise.all(listening.map((server) => new Promise((done) => server.close(done))));
  for (let attempt = 1; ; attempt += 1) {
    const listening = [];
    let atPort = port;
    try {
      for (const [index, host] of hosts.entries()) {
        try {
          atPort = await listenOne(servers[index], host, atPort);
          listening.push(servers[index]);
        } catch (error) {
          const missing = error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT';
          if (!missing || hosts.length === 1) throw error;
          log(`${new Date().toISOString()} not listening on ${host}: ${error.message}`);
        }
      }
      if (listening.length === 0) throw new Error('no loopback address to listen on');
      return { port: atPort, listening };
    } catch (error) {
      await closeAll(listening);
      const portTaken = error.code === 'EADDRINUSE' && listening.length > 0;
      if (!portTaken || port !== 0 || attempt >= listenTries) throw error;
    }
  }
}

// Writes the port under a temporary name and renames it, so a reader never sees half a file.
function writePortFile(path, port) {
  const temporary = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${port}\n`);
  fs.renameSync(temporary, path);
}

// The body as text; `tooLarge` when it passes the limit (the rest is read and dropped,
// so the client gets to read the 413 instead of a reset connection).
function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= bodyLimit) {
        chunks.push(chunk);
      } else if (size > 8 * bodyLimit) {
        request.destroy();
      }
    });
    request.on('end', () => resolve(size > bodyLimit ? { tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8') }));
    request.on('error', reject);
  });
}

async function parseFhirBody(request) {
  const declared = Number(request.headers['content-length'] ?? 0);
  const { text, tooLarge } = await readBody(request);
  if (tooLarge || declared > bodyLimit) {
    throw httpError(413, 'too-costly', `The request body is larger than ${bodyLimit} bytes`);
  }
  if (!text) {
    return undefined;
  }
  const contentType = request.headers['content-type'] ?? '';
  if (!jsonContentType.test(contentType)) {
    throw httpError(415, 'not-supported', `Content-Type must be application/fhir+json or application/json, not "${contentType}"`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw httpError(400, 'structure', `Malformed JSON: ${error.message}`);
  }
}

function send(response, status, body, headers = {}, contentType = 'application/fhir+json; charset=utf-8') {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function answer(service, request, response, auth, faults) {
  const target = new URL(request.url, 'https://localhost');
  if (target.pathname === '/healthz') {
    send(response, 200, 'ok', {}, 'text/plain; charset=utf-8');
    return 200;
  }
  if (FaultPlan.isControlPath(target.pathname)) {
    return faults.control(target, request, response, send);
  }
  const chart = await chartPage(service, target);
  if (chart) {
    send(response, chart.status, chart.body, {}, chart.contentType);
    return chart.status;
  }
  // SMART: the token endpoint, discovery, and (--require-token) the bearer check.
  const authAnswer = auth ? await auth.answer(target, request) : undefined;
  if (authAnswer) {
    send(response, authAnswer.status, authAnswer.body, authAnswer.headers, authAnswer.contentType);
    return authAnswer.status;
  }
  if (target.pathname !== basePath && !target.pathname.startsWith(`${basePath}/`)) {
    const failure = httpError(404, 'not-found', `Unknown path ${target.pathname}: FHIR is under ${basePath}/`);
    send(response, failure.status, failure.outcome);
    return failure.status;
  }
  // A planned fault answers instead of the service, or delivers its answer badly.
  const fault = faults.take(request, target.pathname);
  if (fault?.instead) {
    return fault.instead(request, response, send);
  }
  const reply = fault ? fault.reply : send;
  let body;
  try {
    body = await parseFhirBody(request);
  } catch (error) {
    const failure = toHttpError(error);
    reply(response, failure.status, failure.outcome, failure.status === 413 ? { Connection: 'close' } : {});
    return failure.status;
  }
  const url = target.pathname.slice(basePath.length) + target.search;
  const result = await service.handle({ method: request.method, url, headers: request.headers, body });
  reply(response, result.status, result.body, result.headers);
  return result.status;
}

function main() {
  const options = parseCommandLine();
  const log = openLog(options.log);
  let port = options.port;
  let auth;
  let emulation;
  try {
    auth = SmartAuth.fromOptions(options, () => `https://localhost:${port}`, basePath);
    emulation = Emulation.fromOptions(options);
  } catch (error) {
    usage(error.message);
  }
  const service = new FhirService(() => `https://localhost:${port}${basePath}`,
    { transactions: !options['no-transactions'], emulation });
  const faults = new FaultPlan(log);

  const tls = {
    cert: fs.readFileSync(options.certificate),
    key: fs.readFileSync(options.key),
    minVersion: 'TLSv1.2',
  };
  if (options['client-ca']) {
    Object.assign(tls, { ca: fs.readFileSync(options['client-ca']), requestCert: true, rejectUnauthorized: true });
  }

  const handle = (request, response) => {
    const started = performance.now();
    answer(service, request, response, auth, faults)
      .catch((error) => {
        const failure = toHttpError(error);
        if (!response.headersSent) {
          send(response, failure.status, failure.outcome);
        }
        return failure.status;
      })
      .then((status) => {
        const path = request.url.split('?')[0];
        log(`${new Date().toISOString()} ${request.method} ${path} ${status} ${(performance.now() - started).toFixed(1)} ms`);
      });
  };
  const hosts = options.host === 'localhost' ? ['127.0.0.1', '::1'] : [options.host];
  const servers = hosts.map(() => https.createServer(tls, handle));
  let listening = [];
  listenOnLoopbacks(servers, hosts, port, log).then((result) => {
    ({ port, listening } = result);
    for (const server of listening) {
      server.on('error', (error) => {
        process.stderr.write(`fhir-server: ${error.message}\n`);
        process.exit(1);
      });
    }
    if (options['port-file']) {
      writePortFile(options['port-file'], port);
    }
    const addresses = listening.map((server) => server.address().address).join(' and ');
    log(`${new Date().toISOString()} listening on https://localhost:${port}${basePath} (${addresses})` +
      (options['client-ca'] ? ', client certificates required' : '') +
      (options['no-transactions'] ? ', without transactions' : '') +
      (emulation ? `, emulating ${options.emulate} with ${emulation.rows.length} mapped rows` : '') +
      (auth ? `, SMART token endpoint https://localhost:${port}/auth/token` + (auth.requireToken ? ', tokens required' : '') : ''));
  }, (error) => {
    process.stderr.write(`fhir-server: ${error.message}\n`);
    process.exit(1);
  });

  const stop = (signal) => {
    log(`${new Date().toISOString()} ${signal}: stopping`);
    if (options['port-file']) {
      fs.rmSync(options['port-file'], { force: true });
    }
    let open = listening.length;
    if (open === 0) process.exit(0);
    for (const server of listening) {
      server.close(() => { open -= 1; if (open === 0) process.exit(0); });
      server.closeAllConnections();
    }
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main();
