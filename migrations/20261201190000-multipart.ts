import { type Kysely, sql } from 'kysely';

/**
 * Multipart uploads (docs/api.md "Large files"): a document remembers the size its client declared, its part size (set
 * only for multipart uploads), the S3 upload id bound on the first signing, and when it was last active (every
 * signing counts), which is what the purge expires by. A tombstoned multipart key also has its unfinished uploads
 * aborted by the purge.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table documents
      add column if not exists declared_bytes bigint check (declared_bytes >= 0),
      add column if not exists part_bytes bigint check (part_bytes > 0),
      add column if not exists upload_id text,
      add column if not exists last_activity_at timestamptz
  `.execute(db);
  // Serves the purge: pending documents by last activity (null until the first signing: creation counts).
  await sql`
    create index if not exists documents_pending_activity_idx on documents (coalesce(last_activity_at, created_at))
    where status = 'pending'
  `.execute(db);
  await sql`
    alter table upload_tombstones add column if not exists multipart boolean not null default false
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table upload_tombstones drop column if exists multipart`.execute(db);
  await sql`drop index if exists documents_pending_activity_idx`.execute(db);
  await sql`
    alter table documents
      drop column if exists declared_bytes,
      drop column if exists part_bytes,
      drop column if exists upload_id,
      drop column if exists last_activity_at
  `.execute(db);
}
