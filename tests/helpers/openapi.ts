import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../lib/api/openapi.js';
import { ROUTE_KEYS } from '../../lib/api/routes.js';
import { secondValidatorProblems } from './prism-reader.js';

type RouteKey = string;

// Every response an integration test receives through call() (tests/helpers/api.ts) is checked here against the
// OpenAPI document: the status must be one the route documents, the body must match that response's schema, and the
// headers it promises for that response must be there.

const ROOT = 'https://kite.invalid/openapi.json';
type Json = Record<string, any>;

let compiled: { document: Json; ajv: Ajv2020; cache: Map<string, ValidateFunction> } | undefined;

function validator() {
  if (!compiled) {
    const document = openApiDocument() as Json;
    const ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    ajv.addKeyword('components');
    ajv.addSchema({ $id: ROOT, components: document.components });
    compiled = { document, ajv, cache: new Map() };
  }
  return compiled;
}

/** The schema (as a validator) a route documents for a status; undefined when the status is not documented. */
function schemaFor(route: RouteKey | undefined, status: number): ValidateFunction | null | undefined {
  const { document, ajv, cache } = validator();
  const id = `${route ?? 'unknown route'} ${status}`;
  if (cache.has(id)) return cache.get(id);
  let response: Json | undefined;
  if (route) {
    const [method = '', path = ''] = route.split(' ');
    response = document.paths[path]?.[method.toLowerCase()]?.responses?.[status];
    if (!response) return undefined;
  } else if (status < 400) {
    return undefined; // a success from no route of the API
  }
  const schema: Json | undefined = response
    ? response.content?.['application/json']?.schema
    : { $ref: '#/components/schemas/Error' };
  if (!schema) return null; // documented without a body (204)
  const validate = ajv.compile(schema.$ref ? { $ref: `${ROOT}${schema.$ref}` } : schema);
  cache.set(id, validate);
  return validate;
}

/**
 * Throws unless `body` is what the OpenAPI document says the route answers with `status`. `routeKey` is the one the
 * request was dispatched on (tests/helpers/api-gateway.ts); a key that is no route of the API (the catch-all) may
 * only answer with the error body.
 */
export function assertDocumentedResponse(
  routeKey: string,
  request: string,
  status: number,
  body: unknown,
  headers?: Record<string, unknown>,
): void {
  const route = (ROUTE_KEYS as readonly string[]).includes(routeKey) ? (routeKey as RouteKey) : undefined;
  const where = `${request} → ${status}${route ? ` (${route})` : ''}`;
  const validate = schemaFor(route, status);
  if (validate === undefined) {
    throw new Error(`${where}: the OpenAPI document does not list this response (lib/api/openapi.ts)`);
  }
  if (validate === null) {
    if (body !== undefined)
      throw new Error(`${where}: documented without a body, got ${JSON.stringify(body)}`);
  } else if (!validate(body)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(
      `${where}: the body does not match the OpenAPI document: ${problems}\n${JSON.stringify(body)}`,
    );
  }
  // Headers the document promises on this answer (a document's ETag) must be sent.
  if (route && headers) {
    const [method = '', path = ''] = route.split(' ');
    const promised = Object.keys(
      validator().document.paths[path][method.toLowerCase()].responses[status].headers ?? {},
    );
    const sent = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    const missing = promised.filter((name) => !sent.has(name.toLowerCase()));
    if (missing.length > 0)
      throw new Error(`${where}: the OpenAPI document promises ${missing.join(', ')}, not sent`);
    const tag = Object.entries(headers).find(([name]) => name.toLowerCase() === 'etag')?.[1];
    const version = (body as { document?: { version?: number } } | undefined)?.document?.version;
    if (tag !== undefined && tag !== `"${version}"`) {
      throw new Error(`${where}: ETag ${String(tag)} is not the document's version ${version}, quoted`);
    }
  }
  // The second reader (docs/api.md "Describing the API"): Prism's own validator must accept the same answer.
  if (route) {
    const problems = secondValidatorProblems(validator().document, route, status, body);
    if (problems.length > 0) {
      throw new Error(`${where}: Prism reads the OpenAPI document otherwise: ${problems.join('; ')}`);
    }
  }
}
