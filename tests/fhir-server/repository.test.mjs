// The identifier index answers exactly as MemoryRepository's own scan does, and a failed
// transaction leaves the store (and the index) as it was. No server needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';

import { loadDefinitions } from './definitions.mjs';
import { IndexedMemoryRepository } from './repository.mjs';

loadDefinitions();

const observation = (identifier) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  ...(identifier ? { identifier } : {}),
});

async function fill(repository) {
  await repository.createResource({ ...observation([{ system: 'urn:a', value: 'One' }]), id: 'o1' });
  await repository.createResource({ ...observation([{ system: 'urn:a', value: 'two' }, { system: 'urn:b', value: 'one' }]), id: 'o2' });
  await repository.createResource({ ...observation([{ value: 'one' }]), id: 'o3' });
  await repository.createResource({ ...observation([{ system: 'urn:c' }]), id: 'o4' });
  await repository.createResource({ ...observation(), id: 'o5' });
  await repository.createResource({ resourceType: 'QuestionnaireResponse', id: 'q1', status: 'completed', identifier: { system: 'urn:a', value: 'one' } });
  // An update that changes identifiers, and a delete: the index must follow both.
  await repository.updateResource({ ...observation([{ system: 'urn:a', value: 'three' }]), id: 'o5' });
  await repository.createResource({ ...observation([{ system: 'urn:a', value: 'gone' }]), id: 'o6' });
  await repository.deleteResource('Observation', 'o6');
}

const ids = (bundle) => (bundle.entry ?? []).map((entry) => entry.resource.id).sort();

test('identifier searches from the index equal the scan of the base class', async () => {
  const indexed = new IndexedMemoryRepository();
  const plain = new MemoryRepository();
  await fill(indexed);
  await fill(plain);
  const queries = [
    'Observation?identifier=urn:a|one', 'Observation?identifier=URN:A|ONE', 'Observation?identifier=one',
    'Observation?identifier=|one', 'Observation?identifier=urn:a|', 'Observation?identifier=urn:c|',
    'Observation?identifier=urn:a|one,urn:b|one', 'Observation?identifier=urn:a|three', 'Observation?identifier=urn:a|gone',
    'Observation?identifier=none', 'QuestionnaireResponse?identifier=urn:a|one', 'Observation?identifier=urn:a|one&_count=0',
  ];
  for (const query of queries) {
    const [fromIndex, fromScan] = await Promise.all([indexed.search(parseSearchRequest(query)), plain.search(parseSearchRequest(query))]);
    assert.deepEqual(ids(fromIndex), ids(fromScan), query);
    assert.equal(fromIndex.total, fromScan.total, query);
  }
});

test('a failed transaction leaves resources, history and index as they were', async () => {
  const repository = new IndexedMemoryRepository();
  await fill(repository);
  await repository.updateResource({ ...(await repository.readResource('Observation', 'o1')), status: 'amended' });
  const before = await repository.readHistory('Observation', 'o1');
  assert.equal(before.entry.length, 2);
  await assert.rejects(repository.withTransaction(async () => {
    await repository.createResource({ ...observation([{ system: 'urn:a', value: 'new' }]), id: 'n1' });
    await repository.updateResource({ ...observation([{ system: 'urn:a', value: 'changed' }]), id: 'o1' });
    await repository.deleteResource('Observation', 'o2');
    throw new Error('abort');
  }), /abort/);
  await assert.rejects(repository.readResource('Observation', 'n1'));
  assert.equal((await repository.readResource('Observation', 'o1')).identifier[0].value, 'One');
  assert.equal((await repository.readResource('Observation', 'o1')).status, 'amended');
  assert.ok(await repository.readResource('Observation', 'o2'));
  assert.deepEqual(await repository.readHistory('Observation', 'o1'), before);
  assert.deepEqual(await repository.readHistory('Observation', 'o1'), before, 'reading history twice gives the same order');
  assert.deepEqual(ids(await repository.search(parseSearchRequest('Observation?identifier=urn:a|new'))), []);
  assert.deepEqual(ids(await repository.search(parseSearchRequest('Observation?identifier=urn:a|changed'))), []);
  assert.deepEqual(ids(await repository.search(parseSearchRequest('Observation?identifier=urn:a|one'))), ['o1']);
  assert.deepEqual(ids(await repository.search(parseSearchRequest('Observation?identifier=urn:b|one'))), ['o2']);
});

test('a canonical search matches the whole url, and the version', async () => {
  const repository = new IndexedMemoryRepository();
  const questionnaire = (id, url, version) => ({ resourceType: 'Questionnaire', id, status: 'active', url, version });
  await repository.createResource(questionnaire('ors', 'https://x.org/Questionnaire/ors', '1.0.0'));
  await repository.createResource(questionnaire('ors-es', 'https://x.org/Questionnaire/ors-es', '1.0.0'));
  await repository.createResource(questionnaire('ors-2', 'https://x.org/Questionnaire/ors', '2.0.0'));
  const cases = [
    ['Questionnaire?url=https://x.org/Questionnaire/ors&version=1.0.0', ['ors']],
    ['Questionnaire?url=https%3A%2F%2Fx.org%2FQuestionnaire%2Fors&version=1.0.0', ['ors']],
    ['Questionnaire?url=https://x.org/Questionnaire/ors', ['ors', 'ors-2']],
    ['Questionnaire?url=https://x.org/Questionnaire/ors-es&version=1.0.0', ['ors-es']],
    ['Questionnaire?url=https://x.org/Questionnaire/ors&version=3.0.0', []],
    ['Questionnaire?url=https://x.org/Questionnaire/or', []],
  ];
  for (const [query, expected] of cases) {
    const found = await repository.search(parseSearchRequest(query));
    assert.deepEqual(ids(found), expected, query);
    assert.equal(found.total, expected.length, query);
  }
});
