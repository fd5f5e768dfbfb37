import * as z from 'zod/mini';
import './platform/zod-messages.js';
import { AI_PROVIDERS } from './platform/config.js';
import { checkTopicName, hasControlChars, hasNonWhitespaceControlChars } from './platform/names.js';

export const filenameSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'filename must not be empty'),
  z.maxLength(255, 'filename must be at most 255 characters'),
  z.refine((name) => !hasControlChars(name), 'filename must not contain control characters'),
);

/** A SHA-256 as 64 hex characters, lowercased. */
export const sha256Schema = z.pipe(
  z
    .string({ error: 'sha256 must be a string' })
    .check(z.regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hexadecimal characters')),
  z.transform((hex: string) => hex.toLowerCase()),
);

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
/** POST /api/documents/multipart (README "Large files"): as upload-url, plus the client's part size if it cut parts. */
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

/** The longest `snippet` a search result carries (lib/search/snippet.ts). */
export const SNIPPET_MAX_CHARS = 300;

export const DOCUMENT_STATUSES = ['pending', 'uploaded', 'classified', 'failed'] as const;

/** A query-string integer: digits only, then range-checked as a number, `fallback` when absent. */
function queryInt(options: {
  pattern: RegExp;
  digitsMessage: string;
  minMessage?: string;
  max: number;
  maxMessage: string;
  fallback: number;
}) {
  return z
    ._default(
      z.pipe(
        z.pipe(z.string().check(z.regex(options.pattern, options.digitsMessage)), z.transform(Number)),
        z
          .number()
          .check(z.int(), z.minimum(1, options.minMessage), z.maximum(options.max, options.maxMessage)),
      ),
      options.fallback,
    )
    .register(z.globalRegistry, {
      // The OpenAPI document shows the integer a client means, not the digits it travels as (lib/api/openapi.ts).
      queryInteger: { minimum: 1, maximum: options.max, default: options.fallback },
    });
}

const topicIdQuery = z.optional(
  z.pipe(
    z
      .string()
      .check(
        z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'topicId must be a UUID'),
      ),
    z.transform((id: string) => id.toLowerCase()),
  ),
);

const pageLimitQuery = queryInt({
  pattern: /^\d{1,3}$/,
  digitsMessage: 'limit must be an integer from 1 to 100',
  minMessage: 'limit must be at least 1',
  max: 100,
  maxMessage: 'limit must be at most 100',
  fallback: 20,
});

/** GET /api/documents query string: every value arrives as a string. Unknown parameters are ignored. */
export const listDocumentsQuery = z.object({
  status: z.optional(z.enum(DOCUMENT_STATUSES)),
  topicId: topicIdQuery,
  limit: pageLimitQuery,
  sha256: z.optional(sha256Schema),
  cursor: z.optional(z.string()),
});
export type ListDocumentsQuery = z.infer<typeof listDocumentsQuery>;

export const SEARCH_QUERY_MAX = 200;

/** GET /api/search query string (README "Search"): `q` in web search syntax, the list's filters and paging. */
export const searchQuery = z.object({
  q: z
    .string({ error: (issue) => (issue.input === undefined ? 'q is required' : 'q must be a string') })
    .check(
      z.trim(),
      z.minLength(1, 'q must not be empty'),
      z.maxLength(SEARCH_QUERY_MAX, `q must be at most ${SEARCH_QUERY_MAX} characters`),
      z.refine((q) => !hasNonWhitespaceControlChars(q), 'q must not contain control characters'),
    ),
  status: z.optional(z.enum(DOCUMENT_STATUSES)),
  topicId: topicIdQuery,
  limit: pageLimitQuery,
  cursor: z.optional(z.string()),
});
export type SearchQuery = z.infer<typeof searchQuery>;

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be a string`;

/** A topic name as a client sends it: validated strictly, then normalised by the one normalisation (lib/platform/names.ts). */
export const topicNameSchema = z.pipe(
  z.string({ error: required('name') }),
  z.transform((value: string, ctx) => {
    const check = checkTopicName(value);
    if (check.ok) return check.name;
    ctx.issues.push({ code: 'custom', message: check.message, input: value });
    return z.NEVER;
  }),
);

export const TOPIC_DESCRIPTION_MAX = 500;

/** Optional free text: trimmed; blank or null clears it. Newlines and tabs are fine, other control characters not. */
export const topicDescriptionSchema = z.nullable(
  z.pipe(
    z.string({ error: 'description must be a string or null' }).check(
      z.trim(),
      z.maxLength(TOPIC_DESCRIPTION_MAX, `description must be at most ${TOPIC_DESCRIPTION_MAX} characters`),
      z.refine(
        (text) => !hasNonWhitespaceControlChars(text),
        'description must not contain control characters',
      ),
    ),
    z.transform((text: string) => (text === '' ? null : text)),
  ),
);

export const createTopicBody = z.strictObject({
  name: topicNameSchema,
  description: z.optional(topicDescriptionSchema),
});
export type CreateTopicBody = z.infer<typeof createTopicBody>;

export const updateTopicBody = z
  .strictObject({
    name: z.optional(topicNameSchema),
    description: z.optional(topicDescriptionSchema),
  })
  .check(
    z.refine((body) => body.name !== undefined || body.description !== undefined, {
      message: 'send at least one of name, description',
    }),
  );
export type UpdateTopicBody = z.infer<typeof updateTopicBody>;

export const updateUserBody = z
  .strictObject({
    aiProvider: z.optional(
      z.nullable(
        z.enum(AI_PROVIDERS, { error: `aiProvider must be one of ${AI_PROVIDERS.join(', ')}, or null` }),
      ),
    ),
    aiModel: z.optional(
      z.nullable(
        z.string({ error: 'aiModel must be a string or null' }).check(
          z.trim(),
          z.minLength(1, 'aiModel must not be empty'),
          z.maxLength(200, 'aiModel must be at most 200 characters'),
          z.refine((model) => !hasControlChars(model), 'aiModel must not contain control characters'),
        ),
      ),
    ),
    quotaLimitBytes: z.optional(
      z
        .number({ error: 'quotaLimitBytes must be a number' })
        .check(
          z.int('quotaLimitBytes must be an integer'),
          z.nonnegative('quotaLimitBytes must not be negative'),
          z.maximum(Number.MAX_SAFE_INTEGER, 'quotaLimitBytes is too large'),
        ),
    ),
  })
  .check(
    z.refine((body) => Object.values(body).some((value) => value !== undefined), {
      message: 'send at least one of aiProvider, aiModel, quotaLimitBytes',
    }),
  );
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const USERS_PAGE_MAX = 500;

export const listUsersQuery = z.object({
  limit: queryInt({
    pattern: /^\d{1,4}$/,
    digitsMessage: `limit must be an integer from 1 to ${USERS_PAGE_MAX}`,
    max: USERS_PAGE_MAX,
    maxMessage: `limit must be at most ${USERS_PAGE_MAX}`,
    fallback: 100,
  }),
  cursor: z.optional(z.string()),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;
