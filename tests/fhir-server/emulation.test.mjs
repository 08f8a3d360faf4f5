// The Epic and Oracle Health emulations (emulation.mjs) and client_secret_basic at the
// token endpoint, against running servers started as the CTest fixtures
// fhir_server_epic and fhir_server_oracle_health start them (emulations.cmake):
//   EPIC_PORT_FILE, ORACLE_HEALTH_PORT_FILE   their --port-file
//   TEST_CA                                   the test CA (ca.pem)
//   TEST_KEYS, SMART_CLIENT_ID                Epic: the keys of make_test_keys.sh, its client id
//   ORACLE_HEALTH_CLIENT_SECRET_FILE, ORACLE_HEALTH_CLIENT_ID   Oracle: Basic credentials
// Both require tokens on FHIR requests. Every test makes its own ids.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { importPKCS8, SignJWT } from 'jose';

import { connect } from './client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const rowsOf = (name) => JSON.parse(fs.readFileSync(path.join(here, 'emulations', `${name}-rows.json`), 'utf8')).rows;
const categorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';
const administrationSystem = 'https://fhir.alliance-plugin.org/sid/administration';
const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

const emulations = {
  epic: { portFile: process.env.EPIC_PORT_FILE, rows: rowsOf('epic') },
  'oracle-health': { portFile: process.env.ORACLE_HEALTH_PORT_FILE, rows: rowsOf('oracle-health') },
};

before(async () => {
  assert.ok(process.env.TEST_CA && emulations.epic.portFile && emulations['oracle-health'].portFile,
    'set TEST_CA, EPIC_PORT_FILE and ORACLE_HEALTH_PORT_FILE');
  for (const emulation of Object.values(emulations)) {
    emulation.server = connect({ portFile: emulation.portFile, caFile: process.env.TEST_CA });
  }
  emulations.epic.token = await epicToken(emulations.epic.server);
  emulations['oracle-health'].token = await oracleToken(emulations['oracle-health'].server);
});
after(() => Object.values(emulations).forEach((emulation) => emulation.server?.close()));

