// Behaviour of the FHIR test server, over real HTTPS with the test CA.
// Needs a running server: FHIR_SERVER_PORT_FILE (its --port-file) and TEST_CA (ca.pem).
// Every test makes its own ids, so it can run against a server that others use too.
// The --no-transactions tests start a server of their own with start.sh (certificates
// from TEST_CA's folder, files in a temporary folder).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';

import { connect, startOwnServer } from './client.mjs';

const identifierSystem = 'https://fhir.alliance-plugin.org/test-administration';
const surveyCode = { system: 'http://snomed.info/sct', code: '716613004' };
let server;

before(() => {
  const portFile = process.env.FHIR_SERVER_PORT_FILE;
  const caFile = process.env.TEST_CA;
  assert.ok(portFile && caFile, 'set FHIR_SERVER_PORT_FILE and TEST_CA');
  server = connect({ portFile, caFile });
});
after(() => server.close());

const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function seedPatient() {
  const id = unique('patient');
  const response = await server.request('PUT', `Patient/${id}`, { body: { resourceType: 'Patient', id, name: [{ family: 'Test' }] } });
  assert.equal(response.status, 201, response.text);
  return id;
}

function questionnaireResponse(patientId, administration) {
  return {
    resourceType: 'QuestionnaireResponse',
    identifier: { system: identifierSystem, value: administration },
    questionnaire: 'https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0', // A canonical: not checked.
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    authored: '2025-03-01T10:00:00Z',
    item: [{ linkId: 'ors-total', answer: [{ valueDecimal: 17.7 }] }],
  };
}

