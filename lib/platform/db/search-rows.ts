import { type RawBuilder, sql } from 'kysely';

/**
 * How the statements that create or classify a document write its search row (docs/api.md "Search"), as fragments for
 * a CTE of those statements, so the row changes in the same transaction as the document.
 */

/** What a classification (or a reindex) stores for a document. */
export interface SearchText {
  content: string;
  /** The text search configuration the vector is built in (SEARCH_LANGUAGE). */
  language: string;
  /** The extractor version that produced `content` (lib/extract/text.ts EXTRACTOR_VERSION). */
  extractor: number;
}

/**
 * An INSERT … ON CONFLICT that (re)writes the search rows of the rows of CTE `source` (columns id, user_id,
 * filename), for use inside the statement that changes those documents, so the text lands in its transaction.
 */
export function upsertSearchText(source: string, text: SearchText): RawBuilder<unknown> {
  return sql`
    insert into document_search (document_id, user_id, content, vector, language, extractor, updated_at)
    select src.id, src.user_id, t.content, kite_search_vector(${text.language}::regconfig, src.filename, t.content),
      ${text.language}, ${text.extractor}, now()
    from ${sql.table(source)} src, (select ${text.content}::text as content) t
    on conflict (document_id) do update set content = excluded.content, vector = excluded.vector,
      language = excluded.language, extractor = excluded.extractor, updated_at = excluded.updated_at
  `;
}

/** The same for a new document (CTE `source`): its filename is searchable from the start, before any text. */
export function insertFilenameOnly(source: string, language: string): RawBuilder<unknown> {
  return sql`
    insert into document_search (document_id, user_id, vector, language)
    select src.id, src.user_id, kite_search_vector(${language}::regconfig, src.filename, ''), ${language}
    from ${sql.table(source)} src
    on conflict (document_id) do nothing
  `;
}
