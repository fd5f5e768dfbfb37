import * as z from 'zod/mini';
import {
  confirmResultSchema,
  documentPageSchema,
  documentResponseSchema,
  documentSchema,
  documentTopicSchema,
  documentWithDownloadSchema,
  errorBodySchema,
  multipartTicketSchema,
  quotaSchema,
  searchPageSchema,
  searchResultSchema,
  signedRequestSchema,
  signedRequestsSchema,
  topicListSchema,
  topicResponseSchema,
  topicSchema,
  uploadTicketSchema,
  userPageSchema,
  userResponseSchema,
  userSchema,
  validationIssueSchema,
} from '../response-schemas.js';
import {
  createTopicBody,
  idempotencyKeySchema,
  listDocumentsQuery,
  listUsersQuery,
  multipartBody,
  multipartSignBody,
  searchQuery,
  updateTopicBody,
  updateUserBody,
  uploadUrlBody,
} from '../schemas.js';
import { ROUTE_KEYS, type RouteKey } from './routes.js';

// The OpenAPI 3.1 document (README "Describing the API"), generated from the zod schemas that validate requests
// (lib/schemas.ts) and describe responses (lib/response-schemas.ts) with zod's own JSON Schema output. Every route
// of lib/api/routes.ts must have an operation here (the type says so), and the tests validate every response they
// receive against this document.

type JsonSchema = Record<string, unknown>;
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 503;
type Codes = readonly [string, ...string[]];

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tag: 'documents' | 'topics' | 'admin' | 'me' | 'meta';
  /** false: no bearer token needed. */
  auth?: false;
  admin?: boolean;
  path?: Record<string, { description: string; schema: z.ZodMiniType }>;
  /** Optional request headers. */
  headers?: Record<string, { description: string; schema: z.ZodMiniType }>;
  query?: z.ZodMiniObject;
  body?: { schema: z.ZodMiniType; example: unknown };
  success: { status: number; description: string; schema?: z.ZodMiniType; example?: unknown };
  /** Errors this route answers with besides the ones every route has (401, 500, 503; 403 for admin routes). */
  errors?: Partial<Record<ErrorStatus, Codes>>;
}

const uuid = z.uuid();
const documentId = { id: { description: 'The document id', schema: uuid } };
const topicId = { id: { description: 'The topic id', schema: uuid } };
const userId = {
  id: { description: "The user id (the token's `sub`)", schema: z.string().check(z.minLength(1)) },
};

/** Schemas shown under `components.schemas` and referenced by name; requests as clients send them. */
const REQUEST_COMPONENTS: Record<string, z.ZodMiniType> = {
  UploadUrlRequest: uploadUrlBody,
  CreateTopicRequest: createTopicBody,
  UpdateTopicRequest: updateTopicBody,
  UpdateUserRequest: updateUserBody,
  MultipartRequest: multipartBody,
  MultipartSignRequest: multipartSignBody,
};

/** ...and responses as the API answers them. */
const RESPONSE_COMPONENTS: Record<string, z.ZodMiniType> = {
  Document: documentSchema,
  DocumentTopic: documentTopicSchema,
  Quota: quotaSchema,
  Topic: topicSchema,
  User: userSchema,
  UploadTicket: uploadTicketSchema,
  ConfirmResult: confirmResultSchema,
  SignedRequest: signedRequestSchema,
  MultipartTicket: multipartTicketSchema,
  SignedRequests: signedRequestsSchema,
  DocumentPage: documentPageSchema,
  DocumentWithDownload: documentWithDownloadSchema,
  DocumentResponse: documentResponseSchema,
  TopicList: topicListSchema,
  TopicResponse: topicResponseSchema,
  UserPage: userPageSchema,
  UserResponse: userResponseSchema,
  SearchResult: searchResultSchema,
  SearchPage: searchPageSchema,
  Error: errorBodySchema(),
  ValidationIssue: validationIssueSchema,
};

