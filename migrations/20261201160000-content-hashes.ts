import { type Kysely, sql } from 'kysely';

/**
 * Content hashes and retried requests (docs/api.md "Duplicates and retried requests"):
 * - `documents.sha256`: kite's own SHA-256 of the stored bytes (lowercase hex), null until computed. The partial
 *   index on (user_id, sha256, created_at, id) answers "does this user already have this content, and which copy
 *   is the oldest" in one index probe.
 * - `idempotency_keys`: one row per (user, Idempotency-Key) naming the document the first request created and a
 *   fingerprint of its body. It goes with its document (on delete cascade) and after 24 h (the purge).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table documents add column if not exists sha256 text`.execute(db);
  await sql`
    do $$ begin
      alter table documents add constraint documents_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$');
    exception when duplicate_object then null;
    end $$
  `.execute(db);
  await sql`
    create index if not exists documents_user_sha256_idx on documents (user_id, sha256, created_at, id)
    where sha256 is not null
  `.execute(db);
  await sql`
    create table if not exists idempotency_keys (
      user_id text not null references users (id) on delete cascade,
      key text not null,
      fingerprint text not null,
      document_id uuid not null references documents (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (user_id, key)
    )
  `.execute(db);
  await sql`create index if not exists idempotency_keys_created_at_idx on idempotency_keys (created_at)`.execute(
    db,
  );
  await sql`
    create index if not exists idempotency_keys_document_idx on idempotency_keys (document_id)
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists idempotency_keys`.execute(db);
  await sql`drop index if exists documents_user_sha256_idx`.execute(db);
  await sql`alter table documents drop constraint if exists documents_sha256_hex`.execute(db);
  await sql`alter table documents drop column if exists sha256`.execute(db);
}
