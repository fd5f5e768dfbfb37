import * as z from 'zod/mini';
import { documentComponents } from '../documents/documents.contract.js';
import { editComponents, editRequestComponents } from '../documents/edits.contract.js';
import { keyComponents, keyRequestComponents } from '../keys/keys.contract.js';
import { errorBodySchema, validationIssueSchema } from '../platform/contract.js';
import type { ErrorCodes, ErrorStatus, RouteDeclaration } from '../platform/route.js';
import { searchComponents } from '../search/search.contract.js';
import { topicComponents, topicRequestComponents } from '../topics/topics.contract.js';
import { uploadComponents, uploadRequestComponents } from '../uploads/uploads.contract.js';
import { userComponents, userRequestComponents } from '../users/users.contract.js';
import { ROUTES } from './routes.js';

// The OpenAPI 3.1 document (docs/api.md "Describing the API"), assembled from the route declarations of every feature
// (lib/api/routes.ts) with zod's own JSON Schema output of the schemas that validate requests and shape responses.
// The tests validate every response they receive against this document.
// Over 300 lines on purpose: it is one pipeline (components, parameters, security, errors, responses, the document)
// whose parts only make sense together; each part is a small function.

type JsonSchema = Record<string, unknown>;
type Operation = RouteDeclaration;
type Codes = ErrorCodes;

/** Schemas shown under `components.schemas` and referenced by name; requests as clients send them. */
const REQUEST_COMPONENTS: Record<string, z.ZodMiniType> = {
  ...uploadRequestComponents,
  ...editRequestComponents,
  ...topicRequestComponents,
  ...userRequestComponents,
  ...keyRequestComponents,
};

/** ...and responses as the API answers them. */
const RESPONSE_COMPONENTS: Record<string, z.ZodMiniType> = {
  ...documentComponents,
  ...editComponents,
  ...userComponents,
  ...topicComponents,
  ...uploadComponents,
  ...searchComponents,
  ...keyComponents,
  Error: errorBodySchema(),
  ValidationIssue: validationIssueSchema,
};

const STATUS_TEXT: Record<ErrorStatus, string> = {
  400: 'The request is invalid',
  401: 'No valid bearer token or API key',
  403: 'Not allowed: an API key without the scope this operation needs, or not an admin',
  404: 'Not found (another user’s resource is not found too)',
  409: 'Conflicts with the current state',
  412: 'The document changed since the version in If-Match',
  413: 'Too large',
  415: 'Unsupported media type',
  500: 'Internal error (never with internals in the message)',
  503: 'A dependency is down; a retry is safe',
};

/** The error statuses and codes an operation can answer with, the ones every route shares included. */
export function errorsOf(operation: Operation): Partial<Record<ErrorStatus, Codes>> {
  if (operation.auth === false) return { ...operation.errors, 500: ['internal'] };
  // Every operation that needs a scope (or a session) refuses a key without it (docs/api.md "API keys").
  const refuses = operation.scope !== 'any' || operation.admin || operation.errors?.[403];
  const forbidden: Codes = ['forbidden', ...(operation.errors?.[403] ?? []).filter((c) => c !== 'forbidden')];
  // Every operation with a body or query (which lib/api/router.ts validates) or request headers (which its handler
  // reads: Idempotency-Key, If-Match) can answer 400.
  const validated = operation.body || operation.query || operation.headers;
  const invalid: Codes = [
    'validation_error',
    ...(operation.errors?.[400] ?? []).filter((c) => c !== 'validation_error'),
  ];
  return {
    401: ['unauthorized'],
    ...operation.errors,
    ...(validated ? { 400: invalid } : {}),
    ...(refuses ? { 403: forbidden } : {}),
    500: ['internal'],
    503: ['unavailable'],
  };
}

/**
 * Who may call an operation, as `security` requirements: a session (the JWT scheme) always, an API key (the second
 * scheme) with the scope listed as the requirement's role (OpenAPI 3.1 allows roles for any scheme type), none for
 * `session` operations. `x-kite-scope` and a line of the description say the same for tools that skip `security`.
 */
function access(operation: Operation) {
  const { scope } = operation;
  if (operation.auth === false || scope === undefined) return { security: [] };
  const sentence =
    scope === 'session'
      ? 'Access: a signed-in session (JWT) only; an API key is refused (403).'
      : scope === 'any'
        ? 'Access: a session (JWT) or an API key with any scopes.'
        : `Access: a session (JWT), or an API key with the \`${scope}\` scope (403 without it).`;
  return {
    description: operation.description ? `${operation.description}\n\n${sentence}` : sentence,
    security:
      scope === 'session'
        ? [{ bearerAuth: [] }]
        : [{ bearerAuth: [] }, { apiKey: scope === 'any' ? [] : [scope] }],
    'x-kite-scope': scope,
  };
}

const componentRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** zod's JSON Schema output for a schema shown inline (no `$schema`: the document's dialect applies). */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...result } = z.toJSONSchema(schema, OPTIONS[io]) as JsonSchema;
  return result;
}

