// Transaction and batch Bundles (POST to the base).
// A transaction is checked whole before anything runs: every entry's resource is
// validated and its references resolved (urn:uuid against the Bundle's fullUrls); one
// problem anywhere -> one 422 OperationOutcome listing them all, and nothing is stored.
// Then Medplum's batch processor runs it (urn:uuid rewriting, ifNoneExist) inside the
// repository's withTransaction, which rolls back on failure. A batch runs each entry as
// its own request.
import { getReferenceString, isOk } from '@medplum/core';

import { HttpError, issue, outcome, statusLine, toHttpError } from './outcomes.mjs';
import { requireResource, validId, validationIssues, withoutServerFields } from './validation.mjs';

const instanceUrl = /^([A-Za-z]+)\/([^/?]+)$/;

export async function runTransaction(service, bundle) {
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const shell = { ...bundle, entry: entries.map(({ resource: _resource, ...rest }) => rest) };
  const issues = validationIssues(shell);
  const fullUrls = new Set(entries.map((entry) => entry.fullUrl).filter(Boolean));
  const written = new Set();
  const createdByPut = new Set();

  entries.forEach((entry, index) => {
    const at = `Bundle.entry[${index}]`;
    const { method, url } = entry.request ?? {};
    if (!method || !url) {
      issues.push(issue('required', `${at}.request: method and url are required in a transaction`, `${at}.request`));
      return;
    }
    if (method === 'PATCH') {
      issues.push(issue('not-supported', `${at}: PATCH is not supported by this test server`, `${at}.request.method`));
      return;
    }
    if (method !== 'POST' && method !== 'PUT') {
      return;
    }
    requireResource(entry.resource, `${at}.resource`);
    const resource = entry.resource;
    const urlType = url.split(/[/?]/)[0];
    if (resource.resourceType !== urlType) {
      issues.push(issue('invalid', `${at}: request.url names ${urlType}, the resource is a ${resource.resourceType}`, `${at}.request.url`));
    }
    const instance = method === 'PUT' ? instanceUrl.exec(url) : null;
    if (instance) {
      const [, resourceType, id] = instance;
      if (!validId.test(id)) {
        issues.push(issue('invalid', `${at}: "${id}" in request.url is not a valid FHIR id`, `${at}.request.url`));
      } else if (resource.id !== id) {
        issues.push(issue('invalid', `${at}: request.url names id ${id}, the resource has id ${resource.id ?? '(none)'}`, `${at}.resource.id`));
      }
      written.add(`${resourceType}/${id}`);
      if (!service.repository.exists(resourceType, id)) {
        createdByPut.add(index);
      }
    }
    issues.push(...validationIssues(resource, `${at}.resource`));
    if (method === 'POST') {
      entry.resource = withoutServerFields(resource);
    }
  });

  entries.forEach((entry, index) => {
    if (entry.resource && (entry.request?.method === 'POST' || entry.request?.method === 'PUT')) {
      issues.push(...service.referenceIssues(entry.resource, { bundleFullUrls: fullUrls, written }, `Bundle.entry[${index}].resource`));
    }
  });
  if (issues.length > 0) {
    throw new HttpError(422, outcome(issues));
  }

  const [result, response] = await service.router.handleRequest(
    { method: 'POST', url: '', pathname: '', body: bundle, params: {}, query: {}, headers: {}, config: { transactions: true } },
    service.repository
  );
  if (!isOk(result)) {
    throw toHttpError(result);
  }
  response.entry = response.entry.map((entry, index) =>
    responseEntry(service, createdByPut.has(index) ? 201 : Number(entry.response?.status), entry.resource)
  );
  return { status: 200, resource: response };
}

export async function runBatch(service, bundle) {
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const shell = { ...bundle, entry: entries.map(({ resource: _resource, ...rest }) => rest) };
  const issues = validationIssues(shell);
  if (issues.length > 0) {
    throw new HttpError(422, outcome(issues));
  }
  const results = [];
  for (const [index, entry] of entries.entries()) {
    try {
      const { method, url, ifNoneExist, ifMatch } = entry.request ?? {};
      if (!method || !url || url.split('?')[0].replace(/^\/+/, '') === '') {
        throw new HttpError(400, outcome([issue('invalid', `Bundle.entry[${index}].request: needs a method and a url other than the base`)]));
      }
      const headers = { 'if-none-exist': ifNoneExist, 'if-match': ifMatch };
      const { status, resource } = await service.dispatch({ method, url, headers, body: entry.resource });
      results.push(responseEntry(service, status, resource));
    } catch (error) {
      const failure = toHttpError(error);
      results.push({ response: { status: statusLine(failure.status), outcome: failure.outcome } });
    }
  }
  return { status: 200, resource: { resourceType: 'Bundle', type: 'batch-response', entry: results } };
}

// A response entry as real servers write it: "201 Created", the versioned location.
function responseEntry(service, status, resource) {
  const response = { status: statusLine(status) };
  const stored = resource?.id && resource.meta?.versionId && resource.resourceType !== 'OperationOutcome';
  if (!stored) {
    return resource ? { resource, response } : { response };
  }
  response.location = service.versionedReference(resource);
  response.etag = `W/"${resource.meta.versionId}"`;
  if (resource.meta.lastUpdated) {
    response.lastModified = resource.meta.lastUpdated;
  }
  return { fullUrl: `${service.ownBase()}/${getReferenceString(resource)}`, resource, response };
}
