// Transaction Bundles equivalent to the plugin's own: the mapping's golden file for an
// adult ORS (a QuestionnaireResponse and its total-score Observation, each created
// only if its identifier is new) with fresh identifiers and urn:uuids, a seeded
// Patient, and no Encounter (the benchmark's sessions have none, like the plugin's).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
export const goldenBundle = path.resolve(here, '../fhir_mapping/golden/ors_adult_clinical_range.json');

/** The patients the benchmark seeds; session i's client is patient i % count. */
export const patientId = (index) => `bench-p${index}`;

/** Returns make(index): a fresh Bundle object for the index-th administration. */
export function bundleFactory({ patients, golden = goldenBundle }) {
  const template = JSON.parse(fs.readFileSync(golden, 'utf8'));
  for (const entry of template.entry) delete entry.resource.encounter;
  const [response, observation] = template.entry;
  const text = JSON.stringify(template);
  // What changes from one administration to the next, as it appears in the golden file.
  const administration = response.resource.identifier.value;
  const responseUrl = response.fullUrl;
  const observationUrl = observation.fullUrl;
  const patient = response.resource.subject.reference;
  const authored = response.resource.authored;
  return (index) => {
    const now = new Date().toISOString();
    return JSON.parse(text
      .replaceAll(administration, randomUUID())
      .replaceAll(responseUrl, `urn:uuid:${randomUUID()}`)
      .replaceAll(observationUrl, `urn:uuid:${randomUUID()}`)
      .replaceAll(patient, `Patient/${patientId(index % patients)}`)
      .replaceAll(authored, now));
  };
}

/** Throws unless `body` is a transaction-response whose every entry was created. */
export function checkCreated(body, expectedEntries) {
  const entries = body?.entry ?? [];
  const created = entries.filter((entry) => String(entry.response?.status ?? '').startsWith('201')).length;
  if (body?.type !== 'transaction-response' || created !== expectedEntries) {
    throw new Error(`expected ${expectedEntries} created entries, got ${JSON.stringify(body).slice(0, 300)}`);
  }
}
