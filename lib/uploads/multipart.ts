import type { Caller } from '../auth/auth.js';
import { documentView } from '../documents/documents.contract.js';
import {
  type PresignedRequest,
  presignAbortMultipart,
  presignCompleteMultipart,
  presignCreateMultipart,
  presignListParts,
  presignUploadParts,
} from '../platform/aws/multipart.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import type { DocumentRow } from '../platform/db/schema.js';
import { findDocumentForOwner } from '../platform/db/shown-documents.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { choosePartSize, MAX_OBJECT_BYTES, partCount, partLength } from './multipart-rules.js';
import type {
  MultipartBody,
  MultipartSignBody,
  MultipartTicket,
  SignedRequestView,
} from './uploads.contract.js';
import { createPendingDocument } from './uploads.js';
import { touchMultipartDocument } from './uploads.queries.js';

const view = ({ expiresAt, ...request }: PresignedRequest & { partNumber?: number }): SignedRequestView => ({
  ...request,
  expiresAt: expiresAt.toISOString(),
});

/**
 * POST /api/documents/multipart: the part size (the client's exactly, or the default raised to fit 10,000
 * parts), the early checks of upload-url (duplicates and Idempotency-Key included), a pending document, and a
 * presigned CreateMultipartUpload on its key.
 */
export async function createMultipartUpload(
  caller: Caller,
  request: MultipartBody,
  idempotencyKey?: string,
): Promise<MultipartTicket> {
  const choice = choosePartSize(request.size, request.partSize, config().MULTIPART_PART_BYTES);
  if (!choice.ok) throw new ValidationError(choice.message, [{ path: 'partSize', message: choice.message }]);
  const row = await createPendingDocument(caller, request, {
    idempotencyKey,
    fingerprint: { route: 'multipart', body: request },
    s3Limit: { bytes: MAX_OBJECT_BYTES, hint: `an S3 object stops at ${MAX_OBJECT_BYTES} bytes (5 TiB)` },
    partBytes: choice.partSize,
  });
  // A replayed request answers with the document it created first (same body, so the same part size).
  const partSize = row.part_bytes ?? choice.partSize;
  const create = await presignCreateMultipart(row.storage_key, row.content_type);
  return {
    document: documentView(row),
    upload: {
      key: row.storage_key,
      partSize,
      partCount: partCount(row.declared_bytes ?? request.size, partSize),
      create: view(create),
    },
  };
}

/**
 * POST /api/documents/{id}/multipart/sign: the owner's pending multipart document only; the first signing binds
 * the upload id, every signing counts as activity. Part URLs sign each part's exact length, so the object can
 * never hold more bytes than were declared.
 */
export async function signMultipartRequests(
  userId: string,
  documentId: string,
  request: MultipartSignBody,
): Promise<{ requests: SignedRequestView[] }> {
  const database = db();
  const found = await findDocumentForOwner(database, userId, documentId);
  // Checked before anything is recorded, so a refused request neither binds an upload id nor counts as activity.
  const signable = found?.status === 'pending' && found.part_bytes !== null;
  const parts = request.operation === 'uploadPart' && found && signable ? partsOf(found, request) : [];
  const document =
    (await touchMultipartDocument(database, userId, documentId, request.uploadId)) ??
    refuse(await findDocumentForOwner(database, userId, documentId));
  const { storage_key: key } = document;
  const uploadId = request.uploadId;
  switch (request.operation) {
    case 'uploadPart':
      return { requests: (await presignUploadParts(key, uploadId, parts)).map(view) };
    case 'listParts':
      return { requests: [view(await presignListParts(key, uploadId, request.partNumberMarker))] };
    case 'complete':
      return { requests: [view(await presignCompleteMultipart(key, uploadId))] };
    case 'abort':
      return { requests: [view(await presignAbortMultipart(key, uploadId))] };
  }
}

/** Why a signing matched no document: not the caller's (404), no longer pending, not multipart, another upload. */
function refuse(document: DocumentRow | undefined): never {
  if (!document) throw new NotFoundError('Document not found');
  if (document.status !== 'pending') throw new ConflictError('This document is already uploaded');
  if (document.part_bytes === null) {
    throw new ConflictError('This document is a single upload, not a multipart one');
  }
  throw new ConflictError('This document is bound to another multipart upload');
}

function partsOf(
  document: DocumentRow,
  request: MultipartSignBody,
): { partNumber: number; length: number }[] {
  const size = document.declared_bytes ?? 0;
  const partSize = document.part_bytes ?? 1;
  const count = partCount(size, partSize);
  const numbers = [...new Set(request.partNumbers ?? [])];
  const outside = numbers.filter((n) => n > count);
  if (outside.length > 0) {
    const message = `part numbers go from 1 to ${count} for this document; got ${outside.slice(0, 5).join(', ')}`;
    throw new ValidationError(message, [{ path: 'partNumbers', message }]);
  }
  return numbers.map((partNumber) => ({ partNumber, length: partLength(size, partSize, partNumber) }));
}