const EXAMPLE_DOCUMENT = {
  id: '3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b',
  filename: 'invoice-2026-03.pdf',
  contentType: 'application/pdf',
  sizeBytes: 48213,
  status: 'classified',
  topics: [{ id: '8a6e0f0c-1b2d-4c3e-8f4a-5b6c7d8e9f01', name: 'Finance', scope: 'system', source: 'ai' }],
  createdAt: '2026-03-02T09:14:05.123Z',
  confirmedAt: '2026-03-02T09:14:06.456Z',
  classifiedAt: '2026-03-02T09:14:09.789Z',
  error: null,
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  duplicateOf: null,
};
const EXAMPLE_PENDING = {
  ...EXAMPLE_DOCUMENT,
  sizeBytes: null,
  status: 'pending',
  topics: [],
  confirmedAt: null,
  classifiedAt: null,
  sha256: null,
};
const EXAMPLE_QUOTA = { usedBytes: 48213, limitBytes: 1073741824 };
const EXAMPLE_TOPIC = {
  id: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  name: 'Receipts',
  description: 'Shop and restaurant receipts',
  scope: 'user',
};
const EXAMPLE_USER = {
  id: 'alice',
  email: 'alice@example.com',
  role: 'user',
  aiProvider: null,
  aiModel: null,
  quota: EXAMPLE_QUOTA,
};
const EXAMPLE_DOWNLOAD =
  'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e/invoice-2026-03.pdf?X-Amz-Signature=0f1e2d3c';

const TOPIC_ERRORS = { 403: ['forbidden'], 404: ['not_found'] } as const;

