import { type Kysely, sql } from 'kysely';
import type { Database, DocumentRow, ShownDocumentRow } from '../platform/db/schema.js';
import { insertFilenameOnly } from '../platform/db/search-rows.js';
import { type DocumentTopicRow, duplicateOfExpression } from '../platform/db/shown-documents.js';

/**
 * Full-text search (docs/api.md "Search"). Every document has one document_search row: its extracted text and a
 * tsvector over filename + text built by the SQL function kite_search_vector (see its migration), in the text
 * search configuration `language`. Every function here takes the configuration's name, already checked to exist.
 */

/** The names of the text search configurations this database has, as SEARCH_LANGUAGE may name them. */
export async function searchLanguages(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select cfgname as name from pg_ts_config where pg_ts_config_is_visible(oid) order by cfgname
  `.execute(db);
  return result.rows.map((row) => row.name);
}

/**
 * The query tree Postgres can look up in the index: '' when the query has no word left (empty, punctuation, stop
 * words only) and 'T' when it only excludes (`-draft`), which would match everything and scan every row.
 */
export async function indexableQuery(db: Kysely<Database>, language: string, q: string): Promise<string> {
  const result = await sql<{ tree: string }>`
    select querytree(websearch_to_tsquery(${language}::regconfig, ${q})) as tree
  `.execute(db);
  return result.rows[0]?.tree ?? '';
}

/** How much of a document's text ts_headline reads for the snippet (docs/api.md "Search": the snippet's reach). */
export const SNIPPET_SCAN_CHARS = 100_000;

/**
 * ts_headline marks matches with these (control characters never occur in stored text or filenames, which are
 * tidied and validated), and characters the parser would treat specially are swapped for others of them before
 * it runs: `<` (it would drop what looks like a tag), and in filenames `.`, `_`, `-`, `/`, `\` (so each word of
 * `q3_report-final.pdf` can be highlighted). lib/search/snippet.ts turns them back.
 */
export const HEADLINE_MARKS = { start: '\u0002', stop: '\u0003' } as const;
export const HEADLINE_SWAPS = {
  '<': '\u0001',
  '.': '\u0004',
  _: '\u0005',
  '-': '\u0006',
  '/': '\u0007',
  '\\': '\u0008',
} as const;

// One fragment around the best cover of the query: several times cheaper than ts_headline's default method.
const textHeadlineOptions = `StartSel=${HEADLINE_MARKS.start}, StopSel=${HEADLINE_MARKS.stop}, MaxFragments=1, MaxWords=40, MinWords=20, ShortWord=2`;
const nameHeadlineOptions = `StartSel=${HEADLINE_MARKS.start}, StopSel=${HEADLINE_MARKS.stop}, HighlightAll=true`;

/** Keyset position of the last result on a page, in (rank desc, created_at desc, id desc) order. */
export interface SearchPosition {
  /** ts_rank as Postgres prints the real: the exact value, so the next page starts right after it. */
  rank: string;
  /** created_at as text with all six fractional digits (see lib/platform/cursor.ts). */
  createdAt: string;
  id: string;
}

export interface SearchFilter {
  language: string;
  q: string;
  status?: DocumentRow['status'] | undefined;
  topicId?: string | undefined;
  after?: SearchPosition | undefined;
  limit: number;
}

export type SearchHitRow = ShownDocumentRow & {
  /** The document's topics, as topicsOfDocuments gives them (one round trip fewer). */
  topics: DocumentTopicRow[];
  rank: number;
  cursor_rank: string;
  cursor_created_at: string;
  /** ts_headline of the text (its first SNIPPET_SCAN_CHARS) and of the filename, marked and swapped as above. */
  text_headline: string;
  name_headline: string;
};

/**
 * One page of the owner's documents matching a web-search query (websearch_to_tsquery), best first, then newest.
 * The (user_id, vector) GIN index finds the owner's matches alone; ranking touches only those, and headlines and
 * topics are fetched for the page alone, after the LIMIT. A query the index cannot look up (see indexableQuery) matches
 * nothing without scanning: the condition on it is a constant the planner folds.
 */
export async function searchDocumentsForOwner(
  db: Kysely<Database>,
  userId: string,
  filter: SearchFilter,
): Promise<SearchHitRow[]> {
  const query = sql`websearch_to_tsquery(${filter.language}::regconfig, ${filter.q})`;
  const rank = sql`ts_rank(s.vector, ${query})`;
  const conditions = [
    sql`s.user_id = ${userId}`,
    sql`d.user_id = ${userId}`,
    sql`d.deleted_at is null`,
    sql`s.vector @@ ${query}`,
    sql`querytree(${query}) not in ('', 'T')`,
  ];
  if (filter.status) conditions.push(sql`d.status = ${filter.status}`);
  if (filter.topicId) {
    conditions.push(
      sql`exists (select 1 from document_topics dt where dt.document_id = d.id and dt.topic_id = ${filter.topicId})`,
    );
  }
  if (filter.after) {
    const { rank: afterRank, createdAt, id } = filter.after;
    conditions.push(
      sql`(${rank}, d.created_at, d.id) < (${afterRank}::real, ${createdAt}::timestamptz, ${id}::uuid)`,
    );
  }
  const swapFrom = Object.keys(HEADLINE_SWAPS).join('');
  const swapTo = Object.values(HEADLINE_SWAPS).join('');
  const result = await sql<SearchHitRow>`
    select page.*, page.rank::text as cursor_rank,
      to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_created_at,
      ts_headline(${filter.language}::regconfig,
        replace(left(s.content, ${SNIPPET_SCAN_CHARS}), '<', ${HEADLINE_SWAPS['<']}), ${query},
        ${textHeadlineOptions}) as text_headline,
      ts_headline(${filter.language}::regconfig, translate(page.filename, ${swapFrom}, ${swapTo}), ${query},
        ${nameHeadlineOptions}) as name_headline,
      coalesce((
        select json_agg(json_build_object('id', t.id, 'name', t.name, 'source', dt.source,
          'scope', case when t.user_id is null then 'system' else 'user' end) order by t.name)
        from document_topics dt join topics t on t.id = dt.topic_id where dt.document_id = page.id
      ), '[]'::json) as topics
    from (
      select d.*, ${duplicateOfExpression} as duplicate_of, ${rank} as rank
      from document_search s join documents d on d.id = s.document_id
      where ${sql.join(conditions, sql` and `)}
      order by rank desc, d.created_at desc, d.id desc
      limit ${filter.limit}
    ) page
    join document_search s on s.document_id = page.id
    order by page.rank desc, page.created_at desc, page.id desc
  `.execute(db);
  return result.rows;
}

/** Reindex, pass 1: a filename-only row for every document that has none (written before this table, or lost). */
export async function insertMissingSearchRows(
  db: Kysely<Database>,
  language: string,
  limit: number,
): Promise<number> {
  const result = await sql`
    with missing as (
      select d.id, d.user_id, d.filename from documents d
      where not exists (select 1 from document_search s where s.document_id = d.id)
      order by d.id
      limit ${limit}
    )
    ${insertFilenameOnly('missing', language)}
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export interface TextToExtract {
  id: string;
  storageKey: string;
  contentType: string;
  sizeBytes: number | null;
}

/**
 * Reindex, pass 2: confirmed documents (keyset by id, after `afterId`) whose stored text was not produced by
 * extractor `extractor`: classified before search existed, or by an older extractor.
 */
export async function documentsToExtract(
  db: Kysely<Database>,
  extractor: number,
  afterId: string | undefined,
  limit: number,
): Promise<TextToExtract[]> {
  const result = await sql<TextToExtract>`
    select d.id, d.storage_key as "storageKey", d.content_type as "contentType", d.size_bytes as "sizeBytes"
    from documents d left join document_search s on s.document_id = d.id
    where d.status <> 'pending' and s.extractor is distinct from ${extractor}
      -- The extract stage's text (OCR included) is redone by \`npm run extract\`, never by this text-layer pass.
      and d.text_source is null
      ${afterId === undefined ? sql`` : sql`and d.id > ${afterId}::uuid`}
    order by d.id
    limit ${limit}
  `.execute(db);
  return result.rows;
}

/** Reindex, pass 2: one statement writes a batch of extracted texts (documents deleted meanwhile are skipped). */
export async function saveExtractedTexts(
  db: Kysely<Database>,
  texts: readonly { documentId: string; content: string }[],
  language: string,
  extractor: number,
): Promise<number> {
  if (texts.length === 0) return 0;
  const result = await sql`
    with input as (
      select * from unnest(${texts.map((t) => t.documentId)}::uuid[], ${texts.map((t) => t.content)}::text[])
        as t(id, content)
    )
    insert into document_search (document_id, user_id, content, vector, language, extractor, updated_at)
    select d.id, d.user_id, i.content, kite_search_vector(${language}::regconfig, d.filename, i.content),
      ${language}, ${extractor}, now()
    from input i join documents d on d.id = i.id
    on conflict (document_id) do update set content = excluded.content, vector = excluded.vector,
      language = excluded.language, extractor = excluded.extractor, updated_at = excluded.updated_at
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Reindex, pass 3: rebuilds vectors not yet in `language` from the stored text (no S3 read): up to `limit` rows and
 * about `maxChars` characters of text, so a statement stays short (its rows are locked while it runs). Rows a
 * classification is writing are skipped (SKIP LOCKED): it writes them in the current language itself.
 */
export async function rebuildVectors(
  db: Kysely<Database>,
  language: string,
  limit: number,
  maxChars: number,
): Promise<number> {
  // octet_length reads a stored text's size from its header, without decompressing it.
  const result = await sql`
    with locked as (
      select document_id, octet_length(content) as size from document_search where language <> ${language}
      order by document_id
      limit ${limit}
      for update skip locked
    ), batch as (
      select document_id from (
        select document_id, sum(size) over (order by document_id) - size as before from locked
      ) sized
      where before < ${maxChars}
    )
    update document_search s
    set vector = kite_search_vector(${language}::regconfig, d.filename, s.content), language = ${language},
      updated_at = now()
    from batch, documents d
    where s.document_id = batch.document_id and d.id = s.document_id
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
