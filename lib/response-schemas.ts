import * as z from 'zod/mini';
import { DOCUMENT_STATUSES, SNIPPET_MAX_CHARS } from './schemas.js';

// What the API answers with (README "API"), as zod schemas: lib/views.ts takes its types from them, the OpenAPI
// document is generated from them, and the integration tests validate every response they receive against that
// document. Kept apart from lib/schemas.ts, which every handler loads at cold start to validate requests: nothing
// at run time needs these but the OpenAPI function.

const dateTime = () => z.iso.datetime();
const byteCount = () => z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const scope = z.enum(['system', 'user']);

export const documentTopicSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  scope,
  source: z.enum(['ai', 'user']),
});

export const documentSchema = z.object({
  id: z.uuid(),
  filename: z.string(),
  contentType: z.string(),
  /** Null until confirm has read the real size from storage. */
  sizeBytes: z.nullable(byteCount()),
  status: z.enum(DOCUMENT_STATUSES),
  topics: z.array(documentTopicSchema),
  createdAt: dateTime(),
  confirmedAt: z.nullable(dateTime()),
  classifiedAt: z.nullable(dateTime()),
  error: z.nullable(z.string()),
  /** kite's SHA-256 of the stored bytes; null until computed (README "Duplicates and retried requests"). */
  sha256: z.nullable(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** The owner's oldest other document with the same content, if any. */
  duplicateOf: z.nullable(z.uuid()),
});

export const quotaSchema = z.object({ usedBytes: byteCount(), limitBytes: byteCount() });

export const topicSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.nullable(z.string()),
  scope,
});

export const userSchema = z.object({
  id: z.string(),
  email: z.nullable(z.string()),
  role: z.enum(['user', 'admin']),
  aiProvider: z.nullable(z.string()),
  aiModel: z.nullable(z.string()),
  quota: quotaSchema,
});

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

/** A request the client sends straight to storage, exactly as kite signed it (README "Large files"). */
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

export const documentPageSchema = z.object({
  documents: z.array(documentSchema),
  nextCursor: z.nullable(z.string()),
});

export const documentWithDownloadSchema = z.object({
  document: documentSchema,
  /** A presigned GET, valid for DOWNLOAD_URL_TTL_SECONDS; null while the document is pending. */
  downloadUrl: z.nullable(z.url()),
});

/** GET /api/search: best match first; `highlights` are [start, end) UTF-16 offsets into `snippet`. */
export const searchResultSchema = z.object({
  document: documentSchema,
  snippet: z.string().check(z.maxLength(SNIPPET_MAX_CHARS)),
  highlights: z.array(z.tuple([z.number().check(z.int()), z.number().check(z.int())])),
  rank: z.number(),
});

export const searchPageSchema = z.object({
  results: z.array(searchResultSchema),
  nextCursor: z.nullable(z.string()),
});

export const documentResponseSchema = z.object({ document: documentSchema });
export const topicListSchema = z.object({ topics: z.array(topicSchema) });
export const topicResponseSchema = z.object({ topic: topicSchema });
export const userPageSchema = z.object({ users: z.array(userSchema), nextCursor: z.nullable(z.string()) });
export const userResponseSchema = z.object({ user: userSchema });

export const validationIssueSchema = z.object({ path: z.string(), message: z.string() });

/** The one error body (README "API"); `codes` narrows `code` to what one response can carry. */
export function errorBodySchema(codes?: readonly [string, ...string[]]) {
  return z.object({
    error: z.object({
      code: codes ? z.enum(codes) : z.string(),
      message: z.string(),
      details: z.optional(
        // Validation errors list their issues; `duplicate` names the document it duplicates ({documentId}).
        z.union([z.array(validationIssueSchema), z.record(z.string(), z.unknown())]),
      ),
      /** The invocation's id, as in its log lines and the x-request-id header: quote it when reporting a problem. */
      requestId: z.optional(z.string()),
    }),
  });
}

export type DocumentTopicView = z.output<typeof documentTopicSchema>;
export type DocumentView = z.output<typeof documentSchema>;
export type QuotaView = z.output<typeof quotaSchema>;
export type TopicView = z.output<typeof topicSchema>;
export type UserView = z.output<typeof userSchema>;
export type UploadTicket = z.output<typeof uploadTicketSchema>;
export type ConfirmResult = z.output<typeof confirmResultSchema>;
export type SignedRequestView = z.output<typeof signedRequestSchema>;
export type MultipartTicket = z.output<typeof multipartTicketSchema>;
export type DocumentPage = z.output<typeof documentPageSchema>;
export type DocumentWithDownload = z.output<typeof documentWithDownloadSchema>;
export type UserPage = z.output<typeof userPageSchema>;
export type SearchPage = z.output<typeof searchPageSchema>;
