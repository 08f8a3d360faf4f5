// Emulations of two EHRs' documented write rules (--emulate epic|oracle-health), so that
// Alliance's client meets, in tests, the refusals a real Epic or Oracle Health Millennium
// system would answer. These come from the vendors' PUBLIC documentation (see
// docs/emulations.md for the rules, the citations and what stays unknown); they are not
// the products, and where the documentation is silent the answer is a plausible FHIR one.
//
//   --emulate NAME          epic or oracle-health
//   --flowsheet-rows PATH   {"rows": [{"system": "...", "code": "...", "display": "..."}]}:
//                           the flowsheet rows (Epic) or result codes (Oracle) the clinic's
//                           EHR team mapped; an Observation must carry one of them
//
// fhir-service.mjs calls, in this order: checkRequest (before routing), search (for the
// searches this emulation answers itself), checkCreate (after validation, before storing;
// it returns what is stored). Without --emulate none of this runs.
import fs from 'node:fs';

import { matching, searchParameters } from './emulated-search.mjs';
import { HttpError } from './outcomes.mjs';

/** parseArgs options for server.mjs. */
export const emulationOptions = {
  emulate: { type: 'string' },
  'flowsheet-rows': { type: 'string' },
};

const observationCategory = 'http://terminology.hl7.org/CodeSystem/observation-category';
const epicErrorSystem = 'urn:oid:1.2.840.114350.1.13.0.1.7.2.657369';
// Epic's error codes that a public list confirms (see docs/emulations.md).
const epicErrors = {
  invalidParameter: { code: '4100', display: 'The resource request contained an invalid parameter.' },
  missingParameter: { code: '4111', display: 'Required search parameter missing from request.' },
};
// Oracle: "the following MIME types are supported", each text type with charset=utf-8.
const oracleContentTypes = ['application/pdf', 'text/plain', 'text/richtext', 'text/rtf', 'text/html',
  'application/xml', 'application/xhtml+xml'];
// Oracle: "only the body fields mentioned below are supported. Unsupported fields are ignored."
const oracleCreateFields = {
  Observation: ['resourceType', 'status', 'category', 'code', 'subject', 'encounter', 'effectiveDateTime', 'issued',
    'performer', 'valueQuantity', 'valueCodeableConcept', 'valueString', 'valueAttachment', 'valueDateTime',
    'interpretation', 'note', 'referenceRange', 'component'],
  DocumentReference: ['resourceType', 'status', 'docStatus', 'type', 'subject', 'author', 'authenticator', 'content', 'context'],
};

const profiles = {
  epic: {
    title: 'Epic',
    allowedCategories: ['vital-signs'],
    searches: {
      Observation: { parameters: ['_id', 'patient', 'subject', 'category', 'code', 'date'], requireOneOf: ['_id', 'patient', 'subject'] },
      DocumentReference: {
        parameters: ['_id', 'patient', 'subject', 'category', 'type', 'date', 'encounter'], requireOneOf: ['_id', 'patient', 'subject'],
      },
    },
  },
  'oracle-health': {
    title: 'Oracle Health Millennium',
    allowedCategories: ['vital-signs', 'laboratory'],
    searches: {
      Observation: { parameters: ['_id', 'patient', 'subject', 'category', 'code', 'date'], requireOneOf: ['_id', 'patient', 'subject'] },
      DocumentReference: { parameters: ['_id', 'patient', 'category', 'type', 'date', 'encounter'], requireOneOf: ['_id', 'patient'] },
    },
    // Documented as supported, answered by neither this emulation nor refused silently.
    documentedNotEmulated: ['_lastUpdated', '_revinclude', 'period'],
  },
};

export class Emulation {
  /**
   * Undefined without --emulate. Throws an Error with a message for the command line when
   * an option is wrong.
   */
  static fromOptions(options) {
    const name = options.emulate;
    if (name === undefined) {
      if (options['flowsheet-rows']) throw new Error('--flowsheet-rows needs --emulate');
      return undefined;
    }
    if (!profiles[name]) {
      throw new Error(`--emulate ${name}: choose ${Object.keys(profiles).join(' or ')}`);
    }
    if (!options['flowsheet-rows']) {
      throw new Error('--emulate needs --flowsheet-rows PATH (the rows or codes the clinic mapped)');
    }
    return new Emulation(name, readRows(options['flowsheet-rows']));
  }

  constructor(name, rows) {
    this.name = name;
    this.profile = profiles[name];
    this.rows = rows;
    this.rowKeys = new Set(rows.map((row) => `${row.system}|${row.code}`));
  }

  get softwareName() {
    return `Alliance test server emulating ${this.profile.title} (from public documentation)`;
  }

