import { type Kysely, sql } from 'kysely';

/**
 * Editing documents and the trash (docs/api.md "Editing documents, bulk actions and the trash"): a document's `version`
 * (+1 on every change a person makes; existing rows start at 1), when it was moved to the trash (`deleted_at`,
 * null while it is not), and the topics a person took off a document, which classification never puts back.
 * Adds columns with defaults and a table: no existing row is touched beyond gaining them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table documents
      add column if not exists version integer not null default 1,
      add column if not exists deleted_at timestamptz
  `.execute(db);
  // Serves GET /api/trash (newest deletion first, keyset) and the purge of what stayed past TRASH_RETENTION_DAYS.
  await sql`
    create index if not exists documents_trash_idx on documents (user_id, deleted_at desc, id desc)
    where deleted_at is not null
  `.execute(db);
  await sql`
    create index if not exists documents_trash_age_idx on documents (deleted_at) where deleted_at is not null
  `.execute(db);
  await sql`
    create table if not exists document_topic_rejections (
      document_id uuid not null references documents (id) on delete cascade,
      topic_id uuid not null references topics (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (document_id, topic_id)
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists document_topic_rejections`.execute(db);
  await sql`drop index if exists documents_trash_age_idx`.execute(db);
  await sql`drop index if exists documents_trash_idx`.execute(db);
  await sql`alter table documents drop column if exists version, drop column if exists deleted_at`.execute(
    db,
  );
}
