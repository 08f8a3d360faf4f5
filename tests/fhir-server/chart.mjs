// Prints a client's chart as the test FHIR server holds it: each total-score
// Observation with its date, measure, total, interpretation and the ids of the
// resources, linked to the QuestionnaireResponse it was derived from.
//   node chart.mjs --port-file FILE --ca PEM --patient Patient/ID
import { parseArgs } from 'node:util';
import { connect } from './client.mjs';

const { values } = parseArgs({
  options: { 'port-file': { type: 'string' }, ca: { type: 'string' }, patient: { type: 'string' } },
});
if (!values['port-file'] || !values.ca || !values.patient) {
  console.error('usage: node chart.mjs --port-file FILE --ca PEM --patient Patient/ID');
  process.exit(2);
}
const server = connect({ portFile: values['port-file'], caFile: values.ca });

const observations = await server.request('GET', `Observation?subject=${values.patient}&_count=100`);
const responses = await server.request('GET', `QuestionnaireResponse?subject=${values.patient}&_count=100`);
if (observations.status !== 200 || responses.status !== 200) {
  console.error(`search failed: HTTP ${observations.status} / ${responses.status}`);
  process.exit(1);
}
const rows = (observations.body.entry ?? [])
  .map((entry) => entry.resource)
  .sort((a, b) => (a.effectiveDateTime ?? '').localeCompare(b.effectiveDateTime ?? ''))
  .map((observation) => ({
    date: (observation.effectiveDateTime ?? '').slice(0, 16).replace('T', ' '),
    measure: observation.code?.text ?? '',
    total: observation.valueQuantity?.value?.toFixed(1) ?? '',
    flag: observation.interpretation?.[0]?.text ?? '',
    observation: `Observation/${observation.id}`,
    response: observation.derivedFrom?.[0]?.reference ?? '',
  }));

console.log(`Chart of ${values.patient} on the FHIR server: ${rows.length} total-score Observations, ` +
  `${(responses.body.entry ?? []).length} QuestionnaireResponses`);
const columns = ['date', 'measure', 'total', 'flag', 'observation', 'response'];
const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
const line = (cells) => cells.map((cell, index) => String(cell).padEnd(widths[index])).join('  ').trimEnd();
console.log(line(columns));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(columns.map((column) => row[column])));
