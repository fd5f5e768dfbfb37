import { createHash, randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { Caller } from '../auth/auth.js';
import { documentView } from '../documents/documents.contract.js';
import { enqueueExtraction } from '../platform/aws/queue.js';
import { deleteObjects, headObjectSize, presignPut, storageKey } from '../platform/aws/storage.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import { findIdempotencyKey, type IdempotencyClaim } from '../platform/db/idempotency.js';
import { findQuota } from '../platform/db/quotas.js';
import type { DocumentRow } from '../platform/db/schema.js';
import { findDocumentForOwner, topicsOfDocuments } from '../platform/db/shown-documents.js';
import {
  ConflictError,
  DuplicateError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../platform/errors.js';
import type { HttpEvent } from '../platform/http.js';
import { logger } from '../platform/logger.js';
import { searchLanguage } from '../search/search-language.js';
import { quotaView } from '../users/users.contract.js';
import { MAX_SINGLE_PUT_BYTES } from './multipart-rules.js';
import type { ConfirmResult, UploadTicket } from './uploads.contract.js';
import { idempotencyKeySchema, type UploadUrlBody } from './uploads.contract.js';
import {
  confirmPendingDocument,
  findDocumentWithContent,
  insertPendingDocumentWithinQuota,
} from './uploads.queries.js';

/** What upload-url and multipart ask for before a pending document exists. */
export interface PendingDocumentRequest {
  filename: string;
  contentType: string;
  size: number;
  sha256?: string | undefined;
}

export interface PendingDocumentOptions {
  /** The request's Idempotency-Key header, if any. */
  idempotencyKey?: string | undefined;
  /** The route and its validated body: a retry must send the same to get the same document. */
  fingerprint: { route: string; body: unknown };
  /** What S3 takes in this kind of upload (5 GiB in one PUT, 5 TiB in parts), and what to do above it. */
  s3Limit: { bytes: number; hint: string };
  /** Multipart uploads only: every part but the last has exactly this many bytes (docs/api.md "Large files"). */
  partBytes?: number | undefined;
  /** The new document's id, for a caller that needs its storage key before the INSERT; a fresh UUID otherwise. */
  id?: string;
}

/**
 * What upload-url and multipart share: the early checks (type, size, the caller's duplicate when they sent a
 * hash, the remaining quota), then a pending document. Nothing is reserved. With an Idempotency-Key, a retry of
 * the same request within 24 hours gets the document the first one created; the same key with another body → 409.
 */
export async function createPendingDocument(
  caller: Caller,
  request: PendingDocumentRequest,
  options: PendingDocumentOptions,
): Promise<DocumentRow> {
  const cfg = config();
  const database = db();
  const claim =
    options.idempotencyKey === undefined
      ? undefined
      : { key: options.idempotencyKey, fingerprint: fingerprintOf(options.fingerprint) };
  if (claim) {
    const replayed = await replay(caller.userId, claim);
    if (replayed) return replayed;
  }
  if (!cfg.ALLOWED_CONTENT_TYPES.includes(request.contentType)) {
    throw new UnsupportedMediaTypeError(`Content type ${request.contentType} is not accepted`);
  }
  const overMax = request.size > cfg.MAX_UPLOAD_BYTES;
  const overS3 = request.size > options.s3Limit.bytes;
  if (overMax || overS3) {
    const max = `Files may be at most ${cfg.MAX_UPLOAD_BYTES} bytes`;
    const { hint } = options.s3Limit;
    throw new PayloadTooLargeError(
      'file_too_large',
      overMax ? (overS3 ? `${max}; ${hint}` : max) : capitalise(hint),
    );
  }
  if (request.sha256) {
    const existing = await findDocumentWithContent(database, caller.userId, request.sha256);
    if (existing) throw new DuplicateError(existing.id, existing.trashed);
  }
  const id = options.id ?? randomUUID();
  const row = await insertPendingDocumentWithinQuota(
    database,
    {
      id,
      user_id: caller.userId,
      filename: request.filename,
      content_type: request.contentType,
      storage_key: storageKey(caller.userId, id, request.filename),
      part_bytes: options.partBytes ?? null,
    },
    request.size,
    await searchLanguage(),
    claim,
  );
  if (row) return row;
  // Nothing inserted: a concurrent request with the same key won (its row is committed by now), or no room.
  if (claim) {
    const replayed = await replay(caller.userId, claim);
    if (replayed) return replayed;
  }
  throw new PayloadTooLargeError('quota_exceeded', 'This file does not fit in your remaining quota');
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function fingerprintOf(value: { route: string; body: unknown }): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** JSON with object keys sorted, so the same body always has the same fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The document an earlier request with this key created, if the key is in use; 409 when it cannot be replayed. */
async function replay(userId: string, claim: IdempotencyClaim): Promise<DocumentRow | undefined> {
  const database = db();
  const used = await findIdempotencyKey(database, userId, claim.key);
  if (!used) return undefined;
  if (used.fingerprint !== claim.fingerprint) {
    throw new ConflictError('This Idempotency-Key was used for a different request');
  }
  const document = await findDocumentForOwner(database, userId, used.document_id);
  if (!document) return undefined; // deleted meanwhile: its key went with it
  if (document.status !== 'pending') {
    // A fresh URL would let the client overwrite bytes that were already counted.
    throw new ConflictError('The document this request created has already been uploaded and confirmed');
  }
  return document;
}

/**
 * Step 1: check what can be checked early, record a pending document, presign the PUT. Nothing is reserved.
 * The new document's key is known before its INSERT, so the presign (CPU only) runs while the INSERT waits on the
 * database, and the answer costs the longer of the two instead of their sum (docs/performance.md "Performance"); when the
 * quota check refuses, the URL is dropped. A replayed request's document keeps its own key: it is signed anew.
 */
export async function createUpload(
  caller: Caller,
  request: UploadUrlBody,
  idempotencyKey?: string,
): Promise<UploadTicket> {
  const id = randomUUID();
  const pending = createPendingDocument(caller, request, {
    idempotencyKey,
    fingerprint: { route: 'upload-url', body: request },
    s3Limit: {
      bytes: MAX_SINGLE_PUT_BYTES,
      hint: `a single upload stops at ${MAX_SINGLE_PUT_BYTES} bytes (5 GiB): send larger files in parts with POST /api/documents/multipart`,
    },
    id,
  });
  // After the statement is on the wire: the signing would otherwise run to the end before pg gets to send it.
  const presigned = setImmediate().then(() =>
    presignPut(storageKey(caller.userId, id, request.filename), request.contentType, request.size),
  );
  const [row, put] = await Promise.all([pending, presigned]);
  const { url, headers, expiresAt } =
    row.id === id ? put : await presignPut(row.storage_key, request.contentType, request.size);
  return {
    document: documentView(row),
    upload: { key: row.storage_key, url, method: 'PUT', headers, expiresAt: expiresAt.toISOString() },
  };
}

/**
 * Step 3: read the real size from S3, then count it against the quota atomically. Confirming twice changes
 * nothing. The extraction message (then classification) is sent after the commit; if that fails the document stays `uploaded` and
 * the purge re-enqueues it later.
 */
export async function confirmUpload(userId: string, documentId: string): Promise<ConfirmResult> {
  const database = db();
  const cfg = config();
  const document = await findDocumentForOwner(database, userId, documentId);
  if (!document) throw new NotFoundError('Document not found');
  if (document.status === 'pending') {
    const size = await headObjectSize(document.storage_key);
    if (size === undefined) throw new ConflictError('The file has not been uploaded yet', 'upload_missing');
    if (size > cfg.MAX_UPLOAD_BYTES) {
      await deleteOversizeObject(documentId, document.storage_key);
      throw new PayloadTooLargeError('file_too_large', `Files may be at most ${cfg.MAX_UPLOAD_BYTES} bytes`);
    }
    const outcome = await confirmPendingDocument(database, userId, documentId, size);
    if (outcome.kind === 'quota_exceeded') {
      throw new PayloadTooLargeError('quota_exceeded', 'This file does not fit in your remaining quota');
    }
    if (outcome.kind === 'confirmed') {
      await enqueueAfterConfirm(documentId);
      return {
        document: documentView(outcome.document),
        quota: { usedBytes: outcome.usedBytes, limitBytes: outcome.limitBytes },
      };
    }
    // Another request confirmed it between our read and our update: answer with the current state.
  }
  return currentState(userId, documentId);
}

/**
 * The answer is 413 whether or not S3 deletes the object: if it cannot, the document stays `pending` with its key,
 * so the purge deletes the object when the upload expires. Nothing is counted either way.
 */
async function deleteOversizeObject(documentId: string, key: string): Promise<void> {
  try {
    await deleteObjects([key]);
  } catch (error) {
    logger.warn('confirm: could not delete an oversize object; the purge deletes it later', {
      documentId,
      error: error as Error,
    });
  }
}

async function enqueueAfterConfirm(documentId: string): Promise<void> {
  try {
    await enqueueExtraction(documentId);
  } catch (error) {
    logger.warn('extraction enqueue failed; the purge will re-enqueue it', {
      documentId,
      error: error as Error,
    });
  }
}

async function currentState(userId: string, documentId: string): Promise<ConfirmResult> {
  const database = db();
  const [document, quota] = await Promise.all([
    findDocumentForOwner(database, userId, documentId),
    findQuota(database, userId),
  ]);
  if (!document || !quota) throw new NotFoundError('Document not found');
  const topics = await topicsOfDocuments(database, [documentId]);
  return { document: documentView(document, topics.get(documentId) ?? []), quota: quotaView(quota) };
}

/** The request's Idempotency-Key header (docs/api.md "Duplicates and retried requests"), validated; 400 when malformed. */
export function idempotencyKey(event: HttpEvent): string | undefined {
  const parsed = idempotencyKeySchema.safeParse(event.headers?.['idempotency-key']);
  if (!parsed.success) {
    throw new ValidationError('The Idempotency-Key header is invalid', [
      { path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return parsed.data;
}