// Epic: SMART Backend Services with a signed JWT (the fixture's --jwks).
async function epicToken(server) {
  const clientId = process.env.SMART_CLIENT_ID ?? 'alliance-test-client';
  const key = await importPKCS8(fs.readFileSync(path.join(process.env.TEST_KEYS, 'rs384.key'), 'utf8'), 'RS384');
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: clientId, sub: clientId, aud: `https://localhost:${server.port}/auth/token`,
    iat: now, exp: now + 240, jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS384', kid: 'alliance-rs384', typ: 'JWT' }).sign(key);
  const response = await tokenRequest(server, {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
  assert.equal(response.status, 200, response.text);
  return response.body.access_token;
}

function oracleCredentials() {
  const clientId = process.env.ORACLE_HEALTH_CLIENT_ID;
  const secret = fs.readFileSync(process.env.ORACLE_HEALTH_CLIENT_SECRET_FILE, 'utf8').split('\n')[0];
  assert.ok(clientId && secret, 'set ORACLE_HEALTH_CLIENT_ID and ORACLE_HEALTH_CLIENT_SECRET_FILE');
  return { clientId, secret };
}

// RFC 6749 section 2.3.1: id and secret are form-urlencoded, then joined and base64-encoded.
const formEncode = (text) => new URLSearchParams({ x: text }).toString().slice(2);
const basic = (clientId, secret) => `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;

async function oracleToken(server) {
  const { clientId, secret } = oracleCredentials();
  const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'system/Observation.write' },
    { Authorization: basic(clientId, secret) });
  assert.equal(response.status, 200, response.text);
  return response.body.access_token;
}

function tokenRequest(server, fields, headers = {}) {
  return server.request('POST', '/auth/token', {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
  });
}

// A request to an emulation with its token.
function call(name, method, target, options = {}) {
  const { server, token } = emulations[name];
  return server.request(method, target, { ...options, headers: { Authorization: `Bearer ${token}`, ...options.headers } });
}

async function seed(name) {
  const ids = { patient: unique('patient'), encounter: unique('encounter'), practitioner: unique('practitioner') };
  const resources = [
    { resourceType: 'Patient', id: ids.patient, name: [{ family: 'Test' }] },
    { resourceType: 'Practitioner', id: ids.practitioner, name: [{ family: 'Therapist' }] },
    { resourceType: 'Encounter', id: ids.encounter, status: 'in-progress', subject: { reference: `Patient/${ids.patient}` },
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' } },
  ];
  for (const resource of resources) {
    const response = await call(name, 'PUT', `${resource.resourceType}/${resource.id}`, { body: resource });
    assert.equal(response.status, 201, response.text);
  }
  return ids;
}

// The flowsheet Observation exactly as the client sends it.
function clientObservation(name, ids, { row = emulations[name].rows[0], effective = '2026-12-05T10:00:00Z' } = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    identifier: [{ system: administrationSystem, value: `${randomUUID()}-total` }],
    category: [{ coding: [{ system: categorySystem, code: 'vital-signs' }] }],
    code: { coding: [{ system: row.system, code: row.code, display: row.display }], text: 'ORS total score' },
    subject: { reference: `Patient/${ids.patient}` },
    encounter: { reference: `Encounter/${ids.encounter}` },
    effectiveDateTime: effective,
    performer: [{ reference: `Patient/${ids.patient}` }],
    valueQuantity: { value: 27.3, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
  };
}

// What Oracle's documentation asks of a vital sign beyond that: a Practitioner performer.
function oracleObservation(ids, options) {
  return { ...clientObservation('oracle-health', ids, options), performer: [{ reference: `Practitioner/${ids.practitioner}` }] };
}

const text = Buffer.from('ORS total 27.3 (example note)').toString('base64');
const pdf = Buffer.from('%PDF-1.4\n%example\n').toString('base64');

// The DocumentReference as the client sends it, with the attachments asked for.
function clientDocument(ids, attachments = ['text']) {
  const content = {
    text: { attachment: { contentType: 'text/plain; charset=utf-8', language: 'en', data: text, title: 'ORS and SRS' } },
    pdf: { attachment: { contentType: 'application/pdf', data: pdf, title: 'ORS and SRS' } },
  };
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'preliminary',
    identifier: [{ system: administrationSystem, value: `${randomUUID()}-note` }],
    type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
    category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note' }] }],
    subject: { reference: `Patient/${ids.patient}` },
    date: '2026-12-05T10:00:00Z',
    author: [{ reference: `Practitioner/${ids.practitioner}` }],
    description: 'Outcome and session rating',
    content: attachments.map((kind) => content[kind]),
    context: { encounter: [{ reference: `Encounter/${ids.encounter}` }], period: { start: '2026-12-05T10:00:00Z' } },
  };
}

// What Oracle's documentation asks of a document beyond that: docStatus final or amended,
// context.period.end, one attachment.
function oracleDocument(ids, attachments = ['pdf']) {
  const document = clientDocument(ids, attachments);
  return { ...document, docStatus: 'final', context: { ...document.context, period: { start: '2026-12-05T10:00:00Z', end: '2026-12-05T10:50:00Z' } } };
}

function assertRefused(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body?.resourceType, 'OperationOutcome', response.text);
  assert.equal(response.body.issue[0].code, code, response.text);
  assert.ok(response.body.issue[0].details?.text && response.body.issue[0].diagnostics, 'details.text and diagnostics');
  return response.body.issue[0];
}

async function total(name, query) {
  const response = await call(name, 'GET', query);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.body.type, 'searchset');
  return response.body.total;
}

for (const name of Object.keys(emulations)) {
  const observation = name === 'epic' ? clientObservation.bind(null, name) : oracleObservation;
  const document = name === 'epic' ? clientDocument : oracleDocument;

  describe(`--emulate ${name}: what both refuse`, () => {
    test('the CapabilityStatement: an emulation, no transaction or batch, no conditional create, no QuestionnaireResponse create', async () => {
      const metadata = await call(name, 'GET', 'metadata');
      assert.equal(metadata.status, 200, metadata.text);
      assert.match(metadata.body.software.name, /^Alliance test server emulating .* \(from public documentation\)$/);
      const rest = metadata.body.rest[0];
      assert.deepEqual(rest.interaction.map((entry) => entry.code).filter((code) => code === 'transaction' || code === 'batch'), []);
      assert.ok(rest.resource.every((resource) => resource.conditionalCreate === false));
      const byType = Object.fromEntries(rest.resource.map((resource) => [resource.type, resource]));
      const interactions = (type) => byType[type].interaction.map((entry) => entry.code);
      assert.ok(!interactions('QuestionnaireResponse').includes('create'));
      for (const type of ['Observation', 'DocumentReference']) {
        assert.ok(interactions(type).includes('create'), type);
        const parameters = byType[type].searchParam.map((parameter) => parameter.name);
        assert.ok(parameters.includes('patient') && parameters.includes('date') && !parameters.includes('identifier'), parameters.join());
      }
    });

    test('transaction and batch Bundles: 400 not-supported, nothing stored', async () => {
      const ids = await seed(name);
      for (const type of ['transaction', 'batch']) {
        const bundle = { resourceType: 'Bundle', type, entry: [{ resource: observation(ids), request: { method: 'POST', url: 'Observation' } }] };
        assertRefused(await call(name, 'POST', '', { body: bundle }), 400, 'not-supported');
      }
      assert.equal(await total(name, `Observation?patient=${ids.patient}`), 0);
    });

    test('If-None-Exist: 400 not-supported, nothing stored', async () => {
      const ids = await seed(name);
      const headers = { 'If-None-Exist': `identifier=${administrationSystem}|${unique('administration')}` };
      assertRefused(await call(name, 'POST', 'Observation', { body: observation(ids), headers }), 400, 'not-supported');
      assert.equal(await total(name, `Observation?patient=${ids.patient}`), 0);
    });

    test('Questionnaire create: 405 not-supported; QuestionnaireResponse create refused', async () => {
      const ids = await seed(name);
      const questionnaire = { resourceType: 'Questionnaire', status: 'active', url: 'https://fhir.alliance-plugin.org/Questionnaire/ors' };
      assertRefused(await call(name, 'POST', 'Questionnaire', { body: questionnaire }), 405, 'not-supported');
      const response = {
        resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0',
        subject: { reference: `Patient/${ids.patient}` }, authored: '2026-12-05T10:00:00Z',
      };
      const refused = await call(name, 'POST', 'QuestionnaireResponse', { body: response });
      if (name === 'epic') assertRefused(refused, 422, 'business-rule');
      else assertRefused(refused, 405, 'not-supported');
    });

    test('an Observation outside the allowed categories: 422 code-invalid', async () => {
      const ids = await seed(name);
      const body = { ...observation(ids), category: [{ coding: [{ system: categorySystem, code: 'survey' }] }] };
      assertRefused(await call(name, 'POST', 'Observation', { body }), 422, 'code-invalid');
    });

    test('an Observation whose code names no mapped row: 422 code-invalid', async () => {
      const ids = await seed(name);
      const body = { ...observation(ids), code: { coding: [{ system: emulations[name].rows[0].system, code: 'not-mapped' }] } };
      const issue = assertRefused(await call(name, 'POST', 'Observation', { body }), 422, 'code-invalid');
      assert.deepEqual(issue.expression, ['Observation.code']);
    });

    test('an Observation without subject, effectiveDateTime or valueQuantity: 422 required', async () => {
      const ids = await seed(name);
      for (const field of ['subject', 'effectiveDateTime', 'valueQuantity']) {
        const { [field]: _dropped, ...body } = observation(ids);
        const issue = assertRefused(await call(name, 'POST', 'Observation', { body }), 422, 'required');
        assert.deepEqual(issue.expression, [`Observation.${field}`]);
      }
    });

    test('a well-formed flowsheet Observation is created and found by patient, code and date', async () => {
      const ids = await seed(name);
      const row = emulations[name].rows[3];
      const created = await call(name, 'POST', 'Observation', { body: observation(ids, { row, effective: '2026-12-05T10:00:05Z' }) });
      assert.equal(created.status, 201, created.text);
      const search = (date) => `Observation?patient=${ids.patient}&code=${row.system}|${row.code}&date=${encodeURIComponent(date)}`;
      const found = await call(name, 'GET', search('2026-12-05T10:00:05Z'));
      assert.equal(found.status, 200, found.text);
      assert.equal(found.body.total, 1);
      assert.equal(found.body.entry[0].resource.id, created.body.id);
      assert.equal(await total(name, search('2026-12-05T10:00:06Z')), 0, 'the next second is another reading');
      assert.equal(await total(name, search('2026-12-05T11:00:05+01:00')), 1, 'the same instant in another offset');
      assert.equal(await total(name, search('2026-12-05')), 1, 'the day');
      assert.equal(await total(name, search('ge2026-12-05T10:00:00Z')), 1);
      assert.equal(await total(name, search('lt2026-12-05T10:00:05Z')), 0);
      assert.equal(await total(name, `Observation?subject=Patient/${ids.patient}&code=${row.system}|other`), 0);
    });

    test('a repeated reading (same patient, row and time) is refused 409 duplicate and not stored', async () => {
      const ids = await seed(name);
      const first = await call(name, 'POST', 'Observation', { body: observation(ids) });
      assert.equal(first.status, 201, first.text);
      const issue = assertRefused(await call(name, 'POST', 'Observation', { body: observation(ids) }), 409, 'duplicate');
      assert.match(issue.diagnostics, /already exists/);
      const sameInstant = observation(ids, { effective: '2026-12-05T11:00:00+01:00' });
      assertRefused(await call(name, 'POST', 'Observation', { body: sameInstant }), 409, 'duplicate');
      const anotherRow = await call(name, 'POST', 'Observation', { body: observation(ids, { row: emulations[name].rows[1] }) });
      assert.equal(anotherRow.status, 201, 'another row at the same time is another reading');
      assert.equal(await total(name, `Observation?patient=${ids.patient}`), 2);
    });

    test('identifier searches: 400 not-supported; a search without patient: 400 required', async () => {
      for (const type of ['Observation', 'DocumentReference']) {
        const issue = assertRefused(await call(name, 'GET', `${type}?identifier=${administrationSystem}|x-total`), 400, 'not-supported');
        if (name === 'epic') {
          assert.deepEqual(issue.details.coding, [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.2.657369', code: '4100',
            display: 'The resource request contained an invalid parameter.' }]);
        }
        assertRefused(await call(name, 'GET', `${type}?date=2026-12-05`), 400, 'required');
      }
    });

    test('a DocumentReference is created and found by patient, type and date', async () => {
      const ids = await seed(name);
      const created = await call(name, 'POST', 'DocumentReference', { body: document(ids) });
      assert.equal(created.status, 201, created.text);
      const stored = await call(name, 'GET', `DocumentReference/${created.body.id}`);
      const date = stored.body.date;
      const search = `DocumentReference?patient=${ids.patient}&type=http://loinc.org|11506-3&date=${encodeURIComponent(date)}`;
      const found = await call(name, 'GET', search);
      assert.equal(found.status, 200, found.text);
      assert.equal(found.body.total, 1);
      assert.equal(found.body.entry[0].resource.id, created.body.id);
      assert.equal(await total(name, `DocumentReference?patient=${ids.patient}&type=http://loinc.org|18842-5`), 0);
    });

    test('a DocumentReference without type or subject: 422 required', async () => {
      const ids = await seed(name);
      for (const field of ['type', 'subject']) {
        const { [field]: _dropped, ...body } = document(ids);
        assertRefused(await call(name, 'POST', 'DocumentReference', { body }), 422, 'required');
      }
    });

    test('a few hundred Observations: the check before writing stays fast and exact', async () => {
      const ids = await seed(name);
      const rows = emulations[name].rows;
      for (let index = 0; index < 300; index += 1) {
        const effective = new Date(Date.UTC(2026, 11, 5, 10, 0, index)).toISOString().replace('.000', '');
        const response = await call(name, 'POST', 'Observation', { body: observation(ids, { row: rows[index % rows.length], effective }) });
        assert.equal(response.status, 201, response.text);
      }
      const started = performance.now();
      const row = rows[7];
      assert.equal(await total(name, `Observation?patient=${ids.patient}&code=${row.system}|${row.code}&date=2026-12-05T10:01:57Z`), 1);
      assert.equal(await total(name, `Observation?patient=${ids.patient}&code=${row.system}|${row.code}&date=2026-12-05T10:01:58Z`), 0);
      assert.ok(performance.now() - started < 1000, `two searches took ${performance.now() - started} ms`);
    });
  });
}

