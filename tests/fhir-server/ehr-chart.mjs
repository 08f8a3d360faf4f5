// Prints what a chart profile wrote for a client, as an EHR's emulation holds it: the
// flowsheet rows (Observations found by patient) and the notes (DocumentReferences):
// a text note in full, a PDF written to a file that can be opened.
//   node ehr-chart.mjs --port-file FILE --ca PEM --patient Patient/ID --output FOLDER
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from './client.mjs';

const { values } = parseArgs({
  options: {
    'port-file': { type: 'string' }, ca: { type: 'string' }, patient: { type: 'string' }, output: { type: 'string' },
  },
});
if (!values['port-file'] || !values.ca || !values.patient || !values.output) {
  console.error('usage: node ehr-chart.mjs --port-file FILE --ca PEM --patient Patient/ID --output FOLDER');
  process.exit(2);
}
const server = connect({ portFile: values['port-file'], caFile: values.ca });
const patient = encodeURIComponent(values.patient);
const observations = await server.request('GET', `Observation?patient=${patient}`);
const documents = await server.request('GET', `DocumentReference?patient=${patient}`);
for (const [name, answer] of [['Observation', observations], ['DocumentReference', documents]]) {
  if (answer.status !== 200) {
    console.error(`${name} search failed: HTTP ${answer.status}: ${answer.text}`);
    process.exit(1);
  }
}

const rows = (observations.body.entry ?? []).map((entry) => entry.resource)
  .sort((a, b) => (a.effectiveDateTime ?? '').localeCompare(b.effectiveDateTime ?? '') ||
    (a.code?.coding?.[0]?.code ?? '').localeCompare(b.code?.coding?.[0]?.code ?? ''))
  .map((observation) => ({
    time: (observation.effectiveDateTime ?? '').slice(0, 19).replace('T', ' '),
    row: observation.code?.coding?.[0]?.code ?? '',
    name: observation.code?.coding?.[0]?.display ?? observation.code?.text ?? '',
    value: observation.valueQuantity?.value?.toFixed(1) ?? '',
    performer: observation.performer?.[0]?.reference ?? '',
  }));
console.log(`Flowsheet rows of ${values.patient}: ${rows.length}`);
const columns = ['time', 'row', 'name', 'value', 'performer'];
const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
const line = (cells) => cells.map((cell, index) => String(cell).padEnd(widths[index])).join('  ').trimEnd();
console.log(line(columns));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(columns.map((column) => row[column])));

const notes = (documents.body.entry ?? []).map((entry) => entry.resource)
  .sort((a, b) => (a.context?.period?.start ?? '').localeCompare(b.context?.period?.start ?? ''));
console.log(`\nNotes of ${values.patient}: ${notes.length}`);
fs.mkdirSync(values.output, { recursive: true });
notes.forEach((note, index) => {
  const title = note.description ?? note.content?.[0]?.attachment?.title ?? '';
  console.log(`\n--- DocumentReference/${note.id}: ${title} (docStatus ${note.docStatus ?? 'none'}, ` +
    `${note.type?.coding?.[0]?.display ?? note.type?.coding?.[0]?.code ?? ''})`);
  for (const { attachment } of note.content ?? []) {
    const bytes = Buffer.from(attachment?.data ?? '', 'base64');
    if ((attachment?.contentType ?? '').startsWith('text/plain')) {
      process.stdout.write(bytes.toString('utf8'));
    } else {
      const file = path.resolve(values.output, `note-${index + 1}.pdf`);
      fs.writeFileSync(file, bytes);
      console.log(`${attachment?.contentType}: ${bytes.length} bytes, written to ${file}`);
    }
  }
});
