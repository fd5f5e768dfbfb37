import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Document, KiteApiError, type KiteClient, unwrap } from '../client/index.js';
import type { LocalFile } from './files.js';
import { type StateStore, uploadInParts } from './multipart.js';
import { type FileProgress, formatBytes, type Progress } from './progress.js';
import { putFile, StorageError } from './transfer.js';

// `kite upload`: upload-url → PUT straight to storage → confirm, for many files at once (docs/cli.md "Command-line
// client"). Which files are already stored is a SkipPolicy: by content hash, or by name and size.

export interface UploadResult {
  file: string;
  name: string;
  status: 'uploaded' | 'skipped' | 'failed';
  documentId?: string;
  sizeBytes?: number;
  /** Multipart uploads: the parts storage already held from an interrupted run, and the bytes this run sent. */
  resumedParts?: number;
  sentBytes?: number;
  error?: string;
}

/**
 * Decides whether the user already stores a file's content before anything is sent (docs/cli.md "Command-line
 * client"): `existing` is that document's id; `sha256`, when known, goes with upload-url so the API refuses a
 * duplicate that appeared meanwhile (409 `duplicate`).
 */
export interface SkipPolicy {
  readonly describe: string;
  check(file: LocalFile): Promise<{ existing?: string; sha256?: string }>;
}

/** Nothing is skipped. */
export const skipNothing: SkipPolicy = { describe: 'none', check: async () => ({}) };