describe('--emulate epic: its own rules', () => {
  test('the client\'s flowsheet Observation without encounter: 422 required', async () => {
    const ids = await seed('epic');
    const { encounter: _dropped, ...body } = clientObservation('epic', ids);
    const issue = assertRefused(await call('epic', 'POST', 'Observation', { body }), 422, 'required');
    assert.deepEqual(issue.expression, ['Observation.encounter']);
  });

  test('a clinical note is text/plain, with or without ; charset=utf-8; other types and charsets: 422 business-rule', async () => {
    const ids = await seed('epic');
    for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'text/plain;charset=UTF-8']) {
      const body = clientDocument(ids);
      body.content[0].attachment.contentType = contentType;
      assert.equal((await call('epic', 'POST', 'DocumentReference', { body })).status, 201, contentType);
    }
    for (const contentType of ['application/pdf', 'text/html', 'text/plain; charset=iso-8859-1']) {
      const body = clientDocument(ids);
      body.content[0].attachment.contentType = contentType;
      assertRefused(await call('epic', 'POST', 'DocumentReference', { body }), 422, 'business-rule');
    }
  });

  test('a note with two attachments: 422 business-rule', async () => {
    const ids = await seed('epic');
    assertRefused(await call('epic', 'POST', 'DocumentReference', { body: clientDocument(ids, ['text', 'text']) }), 422, 'business-rule');
  });

  test('a note without context.encounter: 422 required', async () => {
    const ids = await seed('epic');
    const body = { ...clientDocument(ids), context: { period: { start: '2026-12-05T10:00:00Z' } } };
    const issue = assertRefused(await call('epic', 'POST', 'DocumentReference', { body }), 422, 'required');
    assert.deepEqual(issue.expression, ['DocumentReference.context.encounter']);
  });

  test('docStatus must be preliminary or final: amended 422 code-invalid, none 422 required', async () => {
    const ids = await seed('epic');
    assert.equal((await call('epic', 'POST', 'DocumentReference', { body: { ...clientDocument(ids), docStatus: 'final' } })).status, 201);
    assertRefused(await call('epic', 'POST', 'DocumentReference', { body: { ...clientDocument(ids), docStatus: 'amended' } }), 422, 'code-invalid');
    const { docStatus: _dropped, ...body } = clientDocument(ids);
    assertRefused(await call('epic', 'POST', 'DocumentReference', { body }), 422, 'required');
  });

  test('the client\'s DocumentReference is stored as sent and found by the client\'s own date', async () => {
    const ids = await seed('epic');
    const created = await call('epic', 'POST', 'DocumentReference', { body: clientDocument(ids) });
    assert.equal(created.status, 201, created.text);
    assert.equal(await total('epic', `DocumentReference?patient=${ids.patient}&type=http://loinc.org|11506-3&date=2026-12-05T10:00:00Z`), 1);
  });

  test('smart-configuration offers private_key_jwt only, and FHIR requests need a token', async () => {
    const configuration = await emulations.epic.server.request('GET', '.well-known/smart-configuration');
    assert.deepEqual(configuration.body.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    assert.equal((await emulations.epic.server.request('GET', 'Patient?_count=1')).status, 401);
  });
});

