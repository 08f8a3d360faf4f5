// SMART Backend Services on the test server (token-endpoint.mjs): the token endpoint
// checks client assertions as an EHR would, and --require-token guards FHIR requests.
// Needs a server started with --jwks, --client-id, --token-lifetime and --require-token:
// FHIR_SERVER_PORT_FILE, TEST_CA, TEST_KEYS (make_test_keys.sh's folder), SMART_CLIENT_ID,
// SMART_TOKEN_LIFETIME (seconds). The --granted-scopes tests start a server of their own
// with start.sh (certificates from TEST_CA's folder, files in a temporary folder).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { importPKCS8, SignJWT } from 'jose';

import { connect, startOwnServer } from './client.mjs';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const clientId = process.env.SMART_CLIENT_ID ?? 'alliance-test-client';
const tokenLifetime = Number(process.env.SMART_TOKEN_LIFETIME ?? 3);
const scope = 'system/QuestionnaireResponse.c system/Observation.c';
let server;
let tokenUrl;
const keys = {};

before(async () => {
  const portFile = process.env.FHIR_SERVER_PORT_FILE;
  const caFile = process.env.TEST_CA;
  const keyFolder = process.env.TEST_KEYS;
  assert.ok(portFile && caFile && keyFolder, 'set FHIR_SERVER_PORT_FILE, TEST_CA and TEST_KEYS');
  server = connect({ portFile, caFile });
  tokenUrl = `https://localhost:${server.port}/auth/token`;
  const load = (file, alg) => importPKCS8(fs.readFileSync(path.join(keyFolder, file), 'utf8'), alg);
  keys.rs384 = { key: await load('rs384.key', 'RS384'), alg: 'RS384', kid: 'alliance-rs384' };
  keys.es384 = { key: await load('es384.key', 'ES384'), alg: 'ES384', kid: 'alliance-es384' };
  // Not registered, but claiming the registered kid: what a client with the wrong key file sends.
  keys.wrong = { key: await load('wrong-es384.key', 'ES384'), alg: 'ES384', kid: 'alliance-es384' };
});
after(() => server?.close());

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** A client assertion; `claims` and `header` override the good defaults. */
function assertion({ key = keys.rs384, claims = {}, header = {} } = {}) {
  const payload = { iss: clientId, sub: clientId, aud: tokenUrl, iat: now(), exp: now() + 240, jti: randomUUID(), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.key);
}

function form(fields) {
  return new URLSearchParams(fields).toString();
}

function requestToken(clientAssertion, fields = {}, to = server) {
  return to.request('POST', '/auth/token', {
    rawBody: form({ grant_type: 'client_credentials', scope, client_assertion_type: assertionType, client_assertion: clientAssertion, ...fields }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
  });
}

async function issuedCount() {
  const response = await server.request('GET', '/auth/_issued_count');
  assert.equal(response.status, 200);
  return response.body.issued;
}

async function token() {
  const response = await requestToken(await assertion());
  assert.equal(response.status, 200, response.text);
  return response.body.access_token;
}

function assertRefused(response, status, error, description) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.error, error);
  if (description) {
    assert.match(response.body.error_description, description);
  }
}