  // An HttpError shaped as this vendor's OperationOutcomes are: severity, code,
  // details.text and diagnostics; for Epic, details.coding with Epic's own error code where
  // one is known.
  refusal(status, code, text, { expression, epicError } = {}) {
    const entry = { severity: epicError ? 'fatal' : 'error', code, details: { text }, diagnostics: text };
    if (this.name === 'epic' && epicError) {
      entry.details.coding = [{ system: epicErrorSystem, ...epicError }];
    }
    if (expression) entry.expression = [expression];
    return new HttpError(status, { resourceType: 'OperationOutcome', issue: [entry] });
  }

  /** Refuses what neither EHR takes, whatever the resource: bundles, conditional creates, forms. */
  checkRequest({ method, path, headers, resourceType, interaction }) {
    const title = this.profile.title;
    if (method === 'POST' && path === '') {
      throw this.refusal(400, 'not-supported', `${title} takes no transaction or batch Bundles: send each resource on its own`,
        { expression: 'Bundle.type' });
    }
    if (headers['if-none-exist']) {
      throw this.refusal(400, 'not-supported', `${title} does not support conditional create (If-None-Exist)`);
    }
    if (interaction === 'create' && resourceType === 'Questionnaire') {
      throw this.refusal(405, 'not-supported', `${title} does not create Questionnaires through FHIR`);
    }
    if (interaction === 'create' && resourceType === 'QuestionnaireResponse') {
      if (this.name === 'epic') {
        throw this.refusal(422, 'business-rule', 'Epic files a QuestionnaireResponse only for a questionnaire Epic assigned ' +
          '(Epic questionnaire and question ids), not for one of the client\'s own', { expression: 'QuestionnaireResponse.questionnaire' });
      }
      throw this.refusal(405, 'not-supported', 'Oracle Health Millennium R4 does not create QuestionnaireResponses');
    }
  }

  /**
   * The searchset Bundle for a search this emulation answers (Observation and
   * DocumentReference), or undefined to let the server's own search answer.
   * `stored` is the iterable of stored resources of that type.
   */
  search(resourceType, query, stored) {
    const rules = this.profile.searches[resourceType];
    if (!rules) return undefined;
    const criteria = [];
    for (const [name, value] of query) {
      if (name === '_count' || name === '_offset') continue;
      if (this.profile.documentedNotEmulated?.includes(name)) {
        throw this.refusal(400, 'not-supported', `${name}: documented by ${this.profile.title} but not emulated by this test server`);
      }
      if (!rules.parameters.includes(name) || !searchParameters[resourceType][name]) {
        throw this.refusal(400, 'not-supported', `${this.profile.title} does not support the search parameter "${name}" ` +
          `on ${resourceType}; supported: ${rules.parameters.join(', ')}`, { epicError: epicErrors.invalidParameter });
      }
      criteria.push([name, value]);
    }
    if (!criteria.some(([name]) => rules.requireOneOf.includes(name))) {
      throw this.refusal(400, 'required', `A ${resourceType} search needs ${rules.requireOneOf.join(' or ')}`,
        { epicError: epicErrors.missingParameter });
    }
    const found = matching(resourceType, stored, criteria);
    const count = query.has('_count') ? Number(query.get('_count')) : undefined;
    const offset = Number(query.get('_offset') ?? 0);
    const page = count > 0 ? found.slice(offset, offset + count) : found.slice(offset);
    const entry = page.map((resource) => ({ resource: structuredClone(resource) }));
    return { resourceType: 'Bundle', type: 'searchset', total: found.length, ...(entry.length ? { entry } : {}) };
  }

  /**
   * Refuses a create this EHR would refuse; returns the resource as this EHR stores it.
   * `storedObservations` is the iterable of stored Observations (for repeated readings).
   */
  checkCreate(resource, storedObservations) {
    if (resource.resourceType === 'Observation') {
      this.#checkObservation(resource);
      this.#refuseRepeatedReading(resource, storedObservations);
    } else if (resource.resourceType === 'DocumentReference') {
      if (this.name === 'epic') this.#checkEpicDocument(resource);
      else this.#checkOracleDocument(resource);
    }
    return this.name === 'oracle-health' ? oracleStored(resource) : resource;
  }