describe('--emulate oracle-health: its own rules', () => {
  test('a laboratory Observation without encounter is created', async () => {
    const ids = await seed('oracle-health');
    const { encounter: _dropped, ...body } = oracleObservation(ids);
    body.category = [{ coding: [{ system: categorySystem, code: 'laboratory' }] }];
    const created = await call('oracle-health', 'POST', 'Observation', { body });
    assert.equal(created.status, 201, created.text);
  });

  test('the client\'s vital sign with a Patient as performer: 422 business-rule; without performer: 422 required', async () => {
    const ids = await seed('oracle-health');
    const issue = assertRefused(await call('oracle-health', 'POST', 'Observation', { body: clientObservation('oracle-health', ids) }),
      422, 'business-rule');
    assert.deepEqual(issue.expression, ['Observation.performer[0]']);
    const { performer: _dropped, ...body } = oracleObservation(ids);
    assertRefused(await call('oracle-health', 'POST', 'Observation', { body }), 422, 'required');
  });

  test('two categories: 422 business-rule', async () => {
    const ids = await seed('oracle-health');
    const body = { ...oracleObservation(ids), category: [{ coding: [{ system: categorySystem, code: 'vital-signs' }] },
      { coding: [{ system: categorySystem, code: 'laboratory' }] }] };
    assertRefused(await call('oracle-health', 'POST', 'Observation', { body }), 422, 'business-rule');
  });

  test('fields Oracle does not take (identifier) are dropped, as its documentation says', async () => {
    const ids = await seed('oracle-health');
    const created = await call('oracle-health', 'POST', 'Observation', { body: oracleObservation(ids) });
    assert.equal(created.status, 201, created.text);
    const read = await call('oracle-health', 'GET', `Observation/${created.body.id}`);
    assert.equal(read.body.identifier, undefined);
    assert.equal(read.body.code.coding[0].code, emulations['oracle-health'].rows[0].code);
  });

  test('documents: PDF, or text with ;charset=utf-8; text without charset, images: 422 business-rule', async () => {
    const ids = await seed('oracle-health');
    assert.equal((await call('oracle-health', 'POST', 'DocumentReference', { body: oracleDocument(ids, ['pdf']) })).status, 201);
    const plain = oracleDocument(ids, ['text']);
    plain.content[0].attachment.contentType = 'text/plain;charset=utf-8';
    assert.equal((await call('oracle-health', 'POST', 'DocumentReference', { body: plain })).status, 201);
    const xhtml = oracleDocument(ids, ['text']);
    xhtml.content[0].attachment.contentType = 'application/xhtml+xml; charset=utf-8';
    assert.equal((await call('oracle-health', 'POST', 'DocumentReference', { body: xhtml })).status, 201);
    for (const contentType of ['text/plain', 'image/png', 'application/pdf; charset=utf-8']) {
      const body = oracleDocument(ids, ['text']);
      body.content[0].attachment.contentType = contentType;
      assertRefused(await call('oracle-health', 'POST', 'DocumentReference', { body }), 422, 'business-rule');
    }
  });

  test('the client\'s document (docStatus preliminary, no period.end, both attachments) is refused', async () => {
    const ids = await seed('oracle-health');
    assertRefused(await call('oracle-health', 'POST', 'DocumentReference', { body: oracleDocument(ids, ['text', 'pdf']) }), 422, 'business-rule');
    assertRefused(await call('oracle-health', 'POST', 'DocumentReference', { body: { ...oracleDocument(ids), docStatus: 'preliminary' } }),
      422, 'code-invalid');
    const noEnd = { ...oracleDocument(ids), context: { period: { start: '2026-12-05T10:00:00Z' } } };
    assertRefused(await call('oracle-health', 'POST', 'DocumentReference', { body: noEnd }), 422, 'required');
    assertRefused(await call('oracle-health', 'POST', 'DocumentReference', { body: clientDocument(ids, ['pdf']) }), 422, 'code-invalid');
  });

  test('a document\'s date is when Oracle stored it, not the client\'s', async () => {
    const ids = await seed('oracle-health');
    const before = Date.now();
    const created = await call('oracle-health', 'POST', 'DocumentReference', { body: oracleDocument(ids) });
    assert.equal(created.status, 201, created.text);
    const read = await call('oracle-health', 'GET', `DocumentReference/${created.body.id}`);
    assert.ok(Date.parse(read.body.date) >= before - 1000, read.body.date);
    assert.equal(await total('oracle-health', `DocumentReference?patient=${ids.patient}&date=2026-12-05T10:00:00Z`), 0);
  });
});

