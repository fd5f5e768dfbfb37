import { db } from '../platform/db/client.js';
import { logger } from '../platform/logger.js';
import { extractDocument } from './extract.js';
import { documentsToExtract } from './extract.queries.js';
import { terminateOcr } from './ocr.js';

export interface BackfillOptions {
  /** Run again on documents already extracted (after adding an OCR language, say); default: only the others. */
  force?: boolean;
  /** Only this user's documents. */
  userId?: string;
  /** Documents fetched per query. */
  batchSize?: number;
  /** Checked between documents: an aborted run stops cleanly, and the next run carries on. */
  signal?: AbortSignal;
  onDocument?: (progress: BackfillCounts) => void;
}

export interface BackfillCounts {
  extracted: number;
  /** Documents whose file could not be read this time; the next run tries them again. */
  failed: number;
  skipped: number;
  interrupted: boolean;
}

/**
 * `npm run extract -- --all` (docs/operations.md "Backfill"): the extract stage, in this process, for every
 * confirmed document it has not run on (documents from before it existed), in batches, one document at a time.
 * Progress is the documents' own `text_source`, so a stopped run resumes by running it again; with `force`, the
 * run walks every document by id once. Classification is queued only for documents still waiting for it.
 */
export async function backfillExtraction(options: BackfillOptions = {}): Promise<BackfillCounts> {
  const { batchSize = 50, force = false, signal, onDocument, userId } = options;
  const counts: BackfillCounts = { extracted: 0, failed: 0, skipped: 0, interrupted: false };
  let after: string | undefined;
  try {
    for (;;) {
      const ids = await documentsToExtract(db(), { after, limit: batchSize, all: force, userId });
      if (ids.length === 0) break;
      after = ids.at(-1);
      for (const documentId of ids) {
        if (signal?.aborted) {
          counts.interrupted = true;
          return counts;
        }
        try {
          const outcome = await extractDocument({ documentId, attempt: 1, force });
          if (outcome.kind === 'extracted') counts.extracted += 1;
          else if (outcome.kind === 'failed') counts.failed += 1;
          else counts.skipped += 1;
        } catch (error) {
          logger.warn('backfill: extraction failed; the next run tries again', {
            documentId,
            error: error as Error,
          });
          counts.failed += 1;
        }
        onDocument?.({ ...counts });
      }
    }
    return counts;
  } finally {
    await terminateOcr();
    logger.info('extract backfill finished', { ...counts });
  }
}
