// Validates a resource before it is stored, with two validators that catch different
// things: @medplum/core's validateResource (cardinality, types, unknown properties,
// dates, FHIRPath invariants) and the `fhir` package's (codes against required value
// sets, which Medplum does not check). Only errors count; warnings are dropped.
import { isResourceType, OperationOutcomeError, validateResource } from '@medplum/core';
import fhirPackage from 'fhir';

import { httpError, issue } from './outcomes.mjs';

const fhirJs = new fhirPackage.Fhir();

/** A FHIR id (neither validator checks the format of Resource.id). */
export const validId = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The errors that make `resource` unfit to store, [] when there are none. `at` is where
 * the resource sits in the request (e.g. `Bundle.entry[1].resource`); expressions are
 * rewritten to start there.
 */
export function validationIssues(resource, at = undefined) {
  const resourceType = resource.resourceType;
  if (typeof resourceType !== 'string' || !isResourceType(resourceType)) {
    const where = at ? `${at}.resourceType` : 'resourceType';
    return [issue('structure', `${where}: unknown resource type "${resourceType}"`, where)];
  }
  const found = [...medplumIssues(resource), ...fhirJsIssues(resource)];
  const seen = new Set();
  const issues = [];
  for (const { code, message, location } of found) {
    const expression = relocate(location ?? resourceType, resourceType, at);
    const diagnostics = `${expression}: ${message}`;
    if (!seen.has(diagnostics)) {
      seen.add(diagnostics);
      issues.push(issue(code, diagnostics, expression));
    }
  }
  return issues;
}

function medplumIssues(resource) {
  try {
    validateResource(resource);
    return [];
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      return [{ code: 'structure', message: `not a valid resource (${error.message})` }];
    }
    return error.outcome.issue
      .filter((entry) => entry.severity === 'error' || entry.severity === 'fatal')
      .map((entry) => ({
        code: entry.code ?? 'invalid',
        message: entry.details?.text ?? entry.diagnostics ?? 'invalid',
        location: entry.expression?.[0],
      }));
  }
}

function fhirJsIssues(resource) {
  let result;
  try {
    result = fhirJs.validate(resource);
  } catch (error) {
    return [{ code: 'structure', message: `not a valid resource (${error.message})` }];
  }
  return result.messages
    .filter((message) => message.severity === 'error' || message.severity === 'fatal')
    .map((message) => ({
      code: /value ?set/i.test(message.message) ? 'code-invalid' : 'invalid',
      message: message.message,
      location: message.location,
    }));
}

// `Observation.status` -> `Bundle.entry[1].resource.status` when the resource is an entry.
function relocate(location, resourceType, at) {
  if (!at) {
    return location;
  }
  const own = new RegExp(`^${resourceType}(?=[.[]|$)`);
  return own.test(location) ? location.replace(own, at) : `${at}.${location}`;
}

/** Throws 400 unless `value` is a JSON object with a resourceType. */
export function requireResource(value, where = undefined) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.resourceType !== 'string') {
    const place = where ? `${where} is` : 'The request body is';
    throw httpError(400, 'structure', `${place} not a FHIR resource (a JSON object with a resourceType)`, where);
  }
}

/**
 * The resource without what the server assigns on create (id, meta.versionId,
 * meta.lastUpdated): real servers ignore them, MemoryRepository would keep them.
 */
export function withoutServerFields(resource) {
  const { id: _ignored, ...rest } = resource;
  if (rest.meta) {
    const { versionId: _version, lastUpdated: _updated, ...meta } = rest.meta;
    rest.meta = meta;
  }
  return rest;
}
