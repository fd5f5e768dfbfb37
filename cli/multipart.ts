import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { type KiteClient, unwrap } from '../client/index.js';
import { canonicalUrl } from './config.js';
import type { LocalFile } from './files.js';
import type { FileProgress } from './progress.js';
import { putFile, storageError } from './transfer.js';

// Large files go in parts straight to storage through S3's multipart protocol, signed by kite (docs/api.md "Large
// files"). Each finished part is written to a small state file, so a run that is interrupted (killed, network
// lost) resumes when run again: it asks storage which parts it holds (ListParts) and sends only the rest.

const xml = new XMLParser({ isArray: (name) => name === 'Part' });
const builder = new XMLBuilder();

interface UploadState {
  documentId: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  /** part number → ETag of the parts storage confirmed. */
  parts: Record<string, string>;
}

/** Where unfinished multipart uploads are remembered: one JSON file per file being uploaded. */
export class StateStore {
  constructor(
    private readonly directory: string,
    private readonly apiUrl: string,
  ) {}

  private fileOf(file: LocalFile): string {
    const { mtimeMs } = statSync(file.path);
    // A digest of everything that makes the state this server's and this version of the file's: the whole of it
    // counts, however long the path (a truncated name once let one server's state stand for another's).
    const id = createHash('sha256')
      .update(`${canonicalUrl(this.apiUrl)}\u0000${resolve(file.path)}\u0000${file.size}\u0000${mtimeMs}`)
      .digest('base64url');
    return join(this.directory, `${id}.json`);
  }

  load(file: LocalFile): UploadState | undefined {
    try {
      return JSON.parse(readFileSync(this.fileOf(file), 'utf8')) as UploadState;
    } catch {
      return undefined;
    }
  }

  save(file: LocalFile, state: UploadState): void {
    const path = this.fileOf(file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(state));
    renameSync(`${path}.tmp`, path); // a kill mid-write leaves the previous state, never half of one
  }

  forget(file: LocalFile): void {
    rmSync(this.fileOf(file), { force: true });
  }
}

export interface MultipartOutcome {
  documentId: string;
  /** Parts storage already held when this run started. */
  resumedParts: number;
  /** Bytes this run sent. */
  sentBytes: number;
}

type SignOperation = 'uploadPart' | 'listParts' | 'complete' | 'abort';

async function sign(
  client: KiteClient,
  id: string,
  uploadId: string,
  operation: SignOperation,
  partNumbers?: number[],
) {
  return unwrap(
    await client.POST('/api/documents/{id}/multipart/sign', {
      params: { path: { id } },
      body: { uploadId, operation, ...(partNumbers ? { partNumbers } : {}) },
    }),
  ).requests;
}

async function send(
  request: { url: string; method: string; headers: Record<string, string> },
  body?: string,
) {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body });
  const text = await response.text();
  if (!response.ok) throw storageError(response.status, text);
  return text;
}

/** The parts storage holds for an upload (ListParts, every page), or undefined when the upload is gone. */
async function storedParts(
  client: KiteClient,
  state: UploadState,
): Promise<Record<string, string> | undefined> {
  try {
    const [request] = await sign(client, state.documentId, state.uploadId, 'listParts');
    if (!request) return undefined;
    const parsed = xml.parse(await send(request)) as {
      ListPartsResult?: { Part?: { PartNumber: number; ETag: string }[] };
    };
    const parts: Record<string, string> = {};
    for (const part of parsed.ListPartsResult?.Part ?? []) parts[String(part.PartNumber)] = String(part.ETag);
    return parts;
  } catch {
    return undefined; // purged, completed, or aborted meanwhile: start again
  }
}

async function start(
  client: KiteClient,
  file: LocalFile,
  options: { partSize?: number; sha256?: string },
): Promise<UploadState> {
  const ticket = unwrap(
    await client.POST('/api/documents/multipart', {
      body: {
        filename: file.name,
        contentType: file.contentType,
        size: file.size,
        ...(options.partSize ? { partSize: options.partSize } : {}),
        ...(options.sha256 ? { sha256: options.sha256 } : {}),
      },
    }),
  );
  const created = xml.parse(await send(ticket.upload.create)) as {
    InitiateMultipartUploadResult?: { UploadId?: string };
  };
  const uploadId = created.InitiateMultipartUploadResult?.UploadId;
  if (!uploadId) throw new Error('storage did not answer CreateMultipartUpload with an UploadId');
  return {
    documentId: ticket.document.id,
    uploadId: String(uploadId),
    partSize: ticket.upload.partSize,
    partCount: ticket.upload.partCount,
    parts: {},
  };
}

/** Uploads one file in parts (resuming from its state file when there is one), completes it, and confirms. */
export async function uploadInParts(
  client: KiteClient,
  file: LocalFile,
  options: { store: StateStore; partSize?: number; concurrency: number; sha256?: string },
  bar: FileProgress,
): Promise<MultipartOutcome> {
  const previous = options.store.load(file);
  const held = previous ? await storedParts(client, previous) : undefined;
  const state = previous && held ? { ...previous, parts: held } : await start(client, file, options);
  options.store.save(file, state);
  const resumedParts = Object.keys(state.parts).length;
  const partBytes = (n: number) => Math.min(state.partSize, file.size - (n - 1) * state.partSize);
  for (const n of Object.keys(state.parts)) bar.advance(partBytes(Number(n)));

  let sentBytes = 0;
  const missing = Array.from({ length: state.partCount }, (_, i) => i + 1).filter(
    (n) => !state.parts[String(n)],
  );
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      // Signed just before use, a few at a time, so no URL waits long enough to expire.
      const batch = missing.slice(next, next + 1);
      next += batch.length;
      const [request] = await sign(client, state.documentId, state.uploadId, 'uploadPart', batch);
      const partNumber = batch[0] as number;
      if (!request) throw new Error(`kite signed no request for part ${partNumber}`);
      const start = (partNumber - 1) * state.partSize;
      const result = await putFile(
        request.url,
        request.headers,
        { path: file.path, start, end: start + partBytes(partNumber) - 1 },
        (bytes) => {
          sentBytes += bytes;
          bar.advance(bytes);
        },
      );
      const etag = result.headers.etag;
      if (typeof etag !== 'string') throw new Error(`storage answered part ${partNumber} without an ETag`);
      state.parts[String(partNumber)] = etag;
      options.store.save(file, state);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, missing.length) }, worker));

  const [complete] = await sign(client, state.documentId, state.uploadId, 'complete');
  if (!complete) throw new Error('kite signed no complete request');
  const parts = Object.entries(state.parts)
    .map(([n, etag]) => ({ PartNumber: Number(n), ETag: etag }))
    .sort((a, b) => a.PartNumber - b.PartNumber);
  const answer = await send(complete, builder.build({ CompleteMultipartUpload: { Part: parts } }) as string);
  // S3 may answer 200 with an <Error> body when completing fails late.
  if (/<Error>/.test(answer)) throw storageError(200, answer);
  unwrap(await client.POST('/api/documents/{id}/confirm', { params: { path: { id: state.documentId } } }));
  options.store.forget(file);
  return { documentId: state.documentId, resumedParts, sentBytes };
}
