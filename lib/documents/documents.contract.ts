import * as z from 'zod/mini';
import { byteCount, dateTime, pageLimitQuery, uuidPathParam, uuidQuery } from '../platform/contract.js';
import type { ShownDocumentRow } from '../platform/db/schema.js';
import { hasControlChars } from '../platform/names.js';
import { defineRoute } from '../platform/route.js';

// The document as the API shows it, and the routes that read, delete and reprocess it (docs/api.md "API"). Uploads
// and search answer with the same document, so their contracts import it from here.

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

export const DOCUMENT_STATUSES = ['pending', 'uploaded', 'classified', 'failed'] as const;

export const documentTopicSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  scope: z.enum(['system', 'user']),
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
  /** kite's SHA-256 of the stored bytes; null until computed (docs/api.md "Duplicates and retried requests"). */
  sha256: z.nullable(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** The owner's oldest other document with the same content, if any. */
  duplicateOf: z.nullable(z.uuid()),
  /** +1 on every change a person makes (edit, trash, restore, bulk actions); the ETag is `"<version>"`. */
  version: z.int().check(z.positive()),
  /** When it was moved to the trash; null while it is not in the trash. */
  deletedAt: z.nullable(dateTime()),
  /** Pages of a PDF (1 for an image); null for other types and until the extract stage ran. */
  pageCount: z.nullable(z.int().check(z.nonnegative())),
  /**
   * Where its searchable text came from: `text` (a PDF's text layer or a text file), `ocr` (OCR read at least one
   * page), `none` (no text could be read: `error` says why when something went wrong); null until the extract stage
   * ran (docs/api.md "Text from scans and photos (OCR) and previews").
   */
  textSource: z.nullable(z.enum(['text', 'ocr', 'none'])),
  /** A presigned GET of a WebP about THUMBNAIL_WIDTH px wide (page 1, or the image), valid DOWNLOAD_URL_TTL_SECONDS. */
  thumbnailUrl: z.nullable(z.url()),
});

/** GET /api/documents query string: every value arrives as a string. Unknown parameters are ignored. */
export const listDocumentsQuery = z.object({
  status: z.optional(z.enum(DOCUMENT_STATUSES)),
  topicId: uuidQuery('topicId'),
  limit: pageLimitQuery,
  sha256: z.optional(sha256Schema),
  cursor: z.optional(z.string()),
});
export type ListDocumentsQuery = z.infer<typeof listDocumentsQuery>;

export const documentPageSchema = z.object({
  documents: z.array(documentSchema),
  nextCursor: z.nullable(z.string()),
});

export const documentWithDownloadSchema = z.object({
  document: documentSchema,
  /** A presigned GET, valid for DOWNLOAD_URL_TTL_SECONDS; null while the document is pending. */
  downloadUrl: z.nullable(z.url()),
  /**
   * A presigned GET that opens in the browser (`Content-Disposition: inline`) from the bucket's own origin, for PDFs,
   * images and text/plain; null for other types and while pending (docs/api.md "Text from scans and photos (OCR) and previews").
   */
  previewUrl: z.nullable(z.url()),
});

export const documentResponseSchema = z.object({ document: documentSchema });

export type DocumentTopicView = z.output<typeof documentTopicSchema>;
export type DocumentView = z.output<typeof documentSchema>;
export type DocumentPage = z.output<typeof documentPageSchema>;
export type DocumentWithDownload = z.output<typeof documentWithDownloadSchema>;

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

/**
 * A row as clients see it: camelCase, ISO dates. Typed by the schema, so a field missing here does not compile.
 * `thumbnailUrl` is signed by the caller (lib/documents/documents.ts documentViews), which may sign nothing.
 */
export function documentView(
  row: ShownDocumentRow,
  topics: DocumentTopicView[] = [],
  thumbnailUrl: string | null = null,
): DocumentView {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    status: row.status,
    topics,
    createdAt: row.created_at.toISOString(),
    confirmedAt: iso(row.confirmed_at),
    classifiedAt: iso(row.classified_at),
    // A classification's error, else what the extract stage could not do (e.g. pages left without OCR).
    error: row.error ?? row.extract_error ?? null,
    sha256: row.sha256 ?? null,
    duplicateOf: row.duplicate_of ?? null,
    version: row.version,
    deletedAt: iso(row.deleted_at),
    pageCount: row.page_count ?? null,
    textSource: row.text_source ?? null,
    thumbnailUrl,
  };
}

