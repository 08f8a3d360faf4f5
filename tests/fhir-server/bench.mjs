// Times validated two-entry conditional transactions (QuestionnaireResponse + Observation,
// ifNoneExist on identifier, subject a seeded Patient) against a running server, one at a
// time, and shows whether the cost stays flat as the store grows.
//
//   node bench.mjs --port-file PATH --ca PEM [--count 400]
//   (or FHIR_SERVER_PORT_FILE and TEST_CA in the environment)
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { connect } from './client.mjs';

const { values } = parseArgs({
  options: { 'port-file': { type: 'string' }, ca: { type: 'string' }, count: { type: 'string', default: '400' } },
});
const portFile = values['port-file'] ?? process.env.FHIR_SERVER_PORT_FILE;
const caFile = values.ca ?? process.env.TEST_CA;
const count = Number(values.count);
if (!portFile || !caFile || !(count >= 100)) {
  console.error('usage: node bench.mjs --port-file PATH --ca PEM [--count N, at least 100]');
  process.exit(2);
}

const server = connect({ portFile, caFile });
const system = 'https://fhir.alliance-plugin.org/bench-administration';
const patient = `bench-${randomUUID().slice(0, 8)}`;

function bundle(administration) {
  const responseUrl = `urn:uuid:${randomUUID()}`;
  const entry = (resource, fullUrl, value) => ({
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: `identifier=${system}|${value}` },
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      entry({
        resourceType: 'QuestionnaireResponse',
        identifier: { system, value: administration },
        questionnaire: 'https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0',
        status: 'completed',
        subject: { reference: `Patient/${patient}` },
        authored: '2025-03-01T10:00:00Z',
        item: [{ linkId: 'ors-total', answer: [{ valueDecimal: 17.7 }] }],
      }, responseUrl, administration),
      entry({
        resourceType: 'Observation',
        identifier: [{ system, value: `${administration}-total` }],
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
        code: { coding: [{ system: 'http://snomed.info/sct', code: '716613004' }], text: 'ORS total score' },
        subject: { reference: `Patient/${patient}` },
        effectiveDateTime: '2025-03-01T10:00:00Z',
        valueQuantity: { value: 17.7, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
        derivedFrom: [{ reference: responseUrl }],
      }, `urn:uuid:${randomUUID()}`, `${administration}-total`),
    ],
  };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summary(label, times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `${label}: median ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms`;
}

const seeded = await server.request('PUT', `Patient/${patient}`, { body: { resourceType: 'Patient', id: patient } });
if (seeded.status !== 201) {
  console.error(`seeding Patient/${patient} failed: ${seeded.status} ${seeded.text}`);
  process.exit(1);
}
const times = [];
for (let index = 0; index < count; index++) {
  const body = bundle(randomUUID());
  const started = performance.now();
  const response = await server.request('POST', '', { body });
  times.push(performance.now() - started);
  if (response.status !== 200) {
    console.error(`transaction ${index} failed: ${response.status} ${response.text}`);
    process.exit(1);
  }
}
server.close();
console.log(`${count} two-entry conditional transactions, round trip over HTTPS`);
console.log(summary('all', times));
console.log(summary('first 50', times.slice(0, 50)));
console.log(summary('last 50', times.slice(-50)));
