import { handler as confirmHandler } from '../../functions/confirm.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { call } from './api.js';

export interface Ticket {
  document: { id: string; status: string };
  upload: { url: string; method: string; headers: Record<string, string>; expiresAt: string };
}

export async function requestUpload(
  token: string,
  body: { filename?: string; contentType?: string; size?: number } = {},
): Promise<Ticket> {
  const result = await call<Ticket>(uploadUrlHandler, {
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
export async function putBytes(ticket: Ticket, bytes: Uint8Array | string, headers?: Record<string, string>) {
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