  #checkObservation(observation) {
    const categories = (observation.category ?? []).flatMap((concept) => concept.coding ?? [])
      .filter((coding) => coding.system === observationCategory).map((coding) => coding.code);
    const allowed = this.profile.allowedCategories;
    if (!categories.some((code) => allowed.includes(code))) {
      throw this.refusal(422, 'code-invalid', `Observation.category must be ${allowed.join(' or ')} ` +
        `(${observationCategory}); ${this.profile.title} files no other Observations`, { expression: 'Observation.category' });
    }
    if (this.name === 'oracle-health' && observation.category.length > 1) {
      throw this.refusal(422, 'business-rule', 'Only one category may be supplied on create', { expression: 'Observation.category' });
    }
    if (!this.mappedRow(observation)) {
      throw this.refusal(422, 'code-invalid', `Observation.code names no ${this.name === 'epic' ? 'flowsheet row' : 'result code'} ` +
        `mapped in this ${this.profile.title} system (mapped: ${[...this.rowKeys].join(', ')})`, { expression: 'Observation.code' });
    }
    this.#requireReference(observation.subject, 'Patient', 'Observation.subject');
    if (this.name === 'epic') {
      this.#requireReference(observation.encounter, 'Encounter', 'Observation.encounter',
        'Epic files a flowsheet reading into an encounter: Observation.encounter is required');
    }
    if (typeof observation.effectiveDateTime !== 'string') {
      throw this.refusal(422, 'required', 'Observation.effectiveDateTime is required (a dateTime)', { expression: 'Observation.effectiveDateTime' });
    }
    if (!observation.valueQuantity) {
      throw this.refusal(422, 'required', 'Observation.valueQuantity is required for a vital sign', { expression: 'Observation.valueQuantity' });
    }
    if (this.name === 'oracle-health') {
      if (!['final', 'amended', 'corrected'].includes(observation.status)) {
        throw this.refusal(422, 'code-invalid', 'Observation.status must be final, amended or corrected', { expression: 'Observation.status' });
      }
      const vitalSign = categories.includes('vital-signs');
      const performers = observation.performer ?? [];
      if (vitalSign && performers.length === 0) {
        throw this.refusal(422, 'required', 'Vital signs require a performer (a Practitioner)', { expression: 'Observation.performer' });
      }
      const notPractitioner = performers.findIndex((performer) => !/^Practitioner\//.test(performer.reference ?? ''));
      if (notPractitioner >= 0) {
        throw this.refusal(422, 'business-rule', 'Observation.performer must be a reference to a Practitioner',
          { expression: `Observation.performer[${notPractitioner}]` });
      }
    }
  }

  /** The coding of `observation` that names a mapped row, or undefined. */
  mappedRow(observation) {
    return (observation.code?.coding ?? []).find((coding) => this.rowKeys.has(`${coding.system}|${coding.code}`));
  }

  // A second reading of one row for one patient at one time is refused as already
  // existing: the client reads this answer as "delivered".
  #refuseRepeatedReading(observation, storedObservations) {
    const row = this.mappedRow(observation);
    const instant = Date.parse(observation.effectiveDateTime);
    for (const stored of storedObservations) {
      const sameRow = (stored.code?.coding ?? []).some((coding) => coding.system === row.system && coding.code === row.code);
      if (sameRow && stored.subject?.reference === observation.subject.reference && Date.parse(stored.effectiveDateTime) === instant) {
        throw this.refusal(409, 'duplicate', `A reading already exists for ${row.system}|${row.code} at ` +
          `${observation.effectiveDateTime} for ${observation.subject.reference} (Observation/${stored.id})`,
        { expression: 'Observation.effectiveDateTime' });
      }
    }
  }

  #checkEpicDocument(document) {
    this.#requireCommonDocument(document);
    if (!['preliminary', 'final'].includes(document.docStatus)) {
      const problem = document.docStatus === undefined ? 'required' : 'code-invalid';
      throw this.refusal(422, problem, 'DocumentReference.docStatus must be preliminary (a clinician reviews and signs) or final',
        { expression: 'DocumentReference.docStatus' });
    }
    this.#requireReference(document.context?.encounter?.[0], 'Encounter', 'DocumentReference.context.encounter',
      'Epic files a clinical note into an encounter: DocumentReference.context.encounter is required');
    this.#requireOneAttachment(document);
    const contentType = document.content[0].attachment?.contentType ?? '';
    if (!/^text\/plain\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(contentType)) {
      throw this.refusal(422, 'business-rule', `Epic takes a clinical note as text/plain (optionally ; charset=utf-8), not "${contentType}"`,
        { expression: 'DocumentReference.content[0].attachment.contentType' });
    }
  }

  #checkOracleDocument(document) {
    this.#requireCommonDocument(document);
    if (document.status !== 'current') {
      throw this.refusal(422, 'code-invalid', 'DocumentReference.status must be current', { expression: 'DocumentReference.status' });
    }
    if (!['final', 'amended'].includes(document.docStatus)) {
      throw this.refusal(422, document.docStatus === undefined ? 'required' : 'code-invalid',
        'DocumentReference.docStatus must be final or amended (system access)', { expression: 'DocumentReference.docStatus' });
    }
    const authors = document.author ?? [];
    const notPractitioner = authors.findIndex((author) => !/^Practitioner\//.test(author.reference ?? ''));
    if (notPractitioner >= 0) {
      throw this.refusal(422, 'business-rule', 'DocumentReference.author must contain only Practitioner references',
        { expression: `DocumentReference.author[${notPractitioner}]` });
    }
    this.#requireOneAttachment(document);
    const attachment = document.content[0].attachment ?? {};
    if (!oracleContentTypeAllowed(attachment.contentType ?? '')) {
      throw this.refusal(422, 'business-rule', `Unsupported content type "${attachment.contentType ?? ''}": use application/pdf, or ` +
        `${oracleContentTypes.slice(1).join(', ')} with ;charset=utf-8`, { expression: 'DocumentReference.content[0].attachment.contentType' });
    }
    if (!attachment.data) {
      throw this.refusal(422, 'required', 'content.attachment.data is required', { expression: 'DocumentReference.content[0].attachment.data' });
    }
    if ((document.context?.encounter ?? []).length > 1) {
      throw this.refusal(422, 'business-rule', 'Only a single encounter reference is supported', { expression: 'DocumentReference.context.encounter' });
    }
    const period = document.context?.period;
    if (!period?.end) {
      throw this.refusal(422, 'required', 'DocumentReference.context.period.end is required', { expression: 'DocumentReference.context.period.end' });
    }
    for (const [name, value] of Object.entries(period)) {
      if (!String(value).includes('T')) {
        throw this.refusal(422, 'business-rule', `context.period.${name}: all dates must have a time component`,
          { expression: `DocumentReference.context.period.${name}` });
      }
    }
  }

  #requireCommonDocument(document) {
    if (!document.type?.coding?.length) {
      throw this.refusal(422, 'required', 'DocumentReference.type is required (a coded note type)', { expression: 'DocumentReference.type' });
    }
    this.#requireReference(document.subject, 'Patient', 'DocumentReference.subject');
  }

  #requireOneAttachment(document) {
    const count = document.content?.length ?? 0;
    if (count !== 1) {
      throw this.refusal(422, count === 0 ? 'required' : 'business-rule',
        `DocumentReference.content must contain exactly one attachment, not ${count}`, { expression: 'DocumentReference.content' });
    }
  }

  #requireReference(reference, type, expression, text = `${expression} is required (a ${type} reference)`) {
    if (!new RegExp(`^${type}/`).test(reference?.reference ?? '')) {
      throw this.refusal(422, 'required', text, { expression });
    }
  }

  /** The CapabilityStatement of this emulation. */
  capabilityStatement() {
    const searchesOf = (type) => (this.profile.searches[type]?.parameters ?? [])
      .map((name) => ({ name, type: searchParameterType(type, name) }));
    const resource = (type, interactions) => ({
      type,
      interaction: interactions.map((code) => ({ code })),
      conditionalCreate: false,
      ...(this.profile.searches[type] ? { searchParam: searchesOf(type) } : {}),
    });
    return {
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: '2025-01-01',
      kind: 'instance',
      software: { name: this.softwareName },
      fhirVersion: '4.0.1',
      format: ['application/fhir+json'],
      rest: [{
        mode: 'server',
        interaction: [],
        resource: [
          resource('Observation', ['create', 'read', 'search-type']),
          resource('DocumentReference', ['create', 'read', 'search-type']),
          resource('QuestionnaireResponse', ['read', 'search-type']),
          resource('Questionnaire', ['read', 'search-type']),
          resource('Patient', ['read', 'search-type']),
          resource('Encounter', ['read', 'search-type']),
          resource('Practitioner', ['read', 'search-type']),
        ],
      }],
    };
  }
}