function observation(patientId, identifierValue, derivedFrom) {
  return {
    resourceType: 'Observation',
    identifier: [{ system: identifierSystem, value: identifierValue }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
    code: { coding: [surveyCode], text: 'ORS total score' },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2025-03-01T10:00:00Z',
    valueQuantity: { value: 17.7, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
    ...(derivedFrom ? { derivedFrom: [{ reference: derivedFrom }] } : {}),
  };
}

function conditionalEntry(resource, fullUrl) {
  const identifier = Array.isArray(resource.identifier) ? resource.identifier[0] : resource.identifier;
  return {
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: `identifier=${identifier.system}|${identifier.value}` },
  };
}

function administrationBundle(patientId, administration = unique('administration')) {
  const responseUrl = `urn:uuid:${randomUUID()}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      conditionalEntry(questionnaireResponse(patientId, administration), responseUrl),
      conditionalEntry(observation(patientId, `${administration}-total`, responseUrl), `urn:uuid:${randomUUID()}`),
    ],
  };
}

async function count(query) {
  const response = await server.request('GET', query);
  assert.equal(response.status, 200, response.text);
  return response.body.total;
}

function diagnostics(response) {
  assert.equal(response.body?.resourceType, 'OperationOutcome', response.text);
  return response.body.issue.map((entry) => entry.diagnostics).join('\n');
}

describe('fhir test server', () => {
  test('answers /healthz and refuses unknown routes with an OperationOutcome', async () => {
    const health = await server.request('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.text, 'ok');
    const unknown = await server.request('GET', '/nowhere');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.resourceType, 'OperationOutcome');
    assert.equal((await server.request('GET', 'NoSuchType/1')).status, 404);
  });

  test('/chart shows a client\'s totals as a page, escaped, and refuses anything but a Patient', async () => {
    const patientId = await seedPatient();
    const transaction = await server.request('POST', '', { body: administrationBundle(patientId) });
    assert.equal(transaction.status, 200, transaction.text);
    const page = await server.request('GET', `/chart?patient=Patient/${patientId}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Chart of Patient\/patient-[0-9a-f]{8}/);
    assert.match(page.text, /1 total-score Observations, 1 QuestionnaireResponses/);
    assert.equal((await server.request('GET', '/chart?patient=<script>')).status, 400);
    assert.equal((await server.request('GET', '/chart?patient=Observation/1')).status, 400);
  });

  test('PUT to a new id creates the Patient and a read returns it', async () => {
    const id = unique('patient');
    const body = { resourceType: 'Patient', id, name: [{ family: 'Created' }] };
    const created = await server.request('PUT', `Patient/${id}`, { body });
    assert.equal(created.status, 201, created.text);
    assert.match(created.headers['content-type'], /^application\/fhir\+json/);
    assert.match(created.headers.location, new RegExp(`/fhir/R4/Patient/${id}/_history/.+$`));
    const read = await server.request('GET', `Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.name[0].family, 'Created');
    const updated = await server.request('PUT', `Patient/${id}`, { body: { ...body, name: [{ family: 'Updated' }] } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal((await server.request('GET', `Patient/${id}`)).body.name[0].family, 'Updated');
  });

  test('a conditional transaction creates once and answers 200 with the same resources on repeat', async () => {
    const patient = await seedPatient();
    const bundle = administrationBundle(patient);
    const first = await server.request('POST', '', { body: bundle });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.type, 'transaction-response');
    assert.deepEqual(first.body.entry.map((entry) => entry.response.status), ['201 Created', '201 Created']);
    const [responseEntry, observationEntry] = first.body.entry;
    assert.match(responseEntry.response.location, /^QuestionnaireResponse\/[^/]+\/_history\/[^/]+$/);
    assert.match(observationEntry.response.location, /^Observation\/[^/]+\/_history\/[^/]+$/);
    assert.equal(observationEntry.resource.derivedFrom[0].reference, `QuestionnaireResponse/${responseEntry.resource.id}`);

    const observations = await count(`Observation?subject=Patient/${patient}`);
    const responses = await count(`QuestionnaireResponse?subject=Patient/${patient}`);
    const repeat = await server.request('POST', '', { body: administrationBundle(patient, bundle.entry[0].resource.identifier.value) });
    assert.equal(repeat.status, 200, repeat.text);
    assert.deepEqual(repeat.body.entry.map((entry) => entry.response.status), ['200 OK', '200 OK']);
    assert.equal(repeat.body.entry[0].resource.id, responseEntry.resource.id);
    assert.equal(repeat.body.entry[1].resource.id, observationEntry.resource.id);
    assert.equal(await count(`Observation?subject=Patient/${patient}`), observations);
    assert.equal(await count(`QuestionnaireResponse?subject=Patient/${patient}`), responses);
  });

  test('concurrent retries of one transaction create its resources once', async () => {
    const patient = await seedPatient();
    const bundle = administrationBundle(patient);
    const responses = await Promise.all(Array.from({ length: 8 }, () => server.request('POST', '', { body: bundle })));
    const statuses = responses.map((response) => response.body.entry[0].response.status);
    assert.equal(statuses.filter((status) => status === '201 Created').length, 1, statuses.join(', '));
    assert.equal(new Set(responses.map((response) => response.body.entry[1].resource.id)).size, 1);
    assert.equal(await count(`Observation?subject=Patient/${patient}`), 1);
  });

  test('If-None-Exist on a plain POST: 201, then 200, then 412 when several match', async () => {
    const patient = await seedPatient();
    const value = unique('observation');
    const headers = { 'If-None-Exist': `identifier=${identifierSystem}|${value}` };
    const first = await server.request('POST', 'Observation', { body: observation(patient, value), headers });
    assert.equal(first.status, 201, first.text);
    const second = await server.request('POST', 'Observation', { body: observation(patient, value), headers });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.id, first.body.id);
    const duplicate = unique('duplicate');
    await server.request('PUT', `Observation/${duplicate}`, { body: { ...observation(patient, value), id: duplicate } });
    const third = await server.request('POST', 'Observation', { body: observation(patient, value), headers });
    assert.equal(third.status, 412, third.text);
  });

  test('an Observation with an invalid status code is refused with 422 and not stored', async () => {
    const patient = await seedPatient();
    const response = await server.request('POST', 'Observation', { body: { ...observation(patient, unique('bad')), status: 'finished' } });
    assert.equal(response.status, 422, response.text);
    assert.match(diagnostics(response), /Observation\.status/);
    assert.ok(response.body.issue.some((entry) => entry.expression?.includes('Observation.status')));
    assert.equal(await count(`Observation?subject=Patient/${patient}`), 0);
  });

  test('a structurally invalid resource is refused with 422 saying where', async () => {
    const patient = await seedPatient();
    const body = { ...observation(patient, unique('bad')), effectiveDateTime: 'yesterday', colour: 'blue' };
    const response = await server.request('POST', 'Observation', { body });
    assert.equal(response.status, 422, response.text);
    assert.match(diagnostics(response), /effective/);
    assert.match(diagnostics(response), /colour/);
  });

  test('a reference to a missing Patient is refused with 422 naming it', async () => {
    const response = await server.request('POST', 'QuestionnaireResponse', { body: questionnaireResponse('nope', unique('administration')) });
    assert.equal(response.status, 422, response.text);
    assert.match(diagnostics(response), /Patient\/nope not found, referenced at QuestionnaireResponse\.subject/);
  });

  test('malformed JSON gets 400, a body that is no resource 400, a wrong content type 415', async () => {
    const malformed = await server.request('POST', 'Observation', { rawBody: '{"resourceType": "Observation",' });
    assert.equal(malformed.status, 400);
    assert.match(diagnostics(malformed), /Malformed JSON/);
    assert.equal((await server.request('POST', 'Observation', { body: [1, 2] })).status, 400);
    const text = await server.request('POST', 'Observation', { rawBody: '{}', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(text.status, 415);
  });

  test('a body over 10 MiB gets 413', async () => {
    const response = await server.request('POST', 'Observation', { rawBody: `"${'x'.repeat(10 * 1024 * 1024 + 10)}"` });
    assert.equal(response.status, 413);
    assert.equal(response.body.resourceType, 'OperationOutcome');
  });

  test('search by subject and code finds the Observation', async () => {
    const patient = await seedPatient();
    const created = await server.request('POST', '', { body: administrationBundle(patient) });
    assert.equal(created.status, 200, created.text);
    const found = await server.request('GET', `Observation?subject=Patient/${patient}&code=${surveyCode.system}|${surveyCode.code}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.total, 1);
    assert.equal(found.body.entry[0].resource.id, created.body.entry[1].resource.id);
    assert.equal(await count(`Observation?subject=Patient/${patient}&code=${surveyCode.system}|other`), 0);
  });

  test('a transaction with one invalid entry stores nothing and says which entry', async () => {
    const patient = await seedPatient();
    const bundle = administrationBundle(patient);
    bundle.entry[1].resource.status = 'done';
    const response = await server.request('POST', '', { body: bundle });
    assert.equal(response.status, 422, response.text);
    assert.match(diagnostics(response), /Bundle\.entry\[1\]\.resource\.status/);
    const identifier = bundle.entry[0].resource.identifier;
    assert.equal(await count(`QuestionnaireResponse?identifier=${identifier.system}|${identifier.value}`), 0);
    assert.equal(await count(`QuestionnaireResponse?subject=Patient/${patient}`), 0);
  });

  test('a transaction that fails while running is rolled back', async () => {
    const patient = await seedPatient();
    const taken = unique('taken');
    for (const id of [unique('first'), unique('second')]) {
      const put = await server.request('PUT', `Observation/${id}`, { body: { ...observation(patient, taken), id } });
      assert.equal(put.status, 201, put.text);
    }
    const bundle = administrationBundle(patient);
    bundle.entry[1] = conditionalEntry(observation(patient, taken), `urn:uuid:${randomUUID()}`);
    const response = await server.request('POST', '', { body: bundle });
    assert.equal(response.status, 412, response.text);
    assert.equal(await count(`QuestionnaireResponse?subject=Patient/${patient}`), 0);
  });

  test('urn:uuid references must name an entry of the same Bundle', async () => {
    const patient = await seedPatient();
    const bundle = administrationBundle(patient);
    bundle.entry[1].resource.derivedFrom = [{ reference: `urn:uuid:${randomUUID()}` }];
    const response = await server.request('POST', '', { body: bundle });
    assert.equal(response.status, 422, response.text);
    assert.match(diagnostics(response), /not found in the Bundle, referenced at Bundle\.entry\[1\]\.resource\.derivedFrom\[0\]/);
  });
});

