import { type Kysely, sql } from 'kysely';

/**
 * The extract stage (docs/operations.md "Text from scans and photos"): what it learnt about each document.
 * - `text_source`: where its text came from: `text` (a text layer or a text file), `ocr` (OCR read at least one
 *   page), `none` (no text could be read); null until the extract stage has run, which is also how the purge and
 *   `npm run extract -- --all` find the documents it has not run on yet (the partial index).
 * - `page_count`, `thumbnail_key` (a WebP under the document's own prefix, outside the quota), `extract_error`
 *   (what the extract stage could not do, e.g. pages left without OCR), `extracted_at`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table documents
      add column if not exists text_source text,
      add column if not exists page_count integer,
      add column if not exists thumbnail_key text,
      add column if not exists extract_error text,
      add column if not exists extracted_at timestamptz
  `.execute(db);
  await sql`
    do $$ begin
      alter table documents add constraint documents_text_source_known
        check (text_source in ('text', 'ocr', 'none'));
    exception when duplicate_object then null;
    end $$
  `.execute(db);
  await sql`
    create index if not exists documents_unextracted_idx on documents (id)
    where text_source is null and confirmed_at is not null
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists documents_unextracted_idx`.execute(db);
  await sql`alter table documents drop constraint if exists documents_text_source_known`.execute(db);
  await sql`
    alter table documents
      drop column if exists text_source,
      drop column if exists page_count,
      drop column if exists thumbnail_key,
      drop column if exists extract_error,
      drop column if exists extracted_at
  `.execute(db);
}
