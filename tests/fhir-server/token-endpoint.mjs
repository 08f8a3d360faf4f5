// SMART Backend Services for the test server: discovery, a token endpoint that verifies
// private_key_jwt client assertions (RFC 7523) with `jose` or a client secret sent as
// HTTP Basic (client_secret_basic, RFC 6749 section 2.3.1, as Oracle Health system
// accounts authenticate), and, optionally, bearer tokens required on FHIR requests.
//
//   --jwks PATH            the registered client's public keys (JWKS); enables all of this
//   --client-secret-file PATH
//                          the registered client's secret (the file's first line; the file
//                          must not be readable by group or others); enables all of this
//                          too, with `Authorization: Basic base64(urlencode(id):urlencode(secret))`
//   --client-id ID         the registered client id (default alliance-test-client)
//   --token-lifetime S     seconds an access token lives (default 300)
//   --require-token        every /fhir/R4 request but metadata and .well-known needs a token
//   --granted-scopes "S …" grant only those of the requested scopes that are in this list
//                          (an EHR whose administrator registered the client with fewer
//                          scopes); the answer's `scope` then names what was granted.
//                          Default: every requested scope this server allows.
//   --scope-ignored        like Epic's token endpoint (its documentation says `scope` is
//                          ignored): grants what the client is registered for (the
//                          --granted-scopes list, else every scope below), whatever was
//                          asked and when nothing was.
//
//   GET  /fhir/R4/.well-known/smart-configuration
//   POST /auth/token            grant_type=client_credentials, scope, client_assertion_type,
//                               client_assertion (application/x-www-form-urlencoded); or
//                               grant_type=client_credentials, scope and the Basic header
//   GET  /auth/_issued_count    {"issued": n}: tokens issued since start, for tests that
//                               check that a client caches its token
//
// Errors follow RFC 6749 section 5.2: 400/401 {error, error_description}; a 401 to a
// client that sent Basic credentials carries WWW-Authenticate: Basic. Assertions, secrets,
// tokens and keys are never logged.
import crypto from 'node:crypto';
import fs from 'node:fs';

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';

import { httpError } from './outcomes.mjs';

/** parseArgs options for server.mjs. */
export const smartOptions = {
  jwks: { type: 'string' },
  'client-secret-file': { type: 'string' },
  'client-id': { type: 'string', default: 'alliance-test-client' },
  'token-lifetime': { type: 'string', default: '300' },
  'require-token': { type: 'boolean', default: false },
  'granted-scopes': { type: 'string' },
  'scope-ignored': { type: 'boolean', default: false },
};

export const tokenPath = '/auth/token';
const issuedCountPath = '/auth/_issued_count';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const algorithms = ['RS384', 'ES384'];
const maximumAssertionSeconds = 300;
const formLimit = 64 * 1024;
const formContentType = /^application\/x-www-form-urlencoded\s*(;|$)/i;
// What this server grants: writing results, reading results (for fhir.read_history),
// reading and writing Questionnaires, and writing and finding clinical notes.
const allowedScope =
  /^system\/(QuestionnaireResponse\.(c|cs|write|cud)|Observation\.(c|cs|rs|crs|read|write|cruds)|Questionnaire\.(\*|read|write|[cruds]+)|DocumentReference\.(c|cs|rs|crs|read|write|cruds))$/;
const scopesSupported = [
  'system/QuestionnaireResponse.c', 'system/QuestionnaireResponse.cud', 'system/QuestionnaireResponse.write',
  'system/Observation.c', 'system/Observation.rs', 'system/Observation.read', 'system/Observation.write',
  'system/Questionnaire.rs', 'system/Questionnaire.cruds',
  'system/Questionnaire.read', 'system/Questionnaire.write', 'system/Questionnaire.*',
  'system/Observation.cs', 'system/QuestionnaireResponse.cs',
  'system/DocumentReference.c', 'system/DocumentReference.cs', 'system/DocumentReference.rs', 'system/DocumentReference.write', 'system/DocumentReference.read',
];
// With --scope-ignored and no --granted-scopes: what the test client is registered for.
const registeredScopes = [
  'system/QuestionnaireResponse.c', 'system/Observation.c', 'system/Observation.rs', 'system/Questionnaire.cruds',
];

const oauthJson = 'application/json; charset=utf-8';
const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function oauthError(status, error, description) {
  return { status, body: { error, error_description: description }, headers: noStore, contentType: oauthJson };
}

// An assertion the client got wrong: RFC 7523 section 3.2 says invalid_client.
class ClientError extends Error {}