describe('discovery', () => {
  test('smart-configuration names the token endpoint and private_key_jwt with RS384 and ES384', async () => {
    const response = await server.request('GET', '.well-known/smart-configuration');
    assert.equal(response.status, 200);
    assert.equal(response.body.token_endpoint, tokenUrl);
    assert.deepEqual(response.body.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    assert.deepEqual(response.body.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.deepEqual(response.body.grant_types_supported, ['client_credentials']);
    assert.ok(response.body.scopes_supported.includes('system/Observation.c'));
    assert.deepEqual(response.body.capabilities, ['client-confidential-asymmetric']);
  });
});

describe('token endpoint', () => {
  for (const name of ['rs384', 'es384']) {
    test(`a good ${name.toUpperCase()} assertion gets a bearer token`, async () => {
      const before = await issuedCount();
      const response = await requestToken(await assertion({ key: keys[name] }));
      assert.equal(response.status, 200, response.text);
      assert.match(response.body.access_token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(response.body.token_type, 'bearer');
      assert.equal(response.body.expires_in, tokenLifetime);
      assert.equal(response.body.scope, scope);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(await issuedCount(), before + 1);
    });
  }

  test('a replayed assertion (same jti) is refused', async () => {
    const replayed = await assertion();
    assert.equal((await requestToken(replayed)).status, 200);
    assertRefused(await requestToken(replayed), 401, 'invalid_client', /jti.*used before/);
  });

  test('an expired assertion is refused', async () => {
    const expired = await assertion({ claims: { iat: now() - 600, exp: now() - 300 } });
    assertRefused(await requestToken(expired), 401, 'invalid_client', /expired/);
  });

  test('an assertion valid for more than five minutes is refused', async () => {
    assertRefused(await requestToken(await assertion({ claims: { exp: now() + 600 } })), 401, 'invalid_client', /5 minutes/);
  });

  test('an assertion signed by an unregistered key is refused', async () => {
    assertRefused(await requestToken(await assertion({ key: keys.wrong })), 401, 'invalid_client', /Signature verification failed/);
  });

  test('an assertion for another audience is refused', async () => {
    const response = await requestToken(await assertion({ claims: { aud: 'https://ehr.example.org/token' } }));
    assertRefused(response, 401, 'invalid_client', /aud must be the token endpoint URL/);
  });

  test('an assertion from another client id is refused', async () => {
    const response = await requestToken(await assertion({ claims: { iss: 'someone-else', sub: 'someone-else' } }));
    assertRefused(response, 401, 'invalid_client', /Unknown client/);
  });

  test('an assertion with an unknown kid is refused', async () => {
    const response = await requestToken(await assertion({ header: { kid: 'not-registered' } }));
    assertRefused(response, 401, 'invalid_client', /No registered key has kid "not-registered"/);
  });

  test('an assertion without jti is refused', async () => {
    assertRefused(await requestToken(await assertion({ claims: { jti: undefined } })), 401, 'invalid_client', /jti/);
  });

  test('scopes beyond what the client may have are refused', async () => {
    const response = await requestToken(await assertion(), { scope: 'system/Observation.c system/Patient.rs' });
    assertRefused(response, 400, 'invalid_scope', /system\/Patient\.rs/);
  });

  test('v1 and Questionnaire scopes are granted', async () => {
    const v1 = 'system/QuestionnaireResponse.write system/Observation.write system/Questionnaire.read';
    const response = await requestToken(await assertion(), { scope: v1 });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.scope, v1);
  });

  test('another grant type is refused', async () => {
    assertRefused(await requestToken(await assertion(), { grant_type: 'password' }), 400, 'unsupported_grant_type');
  });

  test('a request without client assertion is refused', async () => {
    const response = await server.request('POST', '/auth/token', {
      rawBody: form({ grant_type: 'client_credentials', scope }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assertRefused(response, 401, 'invalid_client');
  });

  test('a JSON body is refused', async () => {
    const response = await server.request('POST', '/auth/token', { body: { grant_type: 'client_credentials' } });
    assertRefused(response, 400, 'invalid_request', /x-www-form-urlencoded/);
  });
});

describe('FHIR requests with --require-token', () => {
  function assertUnauthorized(response) {
    assert.equal(response.status, 401, response.text);
    assert.match(response.headers['www-authenticate'], /^Bearer .*error="invalid_token"/);
    assert.equal(response.body.resourceType, 'OperationOutcome');
    assert.equal(response.body.issue[0].code, 'login');
  }

  test('without a token: 401', async () => {
    assertUnauthorized(await server.request('GET', 'Patient?_count=1'));
  });

  test('with a token this server did not issue: 401', async () => {
    assertUnauthorized(await server.request('GET', 'Patient?_count=1', { headers: { Authorization: 'Bearer bm90LWlzc3VlZA' } }));
  });

  test('with something that is not a bearer token: 401', async () => {
    assertUnauthorized(await server.request('GET', 'Patient?_count=1', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }));
  });

  test('with a good token: 200, and a write works', async () => {
    const authorization = `Bearer ${await token()}`;
    const search = await server.request('GET', 'Patient?_count=1', { headers: { Authorization: authorization } });
    assert.equal(search.status, 200, search.text);
    const id = `smart-${randomUUID().slice(0, 8)}`;
    const put = await server.request('PUT', `Patient/${id}`, {
      body: { resourceType: 'Patient', id, name: [{ family: 'Test' }] },
      headers: { Authorization: authorization },
    });
    assert.equal(put.status, 201, put.text);
  });

  test('with an expired token: 401', async () => {
    const authorization = `Bearer ${await token()}`;
    assert.equal((await server.request('GET', 'Patient?_count=1', { headers: { Authorization: authorization } })).status, 200);
    await sleep(tokenLifetime * 1000 + 300);
    assertUnauthorized(await server.request('GET', 'Patient?_count=1', { headers: { Authorization: authorization } }));
  });

  test('metadata and the SMART configuration need no token', async () => {
    assert.equal((await server.request('GET', 'metadata')).status, 200);
    assert.equal((await server.request('GET', '.well-known/smart-configuration')).status, 200);
  });
});

describe('token endpoint with --granted-scopes', () => {
  let ownServer;

  before(() => {
    ownServer = startOwnServer({
      caFile: process.env.TEST_CA,
      options: ['--jwks', path.join(process.env.TEST_KEYS, 'jwks.json'), '--client-id', clientId,
        '--granted-scopes', 'system/Observation.c system/Questionnaire.rs'],
      name: 'granted-scopes',
    });
  });
  after(() => ownServer?.stop());

  const ownAssertion = () => assertion({ claims: { aud: `https://localhost:${ownServer.port}/auth/token` } });

  test('a token is issued whose scope names only the granted ones of the requested scopes', async () => {
    const response = await requestToken(await ownAssertion(), {}, ownServer);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.scope, 'system/Observation.c');
    assert.ok(response.body.access_token);
  });

  test('a request for none of the granted scopes is refused with invalid_scope', async () => {
    const response = await requestToken(await ownAssertion(), { scope: 'system/QuestionnaireResponse.c' }, ownServer);
    assertRefused(response, 400, 'invalid_scope', /None of the requested scopes/);
  });
});
