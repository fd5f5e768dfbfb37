import * as z from 'zod/mini';
import {
  documentIdParam,
  documentSchema,
  EXAMPLE_DOCUMENT,
  EXAMPLE_PENDING,
  filenameSchema,
  sha256Schema,
  versionEtag,
} from '../documents/documents.contract.js';
import { dateTime } from '../platform/contract.js';
import { defineRoute } from '../platform/route.js';
import { EXAMPLE_QUOTA, quotaSchema } from '../users/users.contract.js';

// Uploads: presigned PUT → confirm, and multipart for large files (docs/api.md "API", "Large files").
// Over 300 lines on purpose: the four routes of one flow share its start checks, ticket shapes and examples, and
// reading them together is how the flow's contract is checked; most of the length is the OpenAPI examples.

export const uploadUrlBody = z.strictObject({
  filename: filenameSchema,
  contentType: z.pipe(
    z.string().check(z.minLength(1), z.maxLength(255)),
    z.transform((type: string) => type.trim().toLowerCase()),
  ),
  size: z
    .number()
    .check(
      z.int('size must be an integer'),
      z.nonnegative('size must not be negative'),
      z.maximum(Number.MAX_SAFE_INTEGER),
    ),
  /** The client's hash of the file: when the caller already stores that content, 409 `duplicate`. */
  sha256: z.optional(sha256Schema),
});
export type UploadUrlBody = z.infer<typeof uploadUrlBody>;

/** The Idempotency-Key header: 1–255 visible ASCII characters. */
export const idempotencyKeySchema = z.optional(
  z
    .string()
    .check(z.regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1 to 255 visible ASCII characters')),
);
/** POST /api/documents/multipart (docs/api.md "Large files"): as upload-url, plus the client's part size if it cut parts. */
export const multipartBody = z.strictObject({
  ...uploadUrlBody.shape,
  size: z
    .number()
    .check(
      z.int('size must be an integer'),
      z.positive('size must be at least 1: an empty file goes through upload-url'),
      z.maximum(Number.MAX_SAFE_INTEGER),
    ),
  partSize: z.optional(
    z.number().check(z.int('partSize must be an integer'), z.positive('partSize must be positive')),
  ),
});
export type MultipartBody = z.infer<typeof multipartBody>;

export const MULTIPART_OPERATIONS = ['uploadPart', 'listParts', 'complete', 'abort'] as const;

/** POST /api/documents/{id}/multipart/sign. */
export const multipartSignBody = z
  .strictObject({
    uploadId: z
      .string({ error: 'uploadId must be a string' })
      .check(
        z.minLength(1, 'uploadId must not be empty'),
        z.maxLength(1024, 'uploadId must be at most 1024 characters'),
        z.regex(/^[\x21-\x7e]+$/, 'uploadId must be visible ASCII characters'),
      ),
    operation: z.enum(MULTIPART_OPERATIONS, {
      error: `operation must be one of ${MULTIPART_OPERATIONS.join(', ')}`,
    }),
    partNumbers: z.optional(
      z
        .array(z.number().check(z.int('part numbers are integers'), z.positive('part numbers start at 1')))
        .check(
          z.minLength(1, 'partNumbers must name at least one part'),
          z.maxLength(1000, 'at most 1000 part numbers per call'),
        ),
    ),
    partNumberMarker: z.optional(
      z.number().check(z.int('partNumberMarker must be an integer'), z.nonnegative(), z.maximum(10_000)),
    ),
  })
  .check(
    z.refine((body) => (body.operation === 'uploadPart') === (body.partNumbers !== undefined), {
      message: 'partNumbers is required for uploadPart and only for it',
      path: ['partNumbers'],
    }),
    z.refine((body) => body.operation === 'listParts' || body.partNumberMarker === undefined, {
      message: 'partNumberMarker is only for listParts',
      path: ['partNumberMarker'],
    }),
  );
export type MultipartSignBody = z.infer<typeof multipartSignBody>;

export const uploadTicketSchema = z.object({
  document: documentSchema,
  upload: z.object({
    /** The object's key, users/<userId>/<documentId>/<safe name>. */
    key: z.string(),
    url: z.url(),
    method: z.literal('PUT'),
    headers: z.object({ 'Content-Type': z.string(), 'Content-Length': z.string().check(z.regex(/^\d+$/)) }),
    expiresAt: dateTime(),
  }),
});

/** A request the client sends straight to storage, exactly as kite signed it (docs/api.md "Large files"). */
export const signedRequestSchema = z.object({
  partNumber: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(10_000))),
  url: z.url(),
  method: z.enum(['POST', 'PUT', 'GET', 'DELETE']),
  headers: z.record(z.string(), z.string()),
  expiresAt: dateTime(),
});