export const OPERATIONS: Record<RouteKey, Operation> = {
  'POST /api/documents/upload-url': {
    operationId: 'createUploadUrl',
    tag: 'documents',
    summary: 'Start an upload: a pending document and a presigned PUT for its bytes',
    description:
      'Step 1 of 3. PUT the bytes to `upload.url` with exactly `upload.headers`, then call confirm. Nothing is ' +
      'reserved: the quota is enforced at confirm, with the size read from storage.',
    headers: {
      'Idempotency-Key': {
        description:
          'A retry with the same key and body within 24 hours gets the same document (with a fresh URL); the same ' +
          'key with another body → 409 `conflict`',
        schema: idempotencyKeySchema,
      },
    },
    body: {
      schema: uploadUrlBody,
      example: {
        filename: 'invoice-2026-03.pdf',
        contentType: 'application/pdf',
        size: 48213,
        sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      },
    },
    success: {
      status: 201,
      description: 'The pending document and where to PUT its bytes',
      schema: uploadTicketSchema,
      example: {
        document: EXAMPLE_PENDING,
        upload: {
          key: 'users/alice/3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b/invoice-2026-03.pdf',
          url: 'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b/invoice-2026-03.pdf?X-Amz-Signature=0f1e2d3c',
          method: 'PUT',
          headers: { 'Content-Type': 'application/pdf', 'Content-Length': '48213' },
          expiresAt: '2026-03-02T09:29:05.000Z',
        },
      },
    },
    errors: {
      400: ['validation_error'],
      409: ['duplicate', 'conflict'],
      413: ['file_too_large', 'quota_exceeded'],
      415: ['unsupported_media_type'],
    },
  },
  'POST /api/documents/{id}/confirm': {
    operationId: 'confirmUpload',
    tag: 'documents',
    summary: 'Finish an upload: count the stored bytes against the quota and queue classification',
    description: 'Confirming a confirmed document answers with its current state and changes nothing.',
    path: documentId,
    success: {
      status: 200,
      description: 'The confirmed document and the quota after it',
      schema: confirmResultSchema,
      example: {
        document: { ...EXAMPLE_DOCUMENT, status: 'uploaded', topics: [], classifiedAt: null },
        quota: EXAMPLE_QUOTA,
      },
    },
    errors: {
      404: ['not_found'],
      409: ['upload_missing'],
      413: ['file_too_large', 'quota_exceeded'],
    },
  },
  'POST /api/documents/multipart': {
    operationId: 'createMultipartUpload',
    tag: 'documents',
    summary:
      'Start a multipart upload: a pending document, its part size and a presigned CreateMultipartUpload',
    description:
      'For large files (README "Large files"): POST `upload.create` to storage and read `UploadId` from its XML ' +
      'answer, then sign parts with multipart/sign, complete, and confirm. The same early checks as upload-url.',
    headers: {
      'Idempotency-Key': {
        description: 'As for upload-url: a retry with the same key and body gets the same document',
        schema: idempotencyKeySchema,
      },
    },
    body: {
      schema: multipartBody,
      example: { filename: 'scan.pdf', contentType: 'application/pdf', size: 41943040 },
    },
    success: {
      status: 201,
      description: 'The pending document, its parts, and the signed CreateMultipartUpload',
      schema: multipartTicketSchema,
      example: {
        document: { ...EXAMPLE_PENDING, filename: 'scan.pdf' },
        upload: {
          key: 'users/alice/3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b/scan.pdf',
          partSize: 16777216,
          partCount: 3,
          create: {
            url: 'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b/scan.pdf?uploads&X-Amz-Signature=0f1e2d3c',
            method: 'POST',
            headers: { 'Content-Type': 'application/pdf' },
            expiresAt: '2026-03-02T09:29:05.000Z',
          },
        },
      },
    },
    errors: {
      400: ['validation_error'],
      409: ['duplicate', 'conflict'],
      413: ['file_too_large', 'quota_exceeded'],
      415: ['unsupported_media_type'],
    },
  },
  'POST /api/documents/{id}/multipart/sign': {
    operationId: 'signMultipartRequests',
    tag: 'documents',
    summary: "Sign requests of a pending document's multipart upload: parts, ListParts, complete, abort",
    description:
      '`uploadPart` signs 1–1000 parts, each with its exact Content-Length. The first signing binds `uploadId` to ' +
      'the document; another one later → 409. `listParts` tells a resuming client which parts storage holds.',
    path: documentId,
    body: {
      schema: multipartSignBody,
      example: {
        uploadId: 'VXBsb2FkIElEIGZvciBzY2FuLnBkZg',
        operation: 'uploadPart',
        partNumbers: [1, 2, 3],
      },
    },
    success: {
      status: 200,
      description: 'The signed requests, in the order asked',
      schema: signedRequestsSchema,
      example: {
        requests: [
          {
            partNumber: 1,
            url: 'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b/scan.pdf?partNumber=1&uploadId=VXBsb2FkIElEIGZvciBzY2FuLnBkZg&X-Amz-Signature=0f1e2d3c',
            method: 'PUT',
            headers: { 'Content-Length': '16777216' },
            expiresAt: '2026-03-02T09:29:05.000Z',
          },
        ],
      },
    },
    errors: { 400: ['validation_error'], 404: ['not_found'], 409: ['conflict'] },
  },
  'GET /api/documents': {
    operationId: 'listDocuments',
    tag: 'documents',
    summary: "The caller's documents, newest first, one page",
    query: listDocumentsQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: documentPageSchema,
      example: { documents: [EXAMPLE_DOCUMENT], nextCursor: null },
    },
    errors: { 400: ['validation_error'] },
  },
  'GET /api/documents/{id}': {
    operationId: 'getDocument',
    tag: 'documents',
    summary: 'One document, with a short-lived download URL once confirmed',
    path: documentId,
    success: {
      status: 200,
      description: 'The document',
      schema: documentWithDownloadSchema,
      example: { document: EXAMPLE_DOCUMENT, downloadUrl: EXAMPLE_DOWNLOAD },
    },
    errors: { 404: ['not_found'] },
  },
  'DELETE /api/documents/{id}': {
    operationId: 'deleteDocument',
    tag: 'documents',
    summary: 'Delete a document and its bytes; a confirmed one is refunded to the quota',
    path: documentId,
    success: { status: 204, description: 'Deleted' },
    errors: { 404: ['not_found'] },
  },
  'POST /api/documents/{id}/classify': {
    operationId: 'reclassifyDocument',
    tag: 'documents',
    summary: 'Queue a confirmed document for classification again',
    path: documentId,
    success: {
      status: 202,
      description: 'Queued; the document is `uploaded` until classified',
      schema: documentResponseSchema,
      example: { document: { ...EXAMPLE_DOCUMENT, status: 'uploaded', classifiedAt: null } },
    },
    errors: { 404: ['not_found'], 409: ['conflict'] },
  },
  'GET /api/topics': {
    operationId: 'listTopics',
    tag: 'topics',
    summary: "System topics and the caller's own; an own topic overrides a system one of the same name",
    success: {
      status: 200,
      description: 'Every topic the caller sees',
      schema: topicListSchema,
      example: {
        topics: [
          {
            ...EXAMPLE_TOPIC,
            id: '8a6e0f0c-1b2d-4c3e-8f4a-5b6c7d8e9f01',
            name: 'Finance',
            description: null,
            scope: 'system',
          },
          EXAMPLE_TOPIC,
        ],
      },
    },
  },
  'POST /api/topics': {
    operationId: 'createTopic',
    tag: 'topics',
    summary: "Create a topic in the caller's namespace",
    body: {
      schema: createTopicBody,
      example: { name: 'Receipts', description: 'Shop and restaurant receipts' },
    },
    success: {
      status: 201,
      description: 'The new topic',
      schema: topicResponseSchema,
      example: { topic: EXAMPLE_TOPIC },
    },
    errors: { 400: ['validation_error'], 409: ['conflict'] },
  },
  'PATCH /api/topics/{id}': {
    operationId: 'updateTopic',
    tag: 'topics',
    summary: "Rename or redescribe one of the caller's topics (a system topic is 403)",
    path: topicId,
    body: { schema: updateTopicBody, example: { description: 'Receipts for tax returns' } },
    success: {
      status: 200,
      description: 'The topic as it is now',
      schema: topicResponseSchema,
      example: { topic: { ...EXAMPLE_TOPIC, description: 'Receipts for tax returns' } },
    },
    errors: { 400: ['validation_error'], ...TOPIC_ERRORS, 409: ['conflict'] },
  },
  'DELETE /api/topics/{id}': {
    operationId: 'deleteTopic',
    tag: 'topics',
    summary: "Delete one of the caller's topics, and its place on every document",
    path: topicId,
    success: { status: 204, description: 'Deleted' },
    errors: TOPIC_ERRORS,
  },
  'GET /api/admin/topics': {
    operationId: 'listSystemTopics',
    tag: 'admin',
    admin: true,
    summary: 'The system topics every user sees',
    success: {
      status: 200,
      description: 'The system topics',
      schema: topicListSchema,
      example: { topics: [{ ...EXAMPLE_TOPIC, name: 'Finance', description: null, scope: 'system' }] },
    },
  },
  'POST /api/admin/topics': {
    operationId: 'createSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Create a system topic',
    body: { schema: createTopicBody, example: { name: 'Finance' } },
    success: {
      status: 201,
      description: 'The new system topic',
      schema: topicResponseSchema,
      example: { topic: { ...EXAMPLE_TOPIC, name: 'Finance', description: null, scope: 'system' } },
    },
    errors: { 400: ['validation_error'], 409: ['conflict'] },
  },
  'PATCH /api/admin/topics/{id}': {
    operationId: 'updateSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Rename or redescribe a system topic',
    path: topicId,
    body: { schema: updateTopicBody, example: { name: 'Money' } },
    success: {
      status: 200,
      description: 'The system topic as it is now',
      schema: topicResponseSchema,
      example: { topic: { ...EXAMPLE_TOPIC, name: 'Money', description: null, scope: 'system' } },
    },
    errors: { 400: ['validation_error'], 404: ['not_found'], 409: ['conflict'] },
  },
  'DELETE /api/admin/topics/{id}': {
    operationId: 'deleteSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Delete a system topic, and its place on every document',
    path: topicId,
    success: { status: 204, description: 'Deleted' },
    errors: { 404: ['not_found'] },
  },
  'GET /api/admin/users': {
    operationId: 'listUsers',
    tag: 'admin',
    admin: true,
    summary: 'Every user with AI settings and quota, in id order, one page',
    query: listUsersQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: userPageSchema,
      example: { users: [EXAMPLE_USER], nextCursor: null },
    },
    errors: { 400: ['validation_error'] },
  },
  'PATCH /api/admin/users/{id}': {
    operationId: 'updateUser',
    tag: 'admin',
    admin: true,
    summary: "Set a user's AI provider and model (null: the configured default) and quota limit",
    path: userId,
    body: {
      schema: updateUserBody,
      example: { aiProvider: 'openai', aiModel: 'gpt-4o-mini', quotaLimitBytes: 5368709120 },
    },
    success: {
      status: 200,
      description: 'The user as they are now',
      schema: userResponseSchema,
      example: {
        user: {
          ...EXAMPLE_USER,
          aiProvider: 'openai',
          aiModel: 'gpt-4o-mini',
          quota: { ...EXAMPLE_QUOTA, limitBytes: 5368709120 },
        },
      },
    },
    errors: { 400: ['validation_error'], 404: ['not_found'] },
  },
  'GET /api/search': {
    operationId: 'searchDocuments',
    tag: 'documents',
    summary: "Full-text search of the caller's documents (their text and filename), best match first",
    description:
      '`q` is web search syntax: words, `"a phrase"`, `-word`, `or`. `snippet` is plain text around the best ' +
      'match; `highlights` are `[start, end)` offsets of the matched words in it (UTF-16 code units).',
    query: searchQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: searchPageSchema,
      example: {
        results: [
          {
            document: EXAMPLE_DOCUMENT,
            snippet: 'Invoice 2026-03 … Total due: 42 EUR, payable within 30 days',
            highlights: [[0, 7]],
            rank: 0.0607927,
          },
        ],
        nextCursor: null,
      },
    },
    errors: { 400: ['validation_error'] },
  },
  'GET /api/me': {
    operationId: 'getMe',
    tag: 'me',
    summary: 'The caller: id, email, role, AI settings and quota',
    success: { status: 200, description: 'The caller', schema: userSchema, example: EXAMPLE_USER },
    errors: { 404: ['not_found'] },
  },
  'GET /api/openapi.json': {
    operationId: 'getOpenApi',
    tag: 'meta',
    auth: false,
    summary: 'This document',
    success: {
      status: 200,
      description: 'The OpenAPI 3.1 document',
      schema: z.record(z.string(), z.unknown()),
      example: { openapi: '3.1.0', info: { title: 'kite', version: '1' }, paths: {} },
    },
  },
};