describe('token endpoint: client_secret_basic (the Oracle Health fixture)', () => {
  const server = () => emulations['oracle-health'].server;

  test('smart-configuration lists client_secret_basic', async () => {
    const configuration = await server().request('GET', '.well-known/smart-configuration');
    assert.deepEqual(configuration.body.token_endpoint_auth_methods_supported, ['client_secret_basic']);
  });

  test('the right id and secret, form-urlencoded: a token that opens FHIR requests', async () => {
    const { clientId, secret } = oracleCredentials();
    assert.match(secret, /[:+%]/, 'the fixture\'s secret holds characters that form-urlencoding changes');
    const response = await tokenRequest(server(), { grant_type: 'client_credentials', scope: 'system/DocumentReference.write' },
      { Authorization: basic(clientId, secret) });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.token_type, 'bearer');
    const search = await server().request('GET', 'Patient?_count=1', { headers: { Authorization: `Bearer ${response.body.access_token}` } });
    assert.equal(search.status, 200, search.text);
  });

  test('a wrong secret, another client id, or the secret not form-urlencoded: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const { clientId, secret } = oracleCredentials();
    const raw = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    for (const authorization of [basic(clientId, `${secret}x`), basic('someone-else', secret), raw]) {
      const response = await tokenRequest(server(), { grant_type: 'client_credentials' }, { Authorization: authorization });
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body.error, 'invalid_client');
      assert.match(response.headers['www-authenticate'], /^Basic /);
    }
  });

  test('no credentials, or the secret in the body: 401 invalid_client', async () => {
    const { clientId, secret } = oracleCredentials();
    for (const fields of [{}, { client_id: clientId, client_secret: secret }]) {
      const response = await tokenRequest(server(), { grant_type: 'client_credentials', ...fields });
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body.error, 'invalid_client');
    }
  });
});
