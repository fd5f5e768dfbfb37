import { handler as multipartHandler } from '../../functions/multipart.js';
import { call } from './api.js';

/** What kite signs: one request a client sends straight to S3. */
export interface SignedRequest {
  partNumber?: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  expiresAt: string;
}

export interface MultipartTicket {
  document: { id: string; status: string };
  upload: { key: string; partSize: number; partCount: number; create: SignedRequest };
}

export const MiB = 1024 * 1024;

export function startMultipart(
  token: string,
  body: { filename?: string; contentType?: string; size: number; partSize?: number; sha256?: string },
  headers: Record<string, string> = {},
) {
  // A 201 body is a MultipartTicket, any other an error body.
  return call(multipartHandler, {
    method: 'POST',
    path: '/api/documents/multipart',
    token,
    headers,
    body: { filename: 'scan.txt', contentType: 'text/plain', ...body },
  });
}

export async function startMultipartOk(
  token: string,
  body: { filename?: string; contentType?: string; size: number; partSize?: number },
): Promise<MultipartTicket> {
  const result = await startMultipart(token, body);
  if (result.status !== 201)
    throw new Error(`multipart answered ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body as MultipartTicket;
}

export function sign(token: string, documentId: string, body: Record<string, unknown>) {
  return call(multipartHandler, {
    method: 'POST',
    path: `/api/documents/${documentId}/multipart/sign`,
    params: { id: documentId },
    token,
    body,
  });
}

export async function signOk(token: string, documentId: string, body: Record<string, unknown>) {
  const result = await sign(token, documentId, body);
  if (result.status !== 200)
    throw new Error(`sign answered ${result.status}: ${JSON.stringify(result.body)}`);
  return (result.body as { requests: SignedRequest[] }).requests;
}

/** Sends a signed request the way a browser or curl would: exactly the returned headers, plus a body. */
export async function send(request: SignedRequest, body?: Uint8Array | string): Promise<Response> {
  const headers = { ...request.headers };
  // fetch sets Content-Length from the body itself (a browser will not let a script set it).
  delete headers['Content-Length'];
  return fetch(request.url, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
}

async function ok(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: S3 answered ${response.status}: ${await response.text()}`);
  return response;
}

/** POSTs the presigned CreateMultipartUpload and reads UploadId from S3's XML. */
export async function createMultipartUpload(ticket: MultipartTicket): Promise<string> {
  const xml = await (await ok(await send(ticket.upload.create), 'CreateMultipartUpload')).text();
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)?.[1];
  if (!uploadId) throw new Error(`no UploadId in ${xml}`);
  return uploadId;
}

export async function putPart(request: SignedRequest, bytes: Uint8Array): Promise<string> {
  const response = await ok(await send(request, bytes), `UploadPart ${request.partNumber}`);
  return response.headers.get('etag') ?? '';
}

export function completeXml(parts: { partNumber: number; etag: string }[]): string {
  const items = parts.map(
    (p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag></Part>`,
  );
  return `<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`;
}

/** The part numbers a ListParts answer names. */
export async function listedParts(request: SignedRequest): Promise<number[]> {
  const xml = await (await ok(await send(request), 'ListParts')).text();
  return [...xml.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
}

/** The bytes of part `n` (1-based) of `file` cut in `partSize` parts. */
export function slice(file: Uint8Array, partSize: number, n: number): Uint8Array {
  return file.subarray((n - 1) * partSize, Math.min(n * partSize, file.length));
}

/**
 * The whole multipart flow for `file`: multipart → create → sign every part → PUT each → complete. Returns the
 * ticket and upload id; the caller confirms.
 */
export async function uploadInParts(
  token: string,
  file: Uint8Array,
  options: { partSize?: number; filename?: string; contentType?: string } = {},
) {
  const ticket = await startMultipartOk(token, { size: file.length, ...options });
  const uploadId = await createMultipartUpload(ticket);
  const numbers = Array.from({ length: ticket.upload.partCount }, (_, i) => i + 1);
  const requests = await signOk(token, ticket.document.id, {
    uploadId,
    operation: 'uploadPart',
    partNumbers: numbers,
  });
  const parts = await Promise.all(
    requests.map(async (request) => ({
      partNumber: request.partNumber ?? 0,
      etag: await putPart(request, slice(file, ticket.upload.partSize, request.partNumber ?? 0)),
    })),
  );
  const [complete] = await signOk(token, ticket.document.id, { uploadId, operation: 'complete' });
  if (!complete) throw new Error('no complete request');
  await ok(await send(complete, completeXml(parts)), 'CompleteMultipartUpload');
  return { ticket, uploadId };
}
