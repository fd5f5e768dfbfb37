import { PutObjectCommand } from '@aws-sdk/client-s3';
import { handler as confirmHandler } from '../../functions/confirm.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { createS3Client } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { db } from '../../lib/platform/db/client.js';
import { call } from './api.js';

/** What POST /api/documents/upload-url answers: the pending document and its presigned PUT. */
export interface UploadTicket {
  document: { id: string; status: string };
  upload: { url: string; method: string; headers: Record<string, string>; expiresAt: string };
}

export async function requestUpload(
  token: string,
  body: { filename?: string; contentType?: string; size?: number } = {},
): Promise<UploadTicket> {
  const result = await call<UploadTicket>(uploadUrlHandler, {
    method: 'POST',
    path: '/api/documents/upload-url',
    token,
    body: { filename: 'notes.txt', contentType: 'text/plain', size: 5, ...body },
  });
  if (result.status !== 201)
    throw new Error(`upload-url answered ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body;
}

/** PUTs bytes to the presigned URL the way a browser or curl would. */
export async function putBytes(
  ticket: UploadTicket,
  bytes: Uint8Array | string,
  headers?: Record<string, string>,
) {
  const body = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const response = await fetch(ticket.upload.url, {
    method: 'PUT',
    headers: headers ?? {
      'Content-Type': ticket.upload.headers['Content-Type'] ?? 'application/octet-stream',
    },
    body,
  });
  if (!response.ok) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
}

/**
 * Writes an object under the document's key with the bucket owner's credentials, not through kite's URL: what a
 * strict S3 never lets a presigned PUT do (more bytes than signed), for the checks kite still makes at confirm.
 */
export async function putObjectDirectly(documentId: string, bytes: Uint8Array): Promise<string> {
  const row = await db()
    .selectFrom('documents')
    .select('storage_key')
    .where('id', '=', documentId)
    .executeTakeFirstOrThrow();
  const s3 = await createS3Client(config());
  try {
    await s3.send(new PutObjectCommand({ Bucket: config().S3_BUCKET, Key: row.storage_key, Body: bytes }));
  } finally {
    s3.destroy();
  }
  return row.storage_key;
}

export function confirm(token: string, documentId: string) {
  return call(confirmHandler, {
    method: 'POST',
    path: `/api/documents/${documentId}/confirm`,
    params: { id: documentId },
    token,
  });
}

/** upload-url → PUT → confirm; returns the confirmed document id. */
export async function uploadDocument(
  token: string,
  content: string,
  body: { filename?: string; contentType?: string } = {},
) {
  const ticket = await requestUpload(token, { ...body, size: Buffer.byteLength(content) });
  await putBytes(ticket, content);
  const confirmed = await confirm(token, ticket.document.id);
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
  return ticket.document.id;
}
