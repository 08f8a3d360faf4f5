// OperationOutcome helpers: every error this server answers is an OperationOutcome whose
// issues carry `diagnostics` (and `expression` where a place in a resource is to blame),
// together with the HTTP status it is sent with.
import { STATUS_CODES } from 'node:http';

import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';

/** An error that already knows its HTTP status and OperationOutcome. */
export class HttpError extends Error {
  constructor(status, outcome) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
    this.status = status;
    this.outcome = outcome;
  }
}

/** One issue; `expression` is a FHIRPath location or a list of them. */
export function issue(code, diagnostics, expression, severity = 'error') {
  const result = { severity, code, diagnostics };
  if (expression) {
    result.expression = Array.isArray(expression) ? expression : [expression];
  }
  return result;
}

export function outcome(issues) {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function httpError(status, code, diagnostics, expression) {
  return new HttpError(status, outcome([issue(code, diagnostics, expression)]));
}

/** Medplum's outcomes put their text into details.text; clients read diagnostics. */
export function withDiagnostics(operationOutcome) {
  const issues = (operationOutcome.issue ?? []).map((entry) => {
    if (entry.diagnostics || !entry.details?.text) {
      return entry;
    }
    return { ...entry, diagnostics: entry.details.text };
  });
  return { ...operationOutcome, issue: issues };
}

/** Turns anything thrown while handling a request into a status and an OperationOutcome. */
export function toHttpError(error) {
  if (error instanceof HttpError) {
    return error;
  }
  if (error instanceof OperationOutcomeError || isOperationOutcome(error)) {
    const medplumOutcome = error instanceof OperationOutcomeError ? error.outcome : error;
    return new HttpError(getStatus(medplumOutcome), withDiagnostics(medplumOutcome));
  }
  const message = error instanceof Error ? error.message : String(error);
  return httpError(500, 'exception', `Internal error: ${message}`);
}

/** "201 Created", as a Bundle entry's response.status is written. */
export function statusLine(status) {
  const phrase = STATUS_CODES[status];
  return phrase ? `${status} ${phrase}` : String(status);
}