export const multipartTicketSchema = z.object({
  document: documentSchema,
  upload: z.object({
    key: z.string(),
    partSize: z.number().check(z.int(), z.positive()),
    partCount: z.number().check(z.int(), z.minimum(1), z.maximum(10_000)),
    create: signedRequestSchema,
  }),
});

export const signedRequestsSchema = z.object({ requests: z.array(signedRequestSchema) });

export const confirmResultSchema = z.object({ document: documentSchema, quota: quotaSchema });

export type UploadTicket = z.output<typeof uploadTicketSchema>;
export type ConfirmResult = z.output<typeof confirmResultSchema>;
export type SignedRequestView = z.output<typeof signedRequestSchema>;
export type MultipartTicket = z.output<typeof multipartTicketSchema>;

export const uploadComponents = {
  UploadTicket: uploadTicketSchema,
  ConfirmResult: confirmResultSchema,
  SignedRequest: signedRequestSchema,
  MultipartTicket: multipartTicketSchema,
  SignedRequests: signedRequestsSchema,
};
export const uploadRequestComponents = {
  UploadUrlRequest: uploadUrlBody,
  MultipartRequest: multipartBody,
  MultipartSignRequest: multipartSignBody,
};

/** What starting an upload can answer besides success: the same early checks for a single PUT and for parts. */
const START_ERRORS = {
  400: ['validation_error'],
  409: ['duplicate', 'conflict'],
  413: ['file_too_large', 'quota_exceeded'],
  415: ['unsupported_media_type'],
} as const;

/** The `upload-url` function's route. */
export const uploadUrlRoutes = {
  createUploadUrl: defineRoute({
    method: 'POST',
    path: '/api/documents/upload-url',
    function: 'upload-url',
    operationId: 'createUploadUrl',
    scope: 'documents:write',
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
      headers: versionEtag,
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
    errors: START_ERRORS,
  }),
};

/** The `confirm` function's route. */
export const confirmRoutes = {
  confirmUpload: defineRoute({
    method: 'POST',
    path: '/api/documents/{id}/confirm',
    function: 'confirm',
    operationId: 'confirmUpload',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Finish an upload: count the stored bytes against the quota and queue classification',
    description: 'Confirming a confirmed document answers with its current state and changes nothing.',
    params: documentIdParam,
    success: {
      status: 200,
      description: 'The confirmed document and the quota after it',
      headers: versionEtag,
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
  }),
};

/** The `multipart` function's routes (docs/api.md "Large files"). */
export const multipartRoutes = {
  createMultipartUpload: defineRoute({
    method: 'POST',
    path: '/api/documents/multipart',
    function: 'multipart',
    operationId: 'createMultipartUpload',
    scope: 'documents:write',
    tag: 'documents',
    summary:
      'Start a multipart upload: a pending document, its part size and a presigned CreateMultipartUpload',
    description:
      'For large files (docs/api.md "Large files"): POST `upload.create` to storage and read `UploadId` from its XML ' +
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
      headers: versionEtag,
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
    errors: START_ERRORS,
  }),
  signMultipartRequests: defineRoute({
    method: 'POST',
    path: '/api/documents/{id}/multipart/sign',
    function: 'multipart',
    operationId: 'signMultipartRequests',
    scope: 'documents:write',
    tag: 'documents',
    summary: "Sign requests of a pending document's multipart upload: parts, ListParts, complete, abort",
    description:
      '`uploadPart` signs 1–1000 parts, each with its exact Content-Length. The first signing binds `uploadId` to ' +
      'the document; another one later → 409. `listParts` tells a resuming client which parts storage holds.',
    params: documentIdParam,
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
  }),
};
