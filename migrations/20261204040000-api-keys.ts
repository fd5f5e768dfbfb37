import { type Kysely, sql } from 'kysely';

/**
 * API keys (docs/api.md "API keys"): a credential for scripts and integrations. The secret itself is never stored: only
 * its SHA-256 (unique, which is also the index every authenticated request looks a key up by) and its first 8
 * characters, which the owner recognises it by. Revoking deletes the row, so a revoked key is as unknown as one
 * that never existed. A key goes with its user.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table if not exists api_keys (
      id uuid primary key default gen_random_uuid(),
      user_id text not null references users (id) on delete cascade,
      name text not null,
      scopes text[] not null check (cardinality(scopes) > 0),
      prefix text not null,
      secret_sha256 bytea not null unique check (octet_length(secret_sha256) = 32),
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      last_used_at timestamptz
    )
  `.execute(db);
  // GET /api/keys: the caller's keys, newest first.
  await sql`create index if not exists api_keys_user_idx on api_keys (user_id, created_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists api_keys`.execute(db);
}
