// Fault injection (faults.mjs) and start.sh --port, over real HTTPS with the test CA.
// Starts its own server (a fault plan would disturb the shared one) on a fixed port that
// it first checks nobody answers on: the "server down, then up on the configured port"
// case. Needs TEST_CERTIFICATES (the test certificates folder) and FAULTS_OUTPUT (a
// folder for the server's port, pid and log files).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect } from './client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const certificates = process.env.TEST_CERTIFICATES;
const output = process.env.FAULTS_OUTPUT;
const caFile = certificates && path.join(certificates, 'ca.pem');
let server;
let fixedPort;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function refused(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error) => resolve(error.code === 'ECONNREFUSED'));
  });
}

before(async () => {
  assert.ok(certificates && output, 'set TEST_CERTIFICATES and FAULTS_OUTPUT');
  fixedPort = await freePort();
  assert.ok(await refused(fixedPort), 'nothing may listen on the chosen port before the server starts');
  execFileSync(path.join(here, 'start.sh'), [certificates, output, '--port', String(fixedPort)], { stdio: 'inherit' });
  server = connect({ portFile: path.join(output, 'fhir-server.port'), caFile });
});

after(() => {
  server?.close();
  execFileSync(path.join(here, 'stop.sh'), [output], { stdio: 'inherit' });
});

beforeEach(async () => {
  const cleared = await server.request('DELETE', '/_test/faults');
  assert.equal(cleared.status, 200, cleared.text);
});

const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;
const patient = (id) => ({ resourceType: 'Patient', id, name: [{ family: 'Fault' }] });

async function plan(faults) {
  const response = await server.request('POST', '/_test/faults', { body: { faults } });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

async function counters() {
  const response = await server.request('GET', '/_test/faults');
  assert.equal(response.status, 200, response.text);
  return response.body;
}

// One request on a connection of its own, byte by byte as the server sends it: what
// arrived, and how the connection ended ('end' for a close, an error code for a reset,
// 'timeout' when the client gave up after `giveUpAfter` ms).
function rawExchange(method, target, { body, giveUpAfter = 5000 } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const chunks = [];
    const arrivals = [];
    const started = performance.now();
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: fs.readFileSync(caFile) });
    let settled = false;
    const settle = (ending) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), ending, arrivals, elapsed: performance.now() - started });
    };
    const timer = setTimeout(() => settle('timeout'), giveUpAfter);
    socket.on('secureConnect', () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nHost: localhost:${server.port}\r\nAccept: application/fhir+json\r\n` +
        (payload ? `Content-Type: application/fhir+json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : '') +
        `\r\n${payload}`);
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      arrivals.push({ at: performance.now() - started, bytes: chunk.length });
    });
    socket.on('end', () => settle('end'));
    socket.on('error', (error) => settle(error.code ?? error.message));
  });
}

describe('start.sh --port', () => {
  test('starts the server on the port given, where nothing answered before', async () => {
    assert.equal(server.port, fixedPort);
    const health = await server.request('GET', '/healthz');
    assert.equal(health.status, 200);
  });
});

