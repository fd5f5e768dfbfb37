import { type Kysely, sql } from 'kysely';

/**
 * Full-text search (docs/api.md "Search"): one row per document with its extracted text and a tsvector over the
 * filename (weight A) and the text, in the text search configuration named in `language`. A separate table, so
 * the document list and every other `select *` of documents never drag the text along; it goes with its document.
 *
 * `kite_search_vector` is the one definition of what is indexed:
 * - `<` becomes a space first, so text that looks like markup (`<script>`) is indexed as the words it shows; the
 *   default parser would otherwise drop it as a tag.
 * - the filename is indexed as written (`q3-report.pdf` is one "file" token) and split at `.`, `_`, `-`, `/`, `\`,
 *   so each of its words is found too.
 * - a tsvector holds at most 1 MB: when a text's words do not fit (say a dump of unique ids), its first half is
 *   indexed, then its first quarter, … rather than failing the statement that saves a classification.
 *
 * Existing documents get a row with their filename, in `simple`; `npm run reindex` extracts their text and
 * switches them to SEARCH_LANGUAGE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function kite_search_vector(config regconfig, filename text, content text)
    returns tsvector language plpgsql stable parallel safe as $$
    declare
      name_vector tsvector := setweight(
        to_tsvector(config, translate(filename, '<', ' '))
          || to_tsvector(config, translate(filename, '<._-/\\', '      ')),
        'A');
      indexed text := translate(content, '<', ' ');
    begin
      loop
        begin
          return name_vector || to_tsvector(config, indexed);
        exception when program_limit_exceeded then
          if length(indexed) = 0 then
            return name_vector;
          end if;
          indexed := left(indexed, length(indexed) / 2);
        end;
      end loop;
    end
    $$
  `.execute(db);
  await sql`
    create table if not exists document_search (
      document_id uuid primary key references documents (id) on delete cascade,
      user_id text not null,
      content text not null default '',
      vector tsvector not null,
      language text not null,
      extractor integer,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  // Every search is one user's: a two-column GIN index (user_id via btree_gin, a contrib extension trusted since
  // Postgres 13) lets the scan intersect the owner's postings with the words' inside the index, so its cost follows
  // the owner's matches, not every user's.
  await sql`create extension if not exists btree_gin`.execute(db);
  await sql`
    create index if not exists document_search_user_vector_idx on document_search using gin (user_id, vector)
  `.execute(db);
  await sql`
    insert into document_search (document_id, user_id, vector, language)
    select id, user_id, kite_search_vector('simple', filename, ''), 'simple' from documents
    on conflict (document_id) do nothing
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists document_search`.execute(db);
  await sql`drop function if exists kite_search_vector(regconfig, text, text)`.execute(db);
}
