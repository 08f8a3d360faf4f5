// Referential integrity, as real servers enforce it: a literal reference to a Patient,
// Practitioner, Encounter, RelatedPerson or Questionnaire must name a resource that
// exists (or that the same transaction writes); a urn:uuid reference must name an entry
// of the same transaction Bundle. Canonicals (e.g. QuestionnaireResponse.questionnaire,
// a plain `url|version` string) and references to other servers are not checked.
import { issue } from './outcomes.mjs';

export const checkedTypes = new Set(['Patient', 'Practitioner', 'Encounter', 'RelatedPerson', 'Questionnaire']);

const relativeReference = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Every Reference.reference in `resource` (contained resources and extensions too). */
export function literalReferences(resource) {
  const found = [];
  const walk = (value, path) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}[${index}]`));
      return;
    }
    if (value === null || typeof value !== 'object') {
      return;
    }
    if (typeof value.reference === 'string') {
      found.push({ reference: value.reference, path });
    }
    for (const [key, child] of Object.entries(value)) {
      if (key !== 'reference') {
        walk(child, `${path}.${key}`);
      }
    }
  };
  walk(resource, resource.resourceType);
  return found;
}

/**
 * Issues for the references in `resource` that do not resolve.
 * context.exists(type, id)  whether the server holds that resource now
 * context.ownBase           this server's base URL (absolute references to it are checked)
 * context.bundleFullUrls    in a transaction: the fullUrls of its entries
 * context.written           in a transaction: the `Type/id`s its entries write
 * at                        where the resource sits in the request, for expressions
 */
export function referenceIssues(resource, context, at = undefined) {
  const issues = [];
  for (const { reference, path } of literalReferences(resource)) {
    const where = at ? path.replace(resource.resourceType, at) : path;
    const problem = unresolved(reference, context);
    if (problem) {
      issues.push(issue('not-found', `${problem}, referenced at ${where}`, where));
    }
  }
  return issues;
}

function unresolved(reference, context) {
  if (reference.startsWith('#')) {
    return undefined; // A contained resource.
  }
  if (reference.startsWith('urn:')) {
    return context.bundleFullUrls?.has(reference) ? undefined : `${reference} not found in the Bundle`;
  }
  let relative = reference;
  if (/^https?:\/\//.test(reference)) {
    if (!reference.startsWith(`${context.ownBase}/`)) {
      return undefined; // Another server's resource.
    }
    relative = reference.slice(context.ownBase.length + 1);
  }
  const typeName = relative.split(/[/?]/)[0];
  if (!checkedTypes.has(typeName)) {
    return undefined;
  }
  const match = relativeReference.exec(relative);
  if (!match) {
    return `${reference} is not a literal reference this server can resolve`;
  }
  const [, resourceType, id] = match;
  if (context.written?.has(`${resourceType}/${id}`) || context.exists(resourceType, id)) {
    return undefined;
  }
  return `${resourceType}/${id} not found`;
}
