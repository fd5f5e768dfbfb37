import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { enqueueClassification } from '../platform/aws/queue.js';
import {
  deleteObjects,
  getObjectBytes,
  headObjectSize,
  putObject,
  sha256OfObject,
  thumbnailKey,
} from '../platform/aws/storage.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import { logger } from '../platform/logger.js';
import { searchLanguage } from '../search/search-language.js';
import { type Content, extractContent } from './content.js';
import { loadExtractionInput, recordExtractionFailure, saveExtraction } from './extract.queries.js';
import { declaredKind } from './sniff.js';
import { EXTRACTOR_VERSION, textBytesNeeded } from './tidy.js';

/** The extract queue's message body, as the classify queue's: `{"documentId": "<uuid>"}`. */
const messageSchema = z.object({ documentId: z.uuid() });

export function parseExtractMessage(body: string): string | undefined {
  try {
    return messageSchema.parse(JSON.parse(body)).documentId;
  } catch {
    return undefined;
  }
}

export interface ExtractAttempt {
  documentId: string;
  /** 1-based: the record's ApproximateReceiveCount (1 for a backfill). */
  attempt: number;
  /** Epoch ms after which no further page is OCR'd: what is left is noted on the document. */
  deadline?: number;
  /** Run again on a document already extracted (a backfill with --force). */
  force?: boolean;
  /** Queue classification afterwards when the document still waits for it (default true). */
  classify?: boolean;
}

export type ExtractOutcome =
  | {
      kind: 'extracted';
      textSource: Content['textSource'];
      pageCount: number | null;
      chars: number;
      notes: string[];
    }
  | { kind: 'skipped'; reason: 'missing' | 'not_confirmed' | 'already_extracted' }
  | { kind: 'failed'; error: string };

export class ExtractAttemptError extends Error {
  override name = 'ExtractAttemptError';
}

/** PDFs and images up to this size are read whole for text and OCR; beyond it only the hash is computed. */
const MAX_CONTENT_BYTES = 256 * 1024 ** 2;

/**
 * The extract stage for one document (docs/operations.md "Text from scans and photos"): kite's SHA-256, the text
 * (text layer, OCR, or UTF-8), the page count and a thumbnail, saved with the search text in one statement, then
 * classification queued. A file that is not what its type says, or that cannot be read, is not an attempt failure
 * (retrying cannot change the bytes): the document gets `textSource: "none"` and the reason as its error, and
 * classification goes on with its filename. Storage errors are failures, retried by SQS; on the last attempt, or
 * when the object is gone, the document becomes `failed`.
 */
export async function extractDocument(request: ExtractAttempt): Promise<ExtractOutcome> {
  const cfg = config();
  const { documentId } = request;
  const input = await loadExtractionInput(db(), documentId);
  if (!input) return { kind: 'skipped', reason: 'missing' };
  if (!input.confirmed) return { kind: 'skipped', reason: 'not_confirmed' };
  if (input.textSource !== null && !request.force) {
    // A redelivered message: the work is done; make sure classification was queued.
    if (input.status === 'uploaded' && request.classify !== false) await queueClassification(documentId);
    return { kind: 'skipped', reason: 'already_extracted' };
  }

  let read: ReadObject | undefined;
  try {
    read = await readObject(input, cfg.HASH_MAX_BYTES, cfg.SEARCH_MAX_CHARS);
  } catch (error) {
    return attemptFailed(request, 'Could not read the file from storage', error);
  }
  if (!read) return fail(documentId, 'The uploaded file is missing from storage', true);
  const sha256 = input.sha256 ?? read.sha256 ?? null;
  let content: Content;
  try {
    content = read.bytes
      ? await extractContent(read.bytes, input.contentType, {
          maxChars: cfg.SEARCH_MAX_CHARS,
          languages: cfg.OCR_LANGUAGES,
          maxOcrPages: cfg.OCR_MAX_PAGES,
          pageTimeoutMs: cfg.OCR_PAGE_TIMEOUT_SECONDS * 1000,
          thumbnailWidth: cfg.THUMBNAIL_WIDTH,
          ...(request.deadline === undefined ? {} : { deadline: request.deadline }),
        })
      : {
          text: '',
          textSource: 'none',
          pageCount: null,
          thumbnail: undefined,
          notes: read.tooLarge
            ? [`The file is larger than ${MAX_CONTENT_BYTES} bytes: its text was not read`]
            : [],
        };
  } catch (error) {
    return attemptFailed(request, 'Internal error while reading the file', error);
  }

  let thumbnail: string | null = null;
  if (content.thumbnail) {
    const key = thumbnailKey(input.storageKey);
    try {
      await putObject(key, content.thumbnail, 'image/webp');
      thumbnail = key;
    } catch (error) {
      logger.warn('extract: thumbnail not stored', { documentId, error: error as Error });
    }
  }
  const saved = await saveExtraction(db(), {
    documentId,
    sha256,
    textSource: content.textSource,
    pageCount: content.pageCount,
    thumbnailKey: thumbnail,
    error: content.notes.length > 0 ? content.notes.join('; ') : null,
    search: { content: content.text, language: await searchLanguage(), extractor: EXTRACTOR_VERSION },
  });
  if (!saved) {
    // Deleted while it was being read: its thumbnail must not outlive it.
    if (thumbnail) await deleteObjects([thumbnail]).catch(() => undefined);
    return { kind: 'skipped', reason: 'missing' };
  }
  if (saved.status === 'uploaded' && request.classify !== false) await queueClassification(documentId);
  return {
    kind: 'extracted',
    textSource: content.textSource,
    pageCount: content.pageCount,
    chars: content.text.length,
    notes: content.notes,
  };
}

