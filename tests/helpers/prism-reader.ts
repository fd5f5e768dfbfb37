import { createRequire } from 'node:module';

/**
 * The second, independent reader of the OpenAPI document for in-process responses: Stoplight Prism's own response
 * validator (`validateOutput` of @stoplight/prism-http, the code `prism proxy` runs), fed with Prism's own reading of
 * the document (@stoplight/http-spec turns each operation into the schemas Prism validates with; Prism bundles their
 * $refs itself). The suite's first check (tests/helpers/openapi.ts) compiles the document as JSON Schema 2020-12 with
 * ajv; Prism reads OpenAPI 3.1 schemas as draft-07 (http-spec stamps `$schema: draft-07` on them). A schema the two
 * read differently — the 2020-12 tuple `prefixItems` + `items: false` Prism reads as "no item allowed" — makes one of
 * them fail on a real response.
 *
 * Synchronous; per document (by identity) the operations are transformed once and each route is bundled on first
 * use. http-spec, @stoplight/json, ajv and ajv-formats are resolved from prism-http itself (the version
 * @stoplight/prism-cli pins), so they are exactly the copies Prism uses. tests/helpers/prism.ts runs the real proxy
 * over npm start's traffic; this reads the integration tests' answers in-process.
 */

const requireHere = createRequire(import.meta.url);
const fromPrism = createRequire(requireHere.resolve('@stoplight/prism-http/package.json'));

type Json = Record<string, any>;
interface Diagnostic {
  path?: (string | number)[];
  message: string;
  code?: string | number;
  severity: number; // @stoplight/types DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint
}
type Either<L, R> = { _tag: 'Left'; left: L } | { _tag: 'Right'; right: R };

const { validateOutput } = fromPrism('./dist/validator/index.js') as {
  validateOutput(input: { resource: Json; element: Json }): Either<Diagnostic[], unknown>;
};
const { transformOas3Operations } = fromPrism('@stoplight/http-spec/oas3/operation') as {
  transformOas3Operations(document: Json): Json[];
};
const { bundleTarget } = fromPrism('@stoplight/json') as {
  bundleTarget(options: { document: Json; path: string }): Json;
};
// Prism compiles with ajv inside a try/catch and treats a schema it cannot compile as "valid": compile each schema
// we are about to rely on with the same ajv and the same options first, so such a schema is a problem, not a pass.
const Ajv = (fromPrism('ajv') as { default: new (options: Json) => { compile(schema: Json): unknown } })
  .default;
const addFormats = (fromPrism('ajv-formats') as { default: (ajv: unknown) => void }).default;
const guard = new Ajv({
  allErrors: true,
  allowUnionTypes: true,
  allowMatchingProperties: true,
  strict: false,
  logger: false,
});
addFormats(guard);

interface Prepared {
  operations: Json[];
  document: Json;
  bundled: Map<string, Json | undefined>;
  compiled: Map<Json, string | null>;
}
const prepared = new WeakMap<object, Prepared>();

function prepare(document: object): Prepared {
  let p = prepared.get(document);
  if (!p) {
    const copy = structuredClone(document) as Json;
    if (typeof copy.openapi !== 'string' || !copy.openapi.startsWith('3.')) {
      throw new Error('second validator: not an OpenAPI 3 document');
    }
    p = {
      operations: transformOas3Operations(copy),
      document: copy,
      bundled: new Map(),
      compiled: new Map(),
    };
    prepared.set(document, p);
  }
  return p;
}

/** Prism's operation for "METHOD /path/{param}", with its $refs bundled the way getHttpOperationsFromSpec does. */
function operationFor(p: Prepared, routeKey: string): Json | undefined {
  if (!p.bundled.has(routeKey)) {
    const [method = '', path = ''] = routeKey.split(' ');
    const operation = p.operations.find((o) => o.method === method.toLowerCase() && o.path === path);
    p.bundled.set(
      routeKey,
      operation && bundleTarget({ document: { ...p.document, __target__: operation }, path: '#/__target__' }),
    );
  }
  return p.bundled.get(routeKey);
}

/** Why Prism's ajv cannot compile the schemas documented for `status` (null when it can). */
function compileProblem(p: Prepared, operation: Json, status: number): string | null {
  const responses: Json[] = operation.responses ?? [];
  const code = String(status);
  const response =
    responses.find((r) => r.code === code) ??
    responses.find((r) => String(r.code).toUpperCase() === `${code[0]}XX`) ??
    responses.find((r) => r.code === 'default');
  for (const content of response?.contents ?? []) {
    if (!content.schema) continue;
    if (!p.compiled.has(content.schema)) {
      let problem: string | null = null;
      try {
        guard.compile({ ...content.schema, __bundled__: operation.__bundled__ });
      } catch (error) {
        problem = `Prism cannot compile the ${code} ${content.mediaType} schema: ${(error as Error).message}`;
      }
      p.compiled.set(content.schema, problem);
    }
    const problem = p.compiled.get(content.schema);
    if (problem) return problem;
  }
  return null;
}

/**
 * What Prism says is wrong with a response, as "where: message" strings; empty when Prism accepts it. `routeKey` is
 * "METHOD /path" as the document spells the path ("GET /api/documents/{id}"); `contentType` defaults to
 * application/json when there is a body. Response headers other than Content-Type are not checked here.
 */
export function secondValidatorProblems(
  document: object,
  routeKey: string,
  status: number,
  body: unknown,
  contentType?: string,
): string[] {
  const p = prepare(document);
  const operation = operationFor(p, routeKey);
  if (!operation) return [`${routeKey}: no such operation in the document (as Prism reads it)`];
  const compile = compileProblem(p, operation, status);
  if (compile) return [compile];
  const type = contentType ?? (body === undefined ? undefined : 'application/json');
  const result = validateOutput({
    resource: operation,
    element: { statusCode: status, headers: type ? { 'content-type': type } : {}, body },
  });
  if (result._tag === 'Right') return [];
  return result.left
    .filter((d) => d.severity <= 1) // errors, and the warning for a 4xx/5xx status the operation does not list
    .filter((d) => d.path?.[0] !== 'header' || /content-type/i.test(String(d.path?.[1] ?? '')))
    .map((d) => `${d.path?.length ? d.path.join('.') : 'response'}: ${d.message}`);
}