const OPTIONS = {
  input: { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', override: queryIntegers },
  output: { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' },
} as const;

/** Query integers travel as digits; the document describes the integer (see `queryInt` in lib/platform/contract.ts). */
function queryIntegers(ctx: { jsonSchema: JsonSchema }): void {
  const integer = ctx.jsonSchema.queryInteger as JsonSchema | undefined;
  if (!integer) return;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, { type: 'integer', ...integer });
}

/** Named schemas, each referring to the others by `$ref` (zod's registry conversion). */
function componentSchemas(entries: Record<string, z.ZodMiniType>, io: 'input' | 'output') {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...OPTIONS[io], uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

function parameters(operation: Operation) {
  const path = Object.entries(operation.params ?? {}).map(([name, param]) => ({
    name,
    in: 'path',
    required: true,
    description: param.description,
    schema: jsonSchema(param.schema, 'input'),
  }));
  const headers = Object.entries(operation.headers ?? {}).map(([name, param]) => ({
    name,
    in: 'header',
    required: false,
    description: param.description,
    schema: jsonSchema(param.schema, 'input'),
  }));
  const query = operation.query ? jsonSchema(operation.query, 'input') : undefined;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  const queryParams = Object.entries((query?.properties ?? {}) as Record<string, JsonSchema>).map(
    ([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }),
  );
  return [...path, ...headers, ...queryParams];
}

/** The error body narrowed to a set of codes, one named schema per distinct set: `Error_not_found`, … */
const errorSchemaName = (codes: Codes) => `Error_${codes.join('_')}`;

function responses(operation: Operation, names: Map<z.ZodMiniType, string>) {
  const { success } = operation;
  const out: Record<string, unknown> = {
    [success.status]: {
      description: success.description,
      ...(success.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(success.headers).map(([name, header]) => [
                name,
                // Declared headers are always sent (lib/platform/route.ts), and the tests check that they are.
                {
                  description: header.description,
                  required: true,
                  schema: jsonSchema(header.schema, 'output'),
                },
              ]),
            ),
          }
        : {}),
      ...(success.schema
        ? {
            content: {
              'application/json': {
                schema: names.has(success.schema)
                  ? componentRef(names.get(success.schema) as string)
                  : jsonSchema(success.schema, 'output'),
                example: success.example,
              },
            },
          }
        : {}),
    },
  };
  for (const [status, codes] of Object.entries(errorsOf(operation))) {
    const text = STATUS_TEXT[Number(status) as ErrorStatus];
    out[status] = {
      description: `${text}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      content: {
        'application/json': {
          schema: componentRef(errorSchemaName(codes)),
          example: { error: { code: codes[0], message: text } },
        },
      },
    };
  }
  return out;
}

/** A body is described by reference, so its schema must be one of a feature's request components. */
function requestComponentName(operation: Operation, names: Map<z.ZodMiniType, string>): string {
  const name = operation.body && names.get(operation.body.schema);
  if (!name) {
    throw new Error(
      `${operation.operationId}: its body schema is not a request component; export it in its feature's ` +
        '*RequestComponents (lib/api/openapi.ts REQUEST_COMPONENTS collects them)',
    );
  }
  return name;
}

export function openApiDocument() {
  const requestNames = new Map(Object.entries(REQUEST_COMPONENTS).map(([name, schema]) => [schema, name]));
  const responseNames = new Map(Object.entries(RESPONSE_COMPONENTS).map(([name, schema]) => [schema, name]));
  const errorComponents: Record<string, z.ZodMiniType> = {};
  for (const operation of ROUTES) {
    for (const codes of Object.values(errorsOf(operation))) {
      errorComponents[errorSchemaName(codes)] ??= errorBodySchema(codes);
    }
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of ROUTES) {
    const { method, path } = operation;
    const params = parameters(operation);
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      ...access(operation),
      ...(params.length ? { parameters: params } : {}),
      ...(operation.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: componentRef(requestComponentName(operation, requestNames)),
                  example: operation.body.example,
                },
              },
            },
          }
        : {}),
      responses: responses(operation, responseNames),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'kite',
      version: '1',
      summary: 'A multi-user document store: presigned uploads, a per-user quota, AI filing under topics',
      description:
        'Every route but this document needs `Authorization: Bearer <JWT>` (a signed-in session) or ' +
        '`Authorization: Bearer kite_…` (an API key, `POST /api/keys`). A key may call only the operations its ' +
        'scopes cover: each operation names the scope it needs in `security` (as the `apiKey` role), in ' +
        '`x-kite-scope` and in its description. Errors are `{"error": {"code", "message", "details"?}}`; each ' +
        'response lists the codes it can carry.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: '`npm start`' }],
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    tags: [
      { name: 'documents', description: 'Upload (upload-url → PUT → confirm), list, download, delete' },
      { name: 'topics', description: "What documents are filed under: the system's and the caller's own" },
      { name: 'admin', description: 'System topics and users; admins only (403 otherwise)' },
      { name: 'me', description: 'The caller' },
      { name: 'keys', description: 'API keys for scripts and integrations; a signed-in session only' },
      { name: 'meta', description: 'This document' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256 with JWT_SECRET locally (`npm run token -- <sub>`), JWKS (e.g. Cognito) on AWS',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'kite API key',
          description:
            '`Authorization: Bearer kite_…`, a key from `POST /api/keys`. It may call the operations its scopes ' +
            'cover (`documents:read`, `documents:write`, `topics:read`, `topics:write`, `admin`), never the key ' +
            'routes. Revoked, expired and unknown keys are all 401 `unauthorized`.',
        },
      },
      schemas: {
        ...componentSchemas(REQUEST_COMPONENTS, 'input'),
        ...componentSchemas({ ...RESPONSE_COMPONENTS, ...errorComponents }, 'output'),
      },
    },
  };
}