function searchParameterType(resourceType, name) {
  const kind = searchParameters[resourceType][name]?.kind;
  return kind === 'id' ? 'token' : kind;
}

function oracleContentTypeAllowed(contentType) {
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (!oracleContentTypes.includes(type)) return false;
  if (type === 'application/pdf') return parameters.length === 0;
  return parameters.length === 1 && /^charset="?utf-8"?$/.test(parameters[0].replace(/\s+/g, ''));
}

// Oracle ignores the fields its create does not list; DocumentReference.date, which it
// does not take, is "when this document reference was created".
function oracleStored(resource) {
  const fields = oracleCreateFields[resource.resourceType];
  if (!fields) return resource;
  const stored = Object.fromEntries(Object.entries(resource).filter(([name]) => fields.includes(name) || name === 'meta'));
  if (stored.resourceType === 'DocumentReference') {
    stored.date = new Date().toISOString();
  }
  return stored;
}

function readRows(path) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`--flowsheet-rows ${path}: ${error.message}`);
  }
  const rows = parsed?.rows;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`--flowsheet-rows ${path}: expected {"rows": [{"system": ..., "code": ..., "display": ...}, ...]}`);
  }
  rows.forEach((row, index) => {
    if (typeof row?.system !== 'string' || !row.system || typeof row.code !== 'string' || !row.code) {
      throw new Error(`--flowsheet-rows ${path}: rows[${index}] needs a system and a code (strings)`);
    }
  });
  return rows;
}
