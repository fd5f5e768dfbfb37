import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Serves the purge (status = 'pending' and created_at < cutoff) and the re-enqueue of stranded uploads.
  await sql`create index if not exists documents_status_created_at_idx on documents (status, created_at)`.execute(
    db,
  );
  // Serves the owner's newest-first keyset pagination.
  await sql`
    create index if not exists documents_user_created_at_idx on documents (user_id, created_at desc, id desc)
  `.execute(db);
  await sql`create index if not exists document_topics_topic_idx on document_topics (topic_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists documents_status_created_at_idx`.execute(db);
  await sql`drop index if exists documents_user_created_at_idx`.execute(db);
  await sql`drop index if exists document_topics_topic_idx`.execute(db);
}