/** Components of the OpenAPI document, by name. */
export const documentComponents = {
  Document: documentSchema,
  DocumentTopic: documentTopicSchema,
  DocumentPage: documentPageSchema,
  DocumentWithDownload: documentWithDownloadSchema,
  DocumentResponse: documentResponseSchema,
};

export const EXAMPLE_DOCUMENT = {
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
  version: 1,
  deletedAt: null,
  pageCount: 2,
  textSource: 'ocr',
  thumbnailUrl:
    'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e/.thumbnail.webp?X-Amz-Signature=5a6b7c8d',
};
export const EXAMPLE_PENDING = {
  ...EXAMPLE_DOCUMENT,
  sizeBytes: null,
  status: 'pending',
  topics: [],
  confirmedAt: null,
  classifiedAt: null,
  sha256: null,
  pageCount: null,
  textSource: null,
  thumbnailUrl: null,
};
const EXAMPLE_DOWNLOAD =
  'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e/invoice-2026-03.pdf?X-Amz-Signature=0f1e2d3c';
const EXAMPLE_PREVIEW =
  'https://bucket.s3.amazonaws.com/users/alice/3f2b8c1e/invoice-2026-03.pdf?response-content-disposition=inline&X-Amz-Signature=1a2b3c4d';

export const documentIdParam = uuidPathParam('The document id');

/** DELETE /api/documents/{id} query string: `permanent=true` skips the trash. */
export const deleteDocumentQuery = z.object({
  permanent: z.optional(z.enum(['true', 'false'])),
});

/** Every answer carrying one document sends its version as the ETag. */
export const versionEtag = {
  ETag: { description: "The document's version, quoted: send it back as If-Match", schema: z.string() },
};

/** The `documents` function's routes. */
export const documentRoutes = {
  listDocuments: defineRoute({
    method: 'GET',
    path: '/api/documents',
    function: 'documents',
    operationId: 'listDocuments',
    scope: 'documents:read',
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
  }),
  getDocument: defineRoute({
    method: 'GET',
    path: '/api/documents/{id}',
    function: 'documents',
    operationId: 'getDocument',
    scope: 'documents:read',
    tag: 'documents',
    summary: 'One document, with a short-lived download URL once confirmed',
    description: 'A document in the trash is still shown (with `deletedAt`), so a trash view can open it.',
    params: documentIdParam,
    success: {
      status: 200,
      description: 'The document',
      schema: documentWithDownloadSchema,
      example: { document: EXAMPLE_DOCUMENT, downloadUrl: EXAMPLE_DOWNLOAD, previewUrl: EXAMPLE_PREVIEW },
      headers: versionEtag,
    },
    errors: { 404: ['not_found'] },
  }),
  deleteDocument: defineRoute({
    method: 'DELETE',
    path: '/api/documents/{id}',
    function: 'documents',
    operationId: 'deleteDocument',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Move a document to the trash; `permanent=true` deletes it and its bytes for good',
    description:
      'A confirmed document goes to the trash (restorable, still counted in the quota); a pending upload, or any ' +
      'document with `permanent=true`, is deleted with its bytes, and a confirmed one is refunded to the quota.',
    params: documentIdParam,
    query: deleteDocumentQuery,
    success: { status: 204, description: 'In the trash, or deleted' },
    errors: { 400: ['validation_error'], 404: ['not_found'] },
  }),
  reclassifyDocument: defineRoute({
    method: 'POST',
    path: '/api/documents/{id}/classify',
    function: 'documents',
    operationId: 'reclassifyDocument',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Queue a confirmed document for classification again',
    params: documentIdParam,
    success: {
      status: 202,
      description: 'Queued; the document is `uploaded` until classified',
      schema: documentResponseSchema,
      example: { document: { ...EXAMPLE_DOCUMENT, status: 'uploaded', classifiedAt: null } },
      headers: versionEtag,
    },
    errors: { 404: ['not_found'], 409: ['conflict'] },
  }),
};
