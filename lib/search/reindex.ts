import { EXTRACTOR_VERSION, readDocumentText } from '../extract/text.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import { logger } from '../platform/logger.js';
import {
  documentsToExtract,
  insertMissingSearchRows,
  rebuildVectors,
  saveExtractedTexts,
} from './search.queries.js';
import { searchLanguage } from './search-language.js';

export interface ReindexOptions {
  /** Documents per statement (and per round of S3 reads). */
  batchSize?: number;
  /** Characters of text one statement indexes at most (one document more when a single one is larger). */
  batchChars?: number;
  /** S3 reads in flight at once. */
  concurrency?: number;
  /** Checked between batches: an aborted run stops cleanly, and the next run carries on where it stopped. */
  signal?: AbortSignal;
  /** Called after every batch, for progress output. */
  onBatch?: (progress: ReindexCounts) => void;
}

export interface ReindexCounts {
  /** Documents that had no search row (filename only until their text is extracted). */
  added: number;
  /** Texts extracted from S3: documents classified before search existed, or by an older extractor. */
  extracted: number;
  /** Files that could not be read this time (S3 errors); the next run tries them again. */
  unreadable: number;
  /** Vectors rebuilt from the stored text in SEARCH_LANGUAGE. */
  rebuilt: number;
  /** True when the run stopped on its signal before finishing. */
  interrupted: boolean;
}

/**
 * `npm run reindex` (docs/api.md "Search"): brings every document's search row up to date with SEARCH_LANGUAGE and the
 * current extractor, in three passes of small batches, each batch one short statement, so the API keeps serving.
 * Progress lives in the rows themselves (`language`, `extractor`): a run that stops, for whatever reason, is
 * resumed by running it again, which only touches what is not yet current.
 */
export async function reindexSearch(options: ReindexOptions = {}): Promise<ReindexCounts> {
  // ~4 MB of text is ~0.5 s of to_tsvector here: far below DB_STATEMENT_TIMEOUT_MS, and rows stay locked briefly.
  const { batchSize = 100, batchChars = 4_000_000, concurrency = 4, signal, onBatch } = options;
  const language = await searchLanguage();
  const database = db();
  const counts: ReindexCounts = { added: 0, extracted: 0, unreadable: 0, rebuilt: 0, interrupted: false };
  const stop = () => {
    counts.interrupted = signal?.aborted ?? false;
    return counts.interrupted;
  };
  const report = () => onBatch?.({ ...counts });

  // 1. Every document has a row, so pass 3 reaches it and search finds it by name.
  while (!stop()) {
    const added = await insertMissingSearchRows(database, language, batchSize);
    counts.added += added;
    report();
    if (added === 0) break;
  }

  // 2. Texts not produced by the current extractor, read from S3 (keyset by id: each document once per run).
  let after: string | undefined;
  while (!stop()) {
    const files = await documentsToExtract(database, EXTRACTOR_VERSION, after, batchSize);
    if (files.length === 0) break;
    after = files.at(-1)?.id;
    const texts = await mapWithConcurrency(files, concurrency, async (file) => {
      try {
        const content = await readDocumentText(file, config().SEARCH_MAX_CHARS);
        if (content === undefined)
          logger.warn('reindex: object missing; indexing the filename', { id: file.id });
        return { documentId: file.id, content: content ?? '' };
      } catch (error) {
        logger.warn('reindex: could not read the file; the next run tries again', {
          id: file.id,
          error: error as Error,
        });
        counts.unreadable += 1;
        return undefined;
      }
    });
    const readable = texts.filter((text) => text !== undefined);
    for (const chunk of byLength(readable, batchChars)) {
      counts.extracted += await saveExtractedTexts(database, chunk, language, EXTRACTOR_VERSION);
    }
    report();
  }

  // 3. Vectors in another language, rebuilt from the stored text in the database alone.
  while (!stop()) {
    const rebuilt = await rebuildVectors(database, language, batchSize, batchChars);
    counts.rebuilt += rebuilt;
    report();
    if (rebuilt === 0) break;
  }
  logger.info('reindex finished', { language, ...counts });
  return counts;
}

/** Consecutive groups of at most `maxChars` characters of content (a larger text alone in its group). */
function byLength<T extends { content: string }>(items: readonly T[], maxChars: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let length = 0;
  for (const item of items) {
    if (current.length > 0 && length + item.content.length > maxChars) {
      groups.push(current);
      current = [];
      length = 0;
    }
    current.push(item);
    length += item.content.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
