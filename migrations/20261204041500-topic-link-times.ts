import { type Kysely, sql } from 'kysely';

/**
 * When each topic was put on a document (docs/operations.md "Filing without an LLM"): with an LLM, the prompt shows the
 * owner's most recent corrections, the documents a person filed most recently. Existing links get the time of
 * this migration; nothing else changes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table document_topics add column if not exists created_at timestamptz not null default now()
  `.execute(db);
  // The owner's latest corrections, without reading every link: person-set links by time.
  await sql`
    create index if not exists document_topics_user_set_idx on document_topics (created_at desc, document_id)
    where source = 'user'
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists document_topics_user_set_idx`.execute(db);
  await sql`alter table document_topics drop column if exists created_at`.execute(db);
}