async function storedDocuments(client: KiteClient): Promise<Document[]> {
  const documents: Document[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await client.GET('/api/documents', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    documents.push(...page.documents);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return documents.filter((document) => document.sizeBytes !== null);
}

const nameAndSize = (name: string, size: number) => `${name}\u0000${size}`;

/**
 * The same content, by SHA-256: the file's hash against kite's hashes of the caller's documents. A document kite
 * has not hashed yet (it does so just after confirm) is matched by name and size instead, so a run repeated at once
 * uploads nothing twice either.
 */
export async function skipSameContent(client: KiteClient): Promise<SkipPolicy> {
  const documents = await storedDocuments(client);
  const byHash = new Map(documents.filter((d) => d.sha256).map((d) => [d.sha256 as string, d.id]));
  const unhashed = new Map(
    documents.filter((d) => !d.sha256).map((d) => [nameAndSize(d.filename, d.sizeBytes ?? 0), d.id]),
  );
  return {
    describe: 'same content (SHA-256)',
    check: async (file) => {
      const sha256 = await sha256Of(file.path);
      return { sha256, existing: byHash.get(sha256) ?? unhashed.get(nameAndSize(file.name, file.size)) };
    },
  };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export interface UploadOptions {
  concurrency: number;
  skip: SkipPolicy;
  /** Files of at least this many bytes go in parts (docs/api.md "Large files"), resumable through `store`. */
  multipart: { threshold: number; partSize?: number; store: StateStore };
  progress: (toSend: LocalFile[]) => Progress;
}

/** Uploads every file not already stored, `concurrency` at a time; never throws for one file's failure. */
export async function uploadFiles(
  client: KiteClient,
  files: LocalFile[],
  options: UploadOptions,
): Promise<UploadResult[]> {
  const results = new Map<LocalFile, UploadResult>();
  const toSend: { file: LocalFile; sha256?: string }[] = [];
  for (const file of files) {
    const { existing, sha256 } = await options.skip.check(file);
    if (existing) results.set(file, skipped(file, existing));
    else toSend.push({ file, ...(sha256 ? { sha256 } : {}) });
  }
  const progress = options.progress(toSend.map(({ file }) => file));
  for (const result of results.values()) {
    progress.line(`skipped   ${result.name} (already stored: ${result.documentId})`);
  }
  let next = 0;
  const worker = async () => {
    while (next < toSend.length) {
      const item = toSend[next++] as (typeof toSend)[number];
      const bar = progress.file(item.file.name, item.file.size);
      const result =
        item.file.size >= options.multipart.threshold
          ? await uploadLarge(client, item.file, item.sha256, options, bar)
          : await uploadOne(client, item.file, item.sha256, bar);
      results.set(item.file, result);
      bar.finish(
        result.status === 'uploaded'
          ? `uploaded  ${item.file.name} ${formatBytes(item.file.size)} ${result.documentId}`
          : result.status === 'skipped'
            ? `skipped   ${item.file.name} (already stored: ${result.documentId})`
            : `failed    ${item.file.name}: ${result.error}`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, toSend.length) }, worker));
  } finally {
    progress.stop();
  }
  return files.map((file) => results.get(file) as UploadResult);
}

function skipped(file: LocalFile, documentId: string): UploadResult {
  return { file: file.path, name: file.name, status: 'skipped', documentId, sizeBytes: file.size };
}

/** upload-url → PUT → confirm. A 409 `duplicate` (the content arrived meanwhile) is a skip, not a failure. */
async function uploadOne(
  client: KiteClient,
  file: LocalFile,
  sha256: string | undefined,
  bar: FileProgress,
): Promise<UploadResult> {
  // A retried upload-url with the same key gets the same pending document, never a second one.
  const idempotencyKey = randomUUID();
  try {
    const ticket = await retried(async () =>
      unwrap(
        await client.POST('/api/documents/upload-url', {
          headers: { 'Idempotency-Key': idempotencyKey },
          body: {
            filename: file.name,
            contentType: file.contentType,
            size: file.size,
            ...(sha256 ? { sha256 } : {}),
          },
        }),
      ),
    );
    await retried(() => {
      bar.reset();
      return putFile(ticket.upload.url, ticket.upload.headers, { path: file.path }, (bytes) =>
        bar.advance(bytes),
      );
    });
    const { document } = await retried(async () =>
      unwrap(
        await client.POST('/api/documents/{id}/confirm', { params: { path: { id: ticket.document.id } } }),
      ),
    );
    return {
      file: file.path,
      name: file.name,
      status: 'uploaded',
      documentId: document.id,
      ...(document.sizeBytes === null ? {} : { sizeBytes: document.sizeBytes }),
    };
  } catch (error) {
    const duplicateOf =
      error instanceof KiteApiError && error.code === 'duplicate' ? documentIdOf(error) : undefined;
    if (duplicateOf) return skipped(file, duplicateOf);
    return { file: file.path, name: file.name, status: 'failed', error: oneLine(error) };
  }
}

/** In parts, resuming an interrupted run's upload; the parts go `concurrency` at a time. */
async function uploadLarge(
  client: KiteClient,
  file: LocalFile,
  sha256: string | undefined,
  options: UploadOptions,
  bar: FileProgress,
): Promise<UploadResult> {
  try {
    const outcome = await uploadInParts(
      client,
      file,
      {
        store: options.multipart.store,
        concurrency: options.concurrency,
        ...(options.multipart.partSize ? { partSize: options.multipart.partSize } : {}),
        ...(sha256 ? { sha256 } : {}),
      },
      bar,
    );
    return { file: file.path, name: file.name, status: 'uploaded', sizeBytes: file.size, ...outcome };
  } catch (error) {
    const duplicateOf =
      error instanceof KiteApiError && error.code === 'duplicate' ? documentIdOf(error) : undefined;
    if (duplicateOf) return skipped(file, duplicateOf);
    return { file: file.path, name: file.name, status: 'failed', error: oneLine(error) };
  }
}

/** Failures a retry may fix: the API's 503 `unavailable`, storage's 5xx, a dropped connection. */
function isTransient(error: unknown): boolean {
  if (error instanceof KiteApiError) return error.status === 503;
  if (error instanceof StorageError) return error.status >= 500;
  const code =
    (error as { code?: string; cause?: { code?: string } })?.cause?.code ??
    (error as { code?: string })?.code;
  return (
    (error instanceof TypeError && error.message === 'fetch failed') ||
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code ?? '')
  );
}

/** Up to three attempts, 0.5 s then 1 s apart, for transient failures; every call here is safe to repeat. */
export async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= 3 || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * n));
    }
  }
}

function documentIdOf(error: KiteApiError): string | undefined {
  const id = (error.details as { documentId?: unknown } | undefined)?.documentId;
  return typeof id === 'string' ? id : undefined;
}

export function oneLine(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const text = e?.cause?.code ? `${e.message}: ${e.cause.code}` : String(e?.message ?? error);
  return text.replace(/\s+/g, ' ').trim();
}
