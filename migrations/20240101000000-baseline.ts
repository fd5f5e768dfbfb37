import { type Kysely, sql } from 'kysely';

// Frozen in time: the schema as it stood before multi-user isolation (ownerless documents, global topics).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table if not exists users (
      id text primary key,
      email text,
      role text not null default 'user' check (role in ('user', 'admin')),
      ai_provider text,
      ai_model text,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table if not exists quotas (
      user_id text primary key references users (id) on delete cascade,
      limit_bytes bigint not null check (limit_bytes >= 0),
      used_bytes bigint not null default 0 check (used_bytes >= 0)
    )`.execute(db);
  await sql`
    create table if not exists documents (
      id uuid primary key default gen_random_uuid(),
      user_id text references users (id) on delete cascade,
      filename text not null,
      content_type text not null,
      size_bytes bigint check (size_bytes >= 0),
      storage_key text not null unique,
      status text not null default 'pending' check (status in ('pending', 'uploaded', 'classified', 'failed')),
      error text,
      created_at timestamptz not null default now(),
      confirmed_at timestamptz,
      classified_at timestamptz
    )`.execute(db);
  await sql`
    create table if not exists topics (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      description text,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index if not exists topics_name_key on topics (lower(name))`.execute(db);
  await sql`
    create table if not exists document_topics (
      document_id uuid not null references documents (id) on delete cascade,
      topic_id uuid not null references topics (id) on delete cascade,
      source text not null check (source in ('ai', 'user')),
      primary key (document_id, topic_id)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['document_topics', 'topics', 'documents', 'quotas', 'users']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
