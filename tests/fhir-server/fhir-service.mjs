// The FHIR R4 interactions, around Medplum's FhirRouter and the indexed MemoryRepository:
// every resource is validated and its references checked before it is stored, PUT to a
// new id creates (201), responses carry Location/ETag, errors are OperationOutcomes.
// Requests run one at a time, which gives transactions and conditional creates the
// isolation a database would. With an Emulation (emulation.mjs, --emulate) an EHR's
// documented write rules come first: what it refuses is refused, what it searches it
// answers.
import { getReferenceString, getStatus, isOk, isResourceType } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';

import { loadDefinitions } from './definitions.mjs';
import { HttpError, httpError, outcome, toHttpError, withDiagnostics } from './outcomes.mjs';
import { referenceIssues } from './references.mjs';
import { IndexedMemoryRepository } from './repository.mjs';
import { runBatch, runTransaction } from './transaction.mjs';
import { requireResource, validId, validationIssues, withoutServerFields } from './validation.mjs';

const requestConfig = { transactions: true };

export class FhirService {
  #queue = Promise.resolve();

  /**
   * ownBase() returns this server's base URL, e.g. https://localhost:8443/fhir/R4.
   * `transactions: false` plays a server without transaction support (--no-transactions).
   * `emulation`: an Emulation (emulation.mjs), or undefined to be a plain FHIR server.
   */
  constructor(ownBase, { transactions = true, emulation = undefined } = {}) {
    loadDefinitions();
    this.ownBase = ownBase;
    this.transactions = transactions;
    this.emulation = emulation;
    this.repository = new IndexedMemoryRepository();
    this.router = new FhirRouter();
  }

  /**
   * Handles one request. `url` is relative to the base (e.g. `Observation?code=x`),
   * `body` the parsed JSON or undefined. Resolves to {status, body, headers}; never rejects.
   */
  handle(request) {
    const result = this.#queue.then(() => this.#respond(request));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #respond(request) {
    try {
      const { status, resource } = await this.dispatch(request);
      const headers = this.#headersFor(status, resource);
      if (!/return=minimal/.test(request.headers?.prefer ?? '') || status >= 300) {
        return { status, body: resource, headers };
      }
      // Prefer: return=minimal. For a Bundle response it applies to each entry.
      if (resource?.resourceType === 'Bundle' && /-response$/.test(resource.type ?? '')) {
        resource.entry = resource.entry.map(({ resource: _resource, ...entry }) => entry);
        return { status, body: resource, headers };
      }
      return { status, body: undefined, headers };
    } catch (error) {
      const failure = toHttpError(error);
      return { status: failure.status, body: failure.outcome, headers: {} };
    }
  }

  /** One interaction, without queueing (a batch calls this for each of its entries). */
  async dispatch({ method, url, headers = {}, body }) {
    const path = url.split('?')[0].replace(/^\/+|\/+$/g, '');
    if (method === 'GET' && path === 'metadata') {
      return { status: 200, resource: this.emulation?.capabilityStatement() ?? capabilityStatement(this.transactions) };
    }
    const route = this.router.find(method, url);
    if (!route) {
      throw httpError(404, 'not-found', `Unknown route: ${method} ${path || '/'}`);
    }
    const { resourceType, id } = route.params;
    if (resourceType !== undefined && !isResourceType(resourceType)) {
      throw httpError(404, 'not-supported', `Unknown resource type: ${resourceType}`);
    }
    const interaction = route.data?.interaction;
    if (this.emulation) {
      const emulated = this.#emulate({ method, url, path, headers, resourceType, interaction });
      if (emulated) {
        return emulated;
      }
    }
    switch (interaction) {
      case 'batch':
        return this.#bundle(body);
      case 'create':
        this.#checkWrite(body, resourceType, id);
        body = withoutServerFields(body);
        if (this.emulation) {
          body = this.emulation.checkCreate(body, this.repository.all('Observation'));
        }
        break;
      case 'update':
        this.#checkWrite(body, resourceType, id);
        break;
      case 'patch':
      case 'operation':
        throw httpError(405, 'not-supported', `${method} ${path} is not supported by this test server`);
      default:
        break;
    }
    const existed = interaction === 'update' && id !== undefined && this.repository.exists(resourceType, id);
    const [result, resource] = await this.router.handleRequest(
      { method, url, pathname: '', body, params: {}, query: {}, headers: ifHeaders(headers), config: requestConfig },
      this.repository
    );
    if (!isOk(result)) {
      throw toHttpError(result);
    }
    const status = interaction === 'update' && id !== undefined && !existed ? 201 : getStatus(result);
    return { status, resource: resource ? this.#decorate(resource, url) : withDiagnostics(result) };
  }

  // The emulation's refusals, and its answer to the searches it takes over; undefined
  // lets the request go on.
  #emulate({ method, url, path, headers, resourceType, interaction }) {
    this.emulation.checkRequest({ method, path, headers, resourceType, interaction });
    if (method === 'GET' && interaction === 'search-type') {
      const query = new URL(url, 'https://localhost').searchParams;
      const bundle = this.emulation.search(resourceType, query, this.repository.all(resourceType));
      if (bundle) {
        return { status: 200, resource: this.#decorate(bundle, url) };
      }
    }
    return undefined;
  }

  #bundle(bundle) {
    requireResource(bundle);
    if (bundle.resourceType !== 'Bundle') {
      throw httpError(400, 'invalid', `POST to the base takes a Bundle, not a ${bundle.resourceType}`, 'resourceType');
    }
    if (bundle.type === 'transaction') {
      // 400 rather than 501: clients (the plugin among them) read a 5xx as passing and
      // retry it with backoff, but this refusal never passes; 400 says "do not send this
      // again", as servers without transactions answer too.
      if (!this.transactions) {
        throw httpError(400, 'not-supported', 'This server does not support transaction Bundles; ' +
          'send each resource on its own (a conditional create), or a batch', 'Bundle.type');
      }
      return runTransaction(this, bundle);
    }
    if (bundle.type === 'batch') {
      return runBatch(this, bundle);
    }
    throw httpError(400, 'invalid', `Bundle.type must be transaction or batch, not ${bundle.type}`, 'Bundle.type');
  }