const STATUS_TEXT: Record<ErrorStatus, string> = {
  400: 'The request is invalid',
  401: 'No valid bearer token',
  403: 'Not allowed',
  404: 'Not found (another user’s resource is not found too)',
  409: 'Conflicts with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  500: 'Internal error (never with internals in the message)',
  503: 'A dependency is down; a retry is safe',
};

/** The error statuses and codes an operation can answer with, the ones every route shares included. */
export function errorsOf(operation: Operation): Partial<Record<ErrorStatus, Codes>> {
  return {
    ...(operation.auth === false ? {} : { 401: ['unauthorized'] as const }),
    ...(operation.admin ? { 403: ['forbidden'] as const } : {}),
    ...operation.errors,
    500: ['internal'],
    ...(operation.auth === false ? {} : { 503: ['unavailable'] as const }),
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

/** Query integers travel as digits; the document describes the integer (see `queryInt` in lib/schemas.ts). */
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
  const path = Object.entries(operation.path ?? {}).map(([name, param]) => ({
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

export function openApiDocument() {
  const requestNames = new Map(Object.entries(REQUEST_COMPONENTS).map(([name, schema]) => [schema, name]));
  const responseNames = new Map(Object.entries(RESPONSE_COMPONENTS).map(([name, schema]) => [schema, name]));
  const errorComponents: Record<string, z.ZodMiniType> = {};
  for (const operation of Object.values(OPERATIONS)) {
    for (const codes of Object.values(errorsOf(operation))) {
      errorComponents[errorSchemaName(codes)] ??= errorBodySchema(codes);
    }
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const key of ROUTE_KEYS) {
    const operation = OPERATIONS[key];
    const [method = '', path = ''] = key.split(' ');
    const params = parameters(operation);
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      ...(operation.auth === false ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(operation.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: componentRef(requestNames.get(operation.body.schema) as string),
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
        'Every route but this document needs `Authorization: Bearer <JWT>`. Errors are `{"error": {"code", ' +
        '"message", "details"?}}`; each response lists the codes it can carry.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: '`npm start`' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'documents', description: 'Upload (upload-url → PUT → confirm), list, download, delete' },
      { name: 'topics', description: "What documents are filed under: the system's and the caller's own" },
      { name: 'admin', description: 'System topics and users; admins only (403 otherwise)' },
      { name: 'me', description: 'The caller' },
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
      },
      schemas: {
        ...componentSchemas(REQUEST_COMPONENTS, 'input'),
        ...componentSchemas({ ...RESPONSE_COMPONENTS, ...errorComponents }, 'output'),
      },
    },
  };
}