function readForm(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= formLimit) {
        chunks.push(chunk);
      } else if (size > 8 * formLimit) {
        request.destroy();
      }
    });
    request.on('end', () => resolve(size > formLimit ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export class SmartAuth {
  #keys; // undefined without --jwks
  #clientSecret; // undefined without --client-secret-file
  #tokens = new Map(); // access token -> expiry (ms since the epoch)
  #seenJti = new Map(); // jti -> the assertion's exp (ms since the epoch)
  issued = 0;

  /**
   * Null without --jwks. `ownOrigin()` is https://localhost:PORT once the server listens.
   * Throws an Error with a message for the command line when an option is wrong.
   */
  static fromOptions(options, ownOrigin, basePath) {
    if (!options.jwks && !options['client-secret-file']) {
      if (options['require-token']) {
        throw new Error('--require-token needs --jwks (the registered client\'s public keys) or --client-secret-file');
      }
      return null;
    }
    const lifetime = Number(options['token-lifetime']);
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86400) {
      throw new Error(`--token-lifetime ${options['token-lifetime']} is not a number of seconds from 1 to 86400`);
    }
    let jwks;
    if (options.jwks) {
      try {
        jwks = JSON.parse(fs.readFileSync(options.jwks, 'utf8'));
      } catch (error) {
        throw new Error(`--jwks ${options.jwks}: ${error.message}`);
      }
      if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) {
        throw new Error(`--jwks ${options.jwks} holds no keys`);
      }
    }
    const clientSecret = options['client-secret-file'] ? readClientSecret(options['client-secret-file']) : undefined;
    const grantedScopes = options['granted-scopes']?.split(/ +/).filter(Boolean);
    if (grantedScopes && grantedScopes.length === 0) {
      throw new Error('--granted-scopes needs one or more space-separated scopes');
    }
    return new SmartAuth({
      jwks, clientSecret, clientId: options['client-id'], tokenLifetime: lifetime, requireToken: options['require-token'],
      ownOrigin, basePath, grantedScopes, scopeIgnored: options['scope-ignored'],
    });
  }

  constructor({ jwks, clientSecret, clientId, tokenLifetime, requireToken, ownOrigin, basePath, grantedScopes, scopeIgnored }) {
    this.#keys = jwks ? createLocalJWKSet(jwks) : undefined;
    this.#clientSecret = clientSecret;
    this.clientId = clientId;
    this.grantedScopes = grantedScopes ? new Set(grantedScopes) : undefined;
    this.scopeIgnored = Boolean(scopeIgnored);
    this.tokenLifetime = tokenLifetime;
    this.requireToken = requireToken;
    this.ownOrigin = ownOrigin;
    this.basePath = basePath;
  }

  get tokenUrl() {
    return `${this.ownOrigin()}${tokenPath}`;
  }

  /**
   * The answer to a request this module owns ({status, body, headers, contentType}), or
   * undefined to let the FHIR service handle it. `target` is the request's parsed URL.
   */
  async answer(target, request) {
    const path = target.pathname;
    if (path === tokenPath) {
      if (request.method !== 'POST') {
        return { ...oauthError(405, 'invalid_request', 'The token endpoint takes POST only'), headers: { ...noStore, Allow: 'POST' } };
      }
      return this.#token(request);
    }
    if (path === issuedCountPath && request.method === 'GET') {
      return { status: 200, body: { issued: this.issued }, headers: noStore, contentType: oauthJson };
    }
    if (path === `${this.basePath}/.well-known/smart-configuration` && request.method === 'GET') {
      return { status: 200, body: this.smartConfiguration(), headers: {}, contentType: oauthJson };
    }
    const fhir = path === this.basePath || path.startsWith(`${this.basePath}/`);
    if (this.requireToken && fhir && path !== `${this.basePath}/metadata`) {
      return this.#checkBearer(request.headers.authorization);
    }
    return undefined;
  }

  smartConfiguration() {
    const withKeys = this.#keys !== undefined;
    const withSecret = this.#clientSecret !== undefined;
    return {
      issuer: this.ownOrigin(),
      token_endpoint: this.tokenUrl,
      token_endpoint_auth_methods_supported: [...(withKeys ? ['private_key_jwt'] : []), ...(withSecret ? ['client_secret_basic'] : [])],
      ...(withKeys ? { token_endpoint_auth_signing_alg_values_supported: algorithms } : {}),
      grant_types_supported: ['client_credentials'],
      scopes_supported: scopesSupported,
      capabilities: [...(withKeys ? ['client-confidential-asymmetric'] : []), ...(withSecret ? ['client-confidential-symmetric'] : [])],
    };
  }

  // Undefined when the request carries a live token this server issued, else the 401.
  #checkBearer(authorization) {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
    let problem;
    if (!authorization) {
      problem = 'This server requires an access token: Authorization: Bearer <token> from the token endpoint';
    } else if (!match) {
      problem = 'The Authorization header is not "Bearer <token>"';
    } else {
      const expiry = this.#tokens.get(match[1]);
      if (expiry === undefined) {
        problem = 'The access token was not issued by this server';
      } else if (expiry <= Date.now()) {
        this.#tokens.delete(match[1]);
        problem = 'The access token has expired';
      }
    }
    if (!problem) {
      return undefined;
    }
    return {
      status: 401,
      body: httpError(401, 'login', problem).outcome,
      headers: { 'WWW-Authenticate': `Bearer realm="fhir", error="invalid_token", error_description="${problem.replace(/"/g, '\'')}"` },
      contentType: 'application/fhir+json; charset=utf-8',
    };
  }

  async #token(request) {
    if (!formContentType.test(request.headers['content-type'] ?? '')) {
      request.resume();
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const text = await readForm(request);
    if (text === undefined) {
      return oauthError(400, 'invalid_request', `The request body is larger than ${formLimit} bytes`);
    }
    const form = new URLSearchParams(text);
    for (const name of new Set(form.keys())) {
      if (form.getAll(name).length > 1) {
        return oauthError(400, 'invalid_request', `The parameter ${name} appears more than once`);
      }
    }
    const grantType = form.get('grant_type');
    if (!grantType) {
      return oauthError(400, 'invalid_request', 'grant_type is missing');
    }
    if (grantType !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported; use client_credentials`);
    }
    const unauthenticated = await this.#authenticateClient(request.headers.authorization, form);
    if (unauthenticated) {
      return unauthenticated;
    }
    if (this.scopeIgnored) {
      return this.#issue(this.grantedScopes ? [...this.grantedScopes].join(' ') : registeredScopes.join(' '));
    }
    const scope = (form.get('scope') ?? '').trim();
    if (!scope) {
      return oauthError(400, 'invalid_scope', 'scope is missing');
    }
    const refused = scope.split(/ +/).filter((entry) => !allowedScope.test(entry));
    if (refused.length > 0) {
      return oauthError(400, 'invalid_scope', `Not granted to ${this.clientId}: ${refused.join(' ')}`);
    }
    const requested = scope.split(/ +/);
    // Like an EHR that grants less than asked: a token all the same, with a narrower scope.
    const granted = this.grantedScopes ? requested.filter((entry) => this.grantedScopes.has(entry)) : requested;
    if (granted.length === 0) {
      return oauthError(400, 'invalid_scope', `None of the requested scopes is granted to ${this.clientId}`);
    }
    return this.#issue(granted.join(' '));
  }

  // Undefined when the client proved who it is (one method, RFC 6749 section 2.3: never
  // two), else the error to answer.
  async #authenticateClient(authorization, form) {
    const basic = /^Basic\s+/i.test(authorization ?? '');
    const assertion = form.has('client_assertion') || form.has('client_assertion_type');
    if (basic && assertion) {
      return oauthError(400, 'invalid_request', 'Use one client authentication method: HTTP Basic or a client assertion, not both');
    }
    if (form.has('client_secret')) {
      return oauthError(401, 'invalid_client', 'client_secret in the request body is not accepted; send it as HTTP Basic');
    }
    if (basic) {
      const problem = this.#checkBasic(authorization);
      if (!problem) return undefined;
      const answer = oauthError(401, 'invalid_client', problem);
      return { ...answer, headers: { ...answer.headers, 'WWW-Authenticate': 'Basic realm="token", charset="UTF-8"' } };
    }
    if (this.#keys && form.get('client_assertion_type') === assertionType && form.get('client_assertion')) {
      try {
        await this.#verifyAssertion(form.get('client_assertion'));
        return undefined;
      } catch (error) {
        if (error instanceof ClientError) {
          return oauthError(401, 'invalid_client', error.message);
        }
        throw error;
      }
    }
    const methods = [...(this.#keys ? [`client_assertion_type=${assertionType} and a client_assertion`] : []),
      ...(this.#clientSecret !== undefined ? ['Authorization: Basic with the client id and secret'] : [])];
    return oauthError(401, 'invalid_client', `Client authentication needs ${methods.join(', or ')}`);
  }

  // Undefined when `authorization` is Basic with this client's id and secret, each
  // form-urlencoded before base64 (RFC 6749 section 2.3.1); else what is wrong.
  #checkBasic(authorization) {
    if (this.#clientSecret === undefined) {
      return 'This server takes no client secrets (no --client-secret-file); use a client assertion';
    }
    const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, '').trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      return 'The Basic credentials are not base64 of "client_id:client_secret"';
    }
    let clientId;
    let secret;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      return 'The Basic credentials are not form-urlencoded (RFC 6749 section 2.3.1)';
    }
    const expected = crypto.createHash('sha256').update(this.#clientSecret).digest();
    const given = crypto.createHash('sha256').update(secret).digest();
    if (clientId !== this.clientId || !crypto.timingSafeEqual(expected, given)) {
      return 'Unknown client or wrong client secret';
    }
    return undefined;
  }

  #issue(scope) {
    const now = Date.now();
    for (const [token, expiry] of this.#tokens) {
      if (expiry <= now) {
        this.#tokens.delete(token);
      }
    }
    const accessToken = crypto.randomBytes(32).toString('base64url');
    this.#tokens.set(accessToken, now + this.tokenLifetime * 1000);
    this.issued += 1;
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenLifetime, scope },
      headers: noStore,
      contentType: oauthJson,
    };
  }

  // Throws ClientError with what is wrong; records the jti once the assertion is good.
  async #verifyAssertion(assertion) {
    let header;
    let claims;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new ClientError('client_assertion is not a signed JWT');
    }
    if (!algorithms.includes(header.alg)) {
      throw new ClientError(`alg ${header.alg} is not accepted; use RS384 or ES384`);
    }
    if (header.typ !== 'JWT') {
      throw new ClientError('The assertion\'s header must have typ "JWT"');
    }
    if (typeof header.kid !== 'string' || !header.kid) {
      throw new ClientError('The assertion\'s header has no kid');
    }
    if (claims.iss !== this.clientId || claims.sub !== this.clientId) {
      throw new ClientError('Unknown client: iss and sub must both be the registered client id');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.#keys, {
        algorithms,
        issuer: this.clientId,
        subject: this.clientId,
        audience: this.tokenUrl,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      }));
    } catch (error) {
      throw new ClientError(describeVerificationFailure(error, header, this.tokenUrl));
    }
    const now = Date.now();
    if (payload.exp * 1000 > now + maximumAssertionSeconds * 1000) {
      throw new ClientError('exp is more than 5 minutes ahead');
    }
    if (typeof payload.jti !== 'string' || !payload.jti) {
      throw new ClientError('jti must be a non-empty string');
    }
    for (const [jti, expiry] of this.#seenJti) {
      if (expiry <= now) {
        this.#seenJti.delete(jti);
      }
    }
    if (this.#seenJti.has(payload.jti)) {
      throw new ClientError('This jti has been used before (a replayed assertion)');
    }
    this.#seenJti.set(payload.jti, payload.exp * 1000);
  }
}

// application/x-www-form-urlencoded decoding: `+` is a space, %XX a byte.
function formDecode(text) {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

// The secret: the file's first line. A secret others may read is no secret: refused.
function readClientSecret(path) {
  let status;
  let text;
  try {
    status = fs.statSync(path);
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--client-secret-file ${path}: ${error.message}`);
  }
  if ((status.mode & 0o077) !== 0) {
    throw new Error(`--client-secret-file ${path} may be read by group or others (mode ${(status.mode & 0o777).toString(8)}): chmod 600 it`);
  }
  const secret = text.split(/\r?\n/)[0];
  if (!secret) {
    throw new Error(`--client-secret-file ${path}: the first line is empty`);
  }
  return secret;
}

function describeVerificationFailure(error, header, tokenUrl) {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return `No registered key has kid "${header.kid}" for ${header.alg}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return `Signature verification failed: the assertion was not signed with the private key registered under kid "${header.kid}"`;
  }
  if (error instanceof errors.JWTExpired) {
    return 'The assertion has expired (exp is past)';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return `aud must be the token endpoint URL, ${tokenUrl}`;
    }
    return `Claim ${error.claim}: ${error.reason === 'missing' ? 'missing' : error.message}`;
  }
  if (error instanceof errors.JOSEError) {
    return `client_assertion is not valid: ${error.code}`;
  }
  throw error;
}
