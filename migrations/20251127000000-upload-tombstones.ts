import { type Kysely, sql } from 'kysely';

/**
 * A presigned PUT cannot be revoked: a document deleted while its upload URL is still valid could have its object
 * written again afterwards, unowned and uncounted. Deleting such a document records its key here until the URL has
 * expired; the purge then deletes whatever was written there (see lib/purge/purge.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table if not exists upload_tombstones (
      storage_key text primary key,
      delete_after timestamptz not null
    )
  `.execute(db);
  await sql`
    create index if not exists upload_tombstones_delete_after_idx on upload_tombstones (delete_after)
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists upload_tombstones`.execute(db);
}
