// Medplum's MemoryRepository plus what a real server's database gives:
//  - an identifier index, so a search whose only filter is `identifier` (and with it every
//    ifNoneExist) is a map look-up instead of a FHIRPath scan of every stored resource
//    (about 2 ms per stored resource, measured),
//  - exact canonical searches: `url` (optionally with `version`) matches the whole URL, as
//    FHIR's uri search does without :below; the base class also matched longer URLs that
//    start with it (`.../Questionnaire/ors` found `.../Questionnaire/ors-es`), so a
//    conditional create of a Questionnaire on url and version answered 412, and
//  - rollback for transactions (the base class has none), from a journal of the writes
//    made since the outermost withTransaction began.
// Not safe for overlapping requests: server.mjs runs one request at a time.
import { getSearchParameter, Operator } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';

const separator = '\u0000';

export class IndexedMemoryRepository extends MemoryRepository {
  // Index key -> Set of ids; see identifierKeys. Lower case, as Medplum's token matching is.
  #identifierIndex = new Map();
  // type + id -> the keys under which that resource is indexed now.
  #keysOfResource = new Map();
  // Writes since the outermost withTransaction began; undefined outside a transaction.
  #journal = undefined;

  constructor() {
    super();
    // Rolling back must put versions back without making new ones, so it uses the base
    // class's maps (private in TypeScript only). Fail loudly if a new version renames them.
    if (!(this.resources instanceof Map) || !(this.history instanceof Map)) {
      throw new Error('MemoryRepository internals changed: keep @medplum/fhir-router at 4.5.2');
    }
  }

  /** The stored resource (not a copy: do not modify it), or undefined. */
  current(resourceType, id) {
    return this.resources.get(resourceType)?.get(id);
  }

  /** The stored resources of one type (not copies: do not modify them). */
  all(resourceType) {
    return this.resources.get(resourceType)?.values() ?? [];
  }

  exists(resourceType, id) {
    return this.current(resourceType, id) !== undefined;
  }

  // updateResource ends in createResource, so indexing here covers updates too.
  async createResource(resource, options) {
    const previous = resource.id ? this.current(resource.resourceType, resource.id) : undefined;
    const stored = await super.createResource(resource, options);
    const version = this.current(stored.resourceType, stored.id);
    this.#journal?.push({ kind: 'write', resourceType: stored.resourceType, id: stored.id, previous, version });
    this.#index(stored.resourceType, stored.id, stored);
    return stored;
  }

  async deleteResource(resourceType, id) {
    const previous = this.current(resourceType, id);
    await super.deleteResource(resourceType, id);
    this.#journal?.push({ kind: 'delete', resourceType, id, previous });
    this.#index(resourceType, id, undefined);
  }

  // The base class reverses its stored list in place, so every read flipped the order.
  async readHistory(resourceType, id) {
    await this.readResource(resourceType, id);
    const versions = [...(this.history.get(resourceType)?.get(id) ?? [])].reverse();
    const entry = versions.map((version) => ({ resource: structuredClone(version) }));
    return { resourceType: 'Bundle', type: 'history', ...(entry.length ? { entry } : undefined) };
  }

  async search(searchRequest) {
    const ids = this.#identifierMatches(searchRequest) ?? this.#canonicalMatches(searchRequest);
    if (!ids) {
      return super.search(searchRequest);
    }
    const stored = this.resources.get(searchRequest.resourceType);
    const matches = [...ids].map((id) => stored.get(id));
    const offset = searchRequest.offset ?? 0;
    const end = searchRequest.count === undefined ? undefined : offset + searchRequest.count;
    const page = matches.slice(offset, end).map((resource) => ({ resource: structuredClone(resource) }));
    return { resourceType: 'Bundle', type: 'searchset', entry: page.length ? page : undefined, total: matches.length };
  }

  async withTransaction(callback) {
    if (this.#journal) {
      return callback(undefined);
    }
    this.#journal = [];
    try {
      return await callback(undefined);
    } catch (error) {
      this.#rollBack();
      throw error;
    } finally {
      this.#journal = undefined;
    }
  }

