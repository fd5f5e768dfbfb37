import { createReadStream, createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { XMLParser } from 'fast-xml-parser';

// Bytes go straight between the file system and storage through presigned URLs (docs/api.md "API"): kite's API never
// sees them. node:http streams a PUT with the exact Content-Length that was signed, and counts what it sends.

const xml = new XMLParser();

export class StorageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** S3's error answer (`<Error><Code>…</Code><Message>…</Message></Error>`) as one line. */
export function storageError(status: number, body: string): StorageError {
  let detail = '';
  try {
    const parsed = xml.parse(body) as { Error?: { Code?: string; Message?: string } };
    detail = [parsed.Error?.Code, parsed.Error?.Message].filter(Boolean).join(': ');
  } catch {}
  return new StorageError(status, `storage answered ${status}${detail ? ` (${detail})` : ''}`);
}

function counter(onBytes: (bytes: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

export interface PutResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** PUTs bytes `start`…`end` (inclusive) of a file to a presigned URL with exactly the headers it was signed for. */
export function putFile(
  url: string,
  headers: Record<string, string>,
  file: { path: string; start?: number; end?: number },
  onBytes: (bytes: number) => void,
): Promise<PutResult> {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? https : http).request(target, { method: 'PUT', headers });
  const answered = new Promise<PutResult>((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status >= 300) reject(storageError(status, body));
        else resolve({ status, headers: response.headers, body });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
  const source = createReadStream(file.path, { start: file.start, end: file.end });
  const sent = pipeline(source, counter(onBytes), request);
  return Promise.all([sent, answered]).then(([, result]) => result);
}

/** Streams a presigned GET into a file (or stdout), counting bytes. */
export async function download(
  url: string,
  destination: string | NodeJS.WritableStream,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw storageError(response.status, await response.text());
  const sink = typeof destination === 'string' ? createWriteStream(destination) : destination;
  await pipeline(Readable.fromWeb(response.body as never), counter(onBytes), sink);
}