describe('fault injection', () => {
  test('status answers the planned status and Retry-After without storing anything, until used up', async () => {
    const id = unique('status');
    await plan([{ kind: 'status', count: 2, status: 503, retry_after: '1', match: { method: 'PUT' } }]);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refusedPut = await server.request('PUT', `Patient/${id}`, { body: patient(id) });
      assert.equal(refusedPut.status, 503);
      assert.equal(refusedPut.headers['retry-after'], '1');
      assert.equal(refusedPut.body.resourceType, 'OperationOutcome');
      assert.equal(refusedPut.body.issue[0].code, 'transient');
    }
    assert.equal((await server.request('GET', `Patient/${id}`)).status, 404, 'nothing was stored');
    assert.equal((await server.request('PUT', `Patient/${id}`, { body: patient(id) })).status, 201, 'the fault is used up');
    const state = await counters();
    assert.equal(state.faults[0].hits, 2);
    assert.equal(state.faults[0].remaining, 0);
    assert.equal(state.fhir_requests, 4);
  });

  test('status sends the given OperationOutcome and an HTTP date in Retry-After', async () => {
    const date = new Date(Date.now() + 60_000).toUTCString();
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled', diagnostics: 'slow down' }] };
    await plan([{ kind: 'status', status: 429, retry_after: date, body: outcome }]);
    const response = await server.request('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: [] } });
    assert.equal(response.status, 429);
    assert.equal(response.headers['retry-after'], date);
    assert.deepEqual(response.body, outcome);
  });

  test('hang never answers and keeps the connection open until the client gives up', async () => {
    const id = unique('hang');
    await plan([{ kind: 'hang' }]);
    const exchange = await rawExchange('PUT', `/fhir/R4/Patient/${id}`, { body: patient(id), giveUpAfter: 700 });
    assert.equal(exchange.ending, 'timeout');
    assert.equal(exchange.text, '');
    assert.equal((await server.request('GET', `Patient/${id}`)).status, 404, 'a hung request is not processed');
    assert.equal((await counters()).faults[0].hits, 1);
  });

  test('reset_mid_response stores the resource, sends part of the response, then resets the connection', async () => {
    const id = unique('reset');
    await plan([{ kind: 'reset_mid_response', match: { method: 'PUT', path_prefix: '/fhir/R4/Patient' } }]);
    const exchange = await rawExchange('PUT', `/fhir/R4/Patient/${id}`, { body: patient(id) });
    assert.equal(exchange.ending, 'ECONNRESET');
    assert.match(exchange.text, /^HTTP\/1\.1 201 Created\r\n/);
    const [head, partialBody] = exchange.text.split('\r\n\r\n');
    const declared = Number(/content-length: (\d+)/i.exec(head)[1]);
    assert.ok(partialBody.length > 0 && partialBody.length < declared, `${partialBody.length} of ${declared} body bytes`);
    const stored = await server.request('GET', `Patient/${id}`);
    assert.equal(stored.status, 200, 'the request was processed before the connection died');
  });

  test('trickle sends the whole response at the planned rate', async () => {
    await plan([{ kind: 'trickle', bytes_per_second: 20 }, { kind: 'trickle', bytes_per_second: 4000 }]);
    const slow = await rawExchange('GET', '/fhir/R4/metadata', { giveUpAfter: 1000 });
    assert.equal(slow.ending, 'timeout', 'a client with a 1 s deadline gives up');
    assert.ok(slow.text.length > 0 && slow.text.length <= 30, `${slow.text.length} bytes in 1 s at 20 bytes/s`);
    assert.ok(slow.arrivals.length >= 5, 'the bytes come in many small pieces');

    const fast = await rawExchange('GET', '/fhir/R4/metadata');
    assert.equal(fast.ending, 'end');
    const [head, body] = fast.text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(JSON.parse(body).resourceType, 'CapabilityStatement');
    const minimum = (fast.text.length / 4000) * 1000;
    assert.ok(fast.elapsed >= minimum * 0.8, `${fast.text.length} bytes took ${fast.elapsed.toFixed(0)} ms`);
    assert.deepEqual((await counters()).faults.map((fault) => fault.hits), [1, 1]);
  });

  test('close_before_response stores the resource and closes without a byte of answer', async () => {
    const id = unique('close');
    await plan([{ kind: 'close_before_response', match: { method: 'PUT' } }]);
    const exchange = await rawExchange('PUT', `/fhir/R4/Patient/${id}`, { body: patient(id) });
    assert.notEqual(exchange.ending, 'timeout');
    assert.equal(exchange.text, '');
    assert.equal((await server.request('GET', `Patient/${id}`)).status, 200, 'the request was processed');
  });

  test('malformed stores the resource and answers its status with a body no FHIR reader can use', async () => {
    const id = unique('malformed');
    await plan([{ kind: 'malformed', match: { method: 'PUT' } }, { kind: 'malformed', text: 'not json', match: { method: 'PUT' } }]);
    const first = await server.request('PUT', `Patient/${id}`, { body: patient(id) });
    assert.equal(first.status, 201);
    assert.equal(first.text, '{"resourceType":1}');
    assert.equal(first.headers.location, undefined);
    const second = await server.request('PUT', `Patient/${id}`, { body: patient(id) });
    assert.equal(second.status, 200);
    assert.equal(second.text, 'not json');
    assert.equal((await server.request('GET', `Patient/${id}`)).status, 200, 'the request was processed');
    const refused = await server.request('POST', '/_test/faults', { body: { faults: [{ kind: 'malformed', text: 5 }] } });
    assert.equal(refused.status, 400);
  });

  test('faults match by method and path prefix in plan order and never apply to /healthz, /_test or /auth', async () => {
    await plan([
      { kind: 'status', status: 500, count: 5, match: { path_prefix: '/fhir/R4/Observation' } },
      { kind: 'status', status: 503, count: 1 },
    ]);
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    assert.notEqual((await server.request('POST', '/auth/token', { rawBody: 'grant_type=client_credentials' })).status, 503);
    assert.equal((await server.request('GET', `Patient/${unique('order')}`)).status, 503);
    assert.equal((await server.request('GET', 'Observation?code=x')).status, 500);
    assert.equal((await server.request('GET', `Patient/${unique('order')}`)).status, 404, 'the 503 is used up');
    const state = await counters();
    assert.deepEqual(state.faults.map((fault) => [fault.hits, fault.remaining]), [[1, 4], [1, 0]]);
    assert.equal(state.fhir_requests, 3);
  });

  test('POST replaces the plan, DELETE clears it, and both zero the counters', async () => {
    await plan([{ kind: 'status', status: 500, count: 3 }]);
    assert.equal((await server.request('GET', 'metadata')).status, 500);
    const replaced = await plan([{ kind: 'status', status: 502, count: 1, match: { method: 'post' } }]);
    assert.deepEqual(replaced, {
      faults: [{ kind: 'status', count: 1, match: { method: 'POST' }, status: 502, hits: 0, remaining: 1 }],
      fhir_requests: 0,
    });
    assert.equal((await server.request('GET', 'metadata')).status, 200);
    const cleared = await server.request('DELETE', '/_test/faults');
    assert.deepEqual(cleared.body, { faults: [], fhir_requests: 0 });
    assert.equal((await server.request('POST', '', { body: { resourceType: 'Bundle', type: 'batch', entry: [] } })).status, 200);
    assert.equal((await counters()).fhir_requests, 1);
  });

  test('an invalid plan is refused with 400 saying what is wrong, and the plan in force stays', async () => {
    await plan([{ kind: 'hang', count: 1, match: { path_prefix: '/fhir/R4/Nothing' } }]);
    for (const [faults, expected] of [
      [[{ kind: 'explode' }], /faults\[0\]\.kind must be one of/],
      [[{ kind: 'status' }], /faults\[0\]\.status must be an integer/],
      [[{ kind: 'hang', count: 0 }], /faults\[0\]\.count/],
      [[{ kind: 'trickle', bytes_per_second: 'fast' }], /bytes_per_second/],
      [[{ kind: 'hang', status: 500 }], /unknown fields: status/],
      [[{ kind: 'hang', match: { path: '/x' } }], /match must be an object/],
    ]) {
      const response = await server.request('POST', '/_test/faults', { body: { faults } });
      assert.equal(response.status, 400, JSON.stringify(faults));
      assert.match(response.body.error, expected);
    }
    const notJson = await server.request('POST', '/_test/faults', { rawBody: '{nope' });
    assert.equal(notJson.status, 400);
    assert.equal((await server.request('PUT', '/_test/faults', { body: {} })).status, 405);
    assert.equal((await server.request('GET', '/_test/other')).status, 404);
    assert.equal((await counters()).faults[0].match.path_prefix, '/fhir/R4/Nothing');
  });
});
