import { type Kysely, sql } from 'kysely';
import type { Database, DocumentStatus, StageDocument, TextSource } from '../platform/db/schema.js';
import { type SearchText, upsertSearchText } from '../platform/db/search-rows.js';

export interface ExtractionInput extends StageDocument {
  confirmed: boolean;
  thumbnailKey: string | null;
}

export async function loadExtractionInput(
  db: Kysely<Database>,
  documentId: string,
): Promise<ExtractionInput | undefined> {
  return db
    .selectFrom('documents')
    .select([
      'id',
      'user_id as userId',
      'filename',
      'content_type as contentType',
      'size_bytes as sizeBytes',
      'storage_key as storageKey',
      'status',
      sql<boolean>`confirmed_at is not null`.as('confirmed'),
      'sha256',
      'text_source as textSource',
      'thumbnail_key as thumbnailKey',
    ])
    .where('id', '=', documentId)
    .executeTakeFirst();
}

export interface ExtractionResult {
  documentId: string;
  sha256: string | null;
  textSource: TextSource;
  pageCount: number | null;
  thumbnailKey: string | null;
  /** What could not be done; null when everything was. */
  error: string | null;
  search: SearchText;
}

/**
 * Stores what the extract stage found and the search text in one statement. A document deleted meanwhile (or
 * never confirmed) gets nothing: undefined. Otherwise its status, so the caller knows whether to queue
 * classification (only an `uploaded` one waits for it). A failed earlier attempt's `error` is cleared.
 */
export async function saveExtraction(
  db: Kysely<Database>,
  result: ExtractionResult,
): Promise<{ status: DocumentStatus } | undefined> {
  const saved = await sql<{ status: DocumentStatus }>`
    with doc as (
      update documents set text_source = ${result.textSource}, page_count = ${result.pageCount},
        thumbnail_key = ${result.thumbnailKey}, extract_error = ${result.error}, extracted_at = now(),
        sha256 = coalesce(sha256, ${result.sha256}),
        error = case when status = 'uploaded' then null else error end
      where id = ${result.documentId} and confirmed_at is not null
      returning id, user_id, filename, status
    ), indexed as (
      ${upsertSearchText('doc', result.search)}
    )
    select status from doc
  `.execute(db);
  return saved.rows[0];
}

/**
 * A failed attempt on a document still waiting (`uploaded`): its error, and on the last attempt status `failed`.
 * A document already classified (a backfill) keeps its status and shows the problem as its extraction's error.
 */
export async function recordExtractionFailure(
  db: Kysely<Database>,
  documentId: string,
  error: string,
  final: boolean,
): Promise<void> {
  await sql`
    update documents set
      status = case when status = 'uploaded' and ${final} then 'failed' else status end,
      error = case when status = 'uploaded' then ${error} else error end,
      extract_error = ${error}
    where id = ${documentId}
  `.execute(db);
}

export interface UnextractedDocument {
  id: string;
}

/**
 * Confirmed documents the extract stage has not run on (keyset by id, so a run that stops resumes where it
 * stopped), for `npm run extract -- --all`; with `all`, every confirmed document.
 */
export async function documentsToExtract(
  db: Kysely<Database>,
  options: { after: string | undefined; limit: number; all: boolean; userId?: string | undefined },
): Promise<string[]> {
  let query = db.selectFrom('documents').select('id').where('confirmed_at', 'is not', null);
  if (!options.all) query = query.where('text_source', 'is', null);
  if (options.userId !== undefined) query = query.where('user_id', '=', options.userId);
  if (options.after) query = query.where('id', '>', options.after);
  const rows = await query.orderBy('id').limit(options.limit).execute();
  return rows.map((row) => row.id);
}