/** The send failing leaves the document `uploaded` and extracted: the purge's re-enqueue sends it later. */
async function queueClassification(documentId: string): Promise<void> {
  try {
    await enqueueClassification(documentId);
  } catch (error) {
    logger.warn('extract: classification enqueue failed; the purge will re-enqueue it', {
      documentId,
      error: error as Error,
    });
  }
}

/** Records the failed attempt (the last one fails the document) and throws, so SQS delivers the message again. */
async function attemptFailed(request: ExtractAttempt, message: string, error: unknown): Promise<never> {
  const final = request.attempt >= config().CLASSIFY_MAX_ATTEMPTS;
  logger.warn('extract attempt failed', {
    documentId: request.documentId,
    attempt: request.attempt,
    final,
    error: error as Error,
  });
  await recordExtractionFailure(db(), request.documentId, message, final);
  throw new ExtractAttemptError(message, { cause: error });
}

async function fail(documentId: string, error: string, final: boolean): Promise<ExtractOutcome> {
  await recordExtractionFailure(db(), documentId, error, final);
  return { kind: 'failed', error };
}

interface ReadObject {
  /** The bytes the extractor needs (none for types it does not read, or files too large to read whole). */
  bytes: Uint8Array | undefined;
  sha256: string | undefined;
  tooLarge: boolean;
}

/**
 * Reads what extraction needs with as few GETs as possible: a PDF or image whole (hashed from the same bytes), a
 * text file whole when small enough (else a hash stream and a ranged GET for its prefix), any other type only
 * streamed for its hash. Undefined when the object is missing.
 */
async function readObject(
  input: { storageKey: string; contentType: string; sizeBytes: number | null; sha256: string | null },
  hashMaxBytes: number,
  maxChars: number,
): Promise<ReadObject | undefined> {
  const size = input.sizeBytes ?? 0;
  const kind = declaredKind(input.contentType);
  const hashWanted = input.sha256 === null && size <= hashMaxBytes;
  const wholeLimit = kind === 'text' ? textBytesNeeded(maxChars) : MAX_CONTENT_BYTES;
  if (kind !== 'other' && size <= wholeLimit) {
    const bytes = await getObjectBytes(input.storageKey);
    if (!bytes) return undefined;
    return {
      bytes,
      sha256: hashWanted ? createHash('sha256').update(bytes).digest('hex') : undefined,
      tooLarge: false,
    };
  }
  let sha256: string | undefined;
  if (hashWanted) {
    sha256 = await sha256OfObject(input.storageKey);
    if (sha256 === undefined) return undefined;
  }
  if (kind === 'text') {
    const bytes = await getObjectBytes(input.storageKey, wholeLimit);
    if (!bytes) return undefined;
    return { bytes, sha256, tooLarge: false };
  }
  if (!hashWanted && (await headObjectSize(input.storageKey)) === undefined) return undefined;
  return { bytes: undefined, sha256, tooLarge: kind !== 'other' };
}
