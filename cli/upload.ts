import { type KiteClient, unwrap } from '../client/index.js';
import type { LocalFile } from './files.js';
import { type FileProgress, formatBytes, type Progress } from './progress.js';
import { putFile } from './transfer.js';

// `kite upload`: upload-url → PUT straight to storage → confirm, for many files at once (README "Command-line
// client"). Which files are already stored is a SkipPolicy, so a content-hash check can replace name + size.

export interface UploadResult {
  file: string;
  name: string;
  status: 'uploaded' | 'skipped' | 'failed';
  documentId?: string;
  sizeBytes?: number;
  error?: string;
}

/** Decides, before anything is sent, whether the user already stores a file; answers that document's id. */
export interface SkipPolicy {
  readonly describe: string;
  existing(file: LocalFile): Promise<string | undefined>;
}

/** Nothing is skipped. */
export const skipNothing: SkipPolicy = { describe: 'none', existing: async () => undefined };

/**
 * Until kite hashes content, "already stored" means: a confirmed document of the caller with the same filename and
 * size. One listing of the caller's documents (100 a page) up front, then lookups.
 */
export async function skipSameNameAndSize(client: KiteClient): Promise<SkipPolicy> {
  const stored = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await client.GET('/api/documents', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    for (const document of page.documents) {
      if (document.sizeBytes !== null)
        stored.set(`${document.filename}\u0000${document.sizeBytes}`, document.id);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return {
    describe: 'same name and size',
    existing: async (file) => stored.get(`${file.name}\u0000${file.size}`),
  };
}

export interface UploadOptions {
  concurrency: number;
  skip: SkipPolicy;
  progress: (toSend: LocalFile[]) => Progress;
}

/** Uploads every file not already stored, `concurrency` at a time; never throws for one file's failure. */
export async function uploadFiles(
  client: KiteClient,
  files: LocalFile[],
  options: UploadOptions,
): Promise<UploadResult[]> {
  const results = new Map<LocalFile, UploadResult>();
  const toSend: LocalFile[] = [];
  for (const file of files) {
    const documentId = await options.skip.existing(file);
    if (documentId)
      results.set(file, {
        file: file.path,
        name: file.name,
        status: 'skipped',
        documentId,
        sizeBytes: file.size,
      });
    else toSend.push(file);
  }
  const progress = options.progress(toSend);
  for (const result of results.values())
    progress.line(`skipped   ${result.name} (already stored: ${result.documentId})`);
  let next = 0;
  const worker = async () => {
    while (next < toSend.length) {
      const file = toSend[next++] as LocalFile;
      const bar = progress.file(file.name, file.size);
      const result = await uploadOne(client, file, bar);
      results.set(file, result);
      bar.finish(
        result.status === 'uploaded'
          ? `uploaded  ${file.name} ${formatBytes(file.size)} ${result.documentId}`
          : `failed    ${file.name}: ${result.error}`,
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

async function uploadOne(client: KiteClient, file: LocalFile, bar: FileProgress): Promise<UploadResult> {
  const base = { file: file.path, name: file.name };
  try {
    const ticket = unwrap(
      await client.POST('/api/documents/upload-url', {
        body: { filename: file.name, contentType: file.contentType, size: file.size },
      }),
    );
    await putFile(ticket.upload.url, ticket.upload.headers, { path: file.path }, (bytes) =>
      bar.advance(bytes),
    );
    const confirmed = unwrap(
      await client.POST('/api/documents/{id}/confirm', { params: { path: { id: ticket.document.id } } }),
    );
    return {
      ...base,
      status: 'uploaded',
      documentId: confirmed.document.id,
      sizeBytes: confirmed.document.sizeBytes ?? undefined,
    };
  } catch (error) {
    return { ...base, status: 'failed', error: oneLine(error) };
  }
}

export function oneLine(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const text = e?.cause?.code ? `${e.message}: ${e.cause.code}` : String(e?.message ?? error);
  return text.replace(/\s+/g, ' ').trim();
}