// GET /healthz at one loopback address, the certificate checked for localhost.
function healthAt(address) {
  return new Promise((resolve, reject) => {
    const port = Number(fs.readFileSync(process.env.FHIR_SERVER_PORT_FILE, 'utf8').trim());
    const request = https.get({
      host: address, port, path: '/healthz', servername: 'localhost', ca: fs.readFileSync(process.env.TEST_CA),
      headers: { Host: `localhost:${port}` }, timeout: 5000,
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve(`${response.statusCode} ${text}`));
    });
    request.on('timeout', () => request.destroy(new Error(`${address}: timed out`)));
    request.on('error', reject);
  });
}

describe('fhir test server on both loopbacks', () => {
  // Debian's /etc/hosts names localhost for 127.0.0.1 and ::1, and Node 18 tries only
  // the first address: https://localhost:<port> must answer at either.
  test('answers at 127.0.0.1 and at ::1, on one port', async () => {
    assert.equal(await healthAt('127.0.0.1'), '200 ok');
    assert.equal(await healthAt('::1'), '200 ok');
  });
});

describe('fhir test server with --no-transactions', () => {
  let ownServer;

  before(() => {
    ownServer = startOwnServer({ caFile: process.env.TEST_CA, options: ['--no-transactions'], name: 'no-transactions' });
  });
  after(() => ownServer?.stop());

  test('the CapabilityStatement leaves transaction out and keeps batch and conditional create', async () => {
    const metadata = await ownServer.request('GET', 'metadata');
    assert.equal(metadata.status, 200, metadata.text);
    const codes = metadata.body.rest[0].interaction.map((entry) => entry.code);
    assert.ok(!codes.includes('transaction'), codes.join(' '));
    assert.ok(codes.includes('batch'));
    assert.ok(metadata.body.rest[0].resource.every((resource) => resource.conditionalCreate === true));
    const shared = await server.request('GET', 'metadata');
    assert.ok(shared.body.rest[0].interaction.some((entry) => entry.code === 'transaction'), 'the shared server keeps them');
  });

  test('a transaction is refused with 400 and an OperationOutcome and stores nothing', async () => {
    const id = unique('patient');
    const put = await ownServer.request('PUT', `Patient/${id}`, { body: { resourceType: 'Patient', id, name: [{ family: 'Test' }] } });
    assert.equal(put.status, 201, put.text);
    const response = await ownServer.request('POST', '', { body: administrationBundle(id) });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.issue[0].code, 'not-supported');
    assert.match(diagnostics(response), /does not support transaction Bundles/);
    const stored = await ownServer.request('GET', `QuestionnaireResponse?subject=Patient/${id}`);
    assert.equal(stored.body.total, 0);
  });
});