  // Checks what a create or update would store: 400 when it is no resource or not the one
  // the URL names, 422 when it is invalid or refers to something that does not exist.
  #checkWrite(resource, resourceType, id) {
    requireResource(resource);
    if (resource.resourceType !== resourceType) {
      throw httpError(400, 'invalid', `The URL names ${resourceType}, the body is a ${resource.resourceType}`, 'resourceType');
    }
    if (id !== undefined) {
      if (!validId.test(id)) {
        throw httpError(400, 'invalid', `"${id}" is not a valid FHIR id`);
      }
      if (resource.id !== id) {
        throw httpError(400, 'invalid', `The URL names id ${id}, the body has id ${resource.id ?? '(none)'}`, `${resourceType}.id`);
      }
    }
    const issues = [...validationIssues(resource), ...this.referenceIssues(resource, {})];
    if (issues.length > 0) {
      throw new HttpError(422, outcome(issues));
    }
  }

  /** See references.mjs; `local` adds a transaction's fullUrls and written ids. */
  referenceIssues(resource, local, at) {
    const context = { ...local, ownBase: this.ownBase(), exists: (type, id) => this.repository.exists(type, id) };
    return referenceIssues(resource, context, at);
  }

  /** `Type/id/_history/vid` for a stored resource. */
  versionedReference(resource) {
    const version = resource.meta?.versionId;
    return version ? `${getReferenceString(resource)}/_history/${version}` : getReferenceString(resource);
  }

  // Search results get the fullUrl every FHIR server gives them, and a `next` link
  // while there are more pages (_count and _offset, as Medplum's search takes them).
  #decorate(resource, url) {
    if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
      for (const entry of resource.entry ?? []) {
        entry.fullUrl = `${this.ownBase()}/${getReferenceString(entry.resource)}`;
        entry.search = { mode: 'match' };
      }
      const next = nextPageUrl(`${this.ownBase()}/${url.replace(/^\/+/, '')}`, resource.total);
      if (next) {
        resource.link = [{ relation: 'next', url: next }];
      }
    }
    return resource;
  }

  #headersFor(status, resource) {
    const headers = {};
    if (resource?.id && resource.meta?.versionId && resource.resourceType !== 'OperationOutcome') {
      headers.ETag = `W/"${resource.meta.versionId}"`;
      if (resource.meta.lastUpdated) {
        headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
      }
      if (status === 201 || status === 200) {
        headers.Location = `${this.ownBase()}/${this.versionedReference(resource)}`;
      }
    }
    return headers;
  }
}

// The URL of the page after the one `pageUrl` asked for, or undefined on the last page.
function nextPageUrl(pageUrl, total) {
  const target = new URL(pageUrl);
  const count = Number(target.searchParams.get('_count'));
  const offset = Number(target.searchParams.get('_offset') ?? 0);
  if (!(count > 0) || !(offset >= 0) || typeof total !== 'number' || offset + count >= total) {
    return undefined;
  }
  target.searchParams.set('_offset', String(offset + count));
  return target.href;
}

// The conditional headers Medplum's handlers read.
function ifHeaders(headers) {
  const picked = {};
  for (const name of ['if-none-exist', 'if-match', 'if-none-match', 'if-modified-since']) {
    if (headers[name]) {
      picked[name] = headers[name];
    }
  }
  return picked;
}

function capabilityStatement(transactions) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2025-01-01',
    kind: 'instance',
    software: { name: 'Alliance FHIR test server' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [{
      mode: 'server',
      interaction: [...(transactions ? ['transaction'] : []), 'batch', 'search-system'].map((code) => ({ code })),
      // What clients check before they push (alliancectl test-connection).
      resource: ['Questionnaire', 'QuestionnaireResponse', 'Observation', 'Patient', 'Encounter'].map((type) => ({
        type,
        interaction: ['read', 'create', 'update', 'search-type'].map((code) => ({ code })),
        conditionalCreate: true,
      })),
    }],
  };
}