  #rollBack() {
    for (const change of this.#journal.reverse()) {
      const { kind, resourceType, id, previous, version } = change;
      const resources = this.resources.get(resourceType);
      if (kind === 'write') {
        const versions = this.history.get(resourceType)?.get(id) ?? [];
        const position = versions.indexOf(version);
        if (position >= 0) {
          versions.splice(position, 1);
        }
        if (versions.length === 0) {
          this.history.get(resourceType)?.delete(id);
        }
      }
      if (previous) {
        resources.set(id, previous);
      } else {
        resources.delete(id);
      }
      this.#index(resourceType, id, previous);
    }
  }

  // The ids for a search with one filter, `identifier` equals one or more values
  // (`value`, `system|value`, `|value` or `system|`), and no sort; undefined for every
  // other search (the base class answers those).
  #identifierMatches(searchRequest) {
    const { resourceType, filters, sortRules } = searchRequest;
    if (filters?.length !== 1 || sortRules?.length) {
      return undefined;
    }
    const [filter] = filters;
    if (filter.code !== 'identifier' || filter.operator !== Operator.EQUALS || filter.value.includes('\\')) {
      return undefined; // Escaped commas and other rarities: the base class decides.
    }
    if (!getSearchParameter(resourceType, 'identifier')) {
      return undefined;
    }
    const ids = new Set();
    for (const value of filter.value.toLowerCase().split(',')) {
      const key = searchKey(resourceType, value);
      if (key === undefined) {
        return undefined;
      }
      for (const id of this.#identifierIndex.get(key) ?? []) {
        ids.add(id);
      }
    }
    return ids;
  }

  // The ids for a search whose filters are one `url` equals one value and at most one
  // `version` equals one value, with no sort: a scan of that type's resources (servers
  // hold few canonical resources); undefined for every other search.
  #canonicalMatches(searchRequest) {
    const { resourceType, filters, sortRules } = searchRequest;
    if (!filters?.length || filters.length > 2 || sortRules?.length || !getSearchParameter(resourceType, 'url')) {
      return undefined;
    }
    const wanted = {};
    for (const filter of filters) {
      const known = filter.code === 'url' || filter.code === 'version';
      if (!known || filter.operator !== Operator.EQUALS || wanted[filter.code] !== undefined || /[,\\]/.test(filter.value)) {
        return undefined;
      }
      wanted[filter.code] = filter.value;
    }
    if (wanted.url === undefined) {
      return undefined;
    }
    const ids = new Set();
    for (const [id, resource] of this.resources.get(resourceType) ?? []) {
      const sameVersion = wanted.version === undefined || resource.version?.toLowerCase() === wanted.version.toLowerCase();
      if (resource.url === wanted.url && sameVersion) {
        ids.add(id);
      }
    }
    return ids;
  }

  // Makes the index say what `resource` (undefined: nothing) holds for type/id.
  #index(resourceType, id, resource) {
    const resourceKey = resourceType + separator + id;
    for (const key of this.#keysOfResource.get(resourceKey) ?? []) {
      const ids = this.#identifierIndex.get(key);
      ids.delete(id);
      if (ids.size === 0) {
        this.#identifierIndex.delete(key);
      }
    }
    this.#keysOfResource.delete(resourceKey);
    const keys = identifierKeys(resource);
    if (keys.length === 0) {
      return;
    }
    for (const key of keys) {
      let ids = this.#identifierIndex.get(key);
      if (!ids) {
        ids = new Set();
        this.#identifierIndex.set(key, ids);
      }
      ids.add(id);
    }
    this.#keysOfResource.set(resourceKey, keys);
  }
}

// The index key a token search value looks up; undefined when it has none.
function searchKey(resourceType, value) {
  const parts = value.split('|');
  if (parts.length === 1) {
    return ['v', resourceType, value].join(separator);
  }
  if (parts.length !== 2 || (parts[0] === '' && parts[1] === '')) {
    return undefined;
  }
  const [system, code] = parts;
  return code === '' ? ['y', resourceType, system].join(separator) : ['s', resourceType, system, code].join(separator);
}

// The keys a stored resource is found under: by system and value (system '' when it has
// none), by value alone, and by system alone.
function identifierKeys(resource) {
  if (!resource?.identifier) {
    return [];
  }
  const identifiers = Array.isArray(resource.identifier) ? resource.identifier : [resource.identifier];
  const keys = new Set();
  for (const identifier of identifiers) {
    const system = typeof identifier?.system === 'string' ? identifier.system.toLowerCase() : '';
    if (system) {
      keys.add(['y', resource.resourceType, system].join(separator));
    }
    if (typeof identifier?.value !== 'string') {
      continue;
    }
    const value = identifier.value.toLowerCase();
    keys.add(['s', resource.resourceType, system, value].join(separator));
    keys.add(['v', resource.resourceType, value].join(separator));
  }
  return [...keys];
}
