import { randomUUID } from 'node:crypto';
import type { Caller } from './auth.js';
import { config } from './config.js';
import { db } from './db/client.js';
import {
  confirmPendingDocument,
  findDocumentForOwner,
  insertPendingDocumentWithinQuota,
  topicsOfDocuments,
} from './db/documents.js';
import { findQuota } from './db/users.js';
import { ConflictError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { logger } from './logger.js';
import { enqueueClassification } from './queue.js';
import type { UploadUrlBody } from './schemas.js';
import { searchLanguage } from './search-language.js';
import { deleteObjects, headObjectSize, type PresignedPut, presignPut, storageKey } from './storage.js';
import { type DocumentView, documentView, quotaView } from './views.js';

export interface UploadTicket {
  document: DocumentView;
  upload: { url: string; method: 'PUT'; headers: PresignedPut['headers']; expiresAt: string };
}

/** Step 1: check what can be checked early, record a pending document, presign the PUT. Nothing is reserved. */
export async function createUpload(caller: Caller, request: UploadUrlBody): Promise<UploadTicket> {
  const cfg = config();
  if (!cfg.ALLOWED_CONTENT_TYPES.includes(request.contentType)) {
    throw new UnsupportedMediaTypeError(`Content type ${request.contentType} is not accepted`);
  }
  if (request.size > cfg.MAX_UPLOAD_BYTES) {
    throw new PayloadTooLargeError('file_too_large', `Files may be at most ${cfg.MAX_UPLOAD_BYTES} bytes`);
  }
  const id = randomUUID();
  const key = storageKey(caller.userId, id, request.filename);
  const row = await insertPendingDocumentWithinQuota(
    db(),
    {
      id,
      user_id: caller.userId,
      filename: request.filename,
      content_type: request.contentType,
      storage_key: key,
    },
    request.size,
    await searchLanguage(),
  );
  if (!row)
    throw new PayloadTooLargeError('quota_exceeded', 'This file does not fit in your remaining quota');
  const put = await presignPut(key, request.contentType, request.size);
  return {
    document: documentView(row),
    upload: { url: put.url, method: 'PUT', headers: put.headers, expiresAt: put.expiresAt.toISOString() },
  };
}

export interface ConfirmResult {
  document: DocumentView;
  quota: { usedBytes: number; limitBytes: number };
}

/**
 * Step 3: read the real size from S3, then count it against the quota atomically. Confirming twice changes
 * nothing. The classification message is sent after the commit; if that fails the document stays `uploaded` and
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
      await deleteObjects([document.storage_key]);
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

async function enqueueAfterConfirm(documentId: string): Promise<void> {
  try {
    await enqueueClassification(documentId);
  } catch (error) {
    logger.warn('classification enqueue failed; the purge will re-enqueue it', {
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
