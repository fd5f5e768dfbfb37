import { type Kysely, sql } from 'kysely';

/**
 * The local provider's trained model, one per user (docs/operations.md "Filing without an LLM"): what it was trained on
 * (how many documents, and a fingerprint of the topics a person set on them) and the model itself as JSON. A new
 * table: no existing row changes, and a user without a row gets a model the first time one is needed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table if not exists local_models (
      user_id text primary key references users (id) on delete cascade,
      version uuid not null,
      documents integer not null,
      person_fingerprint text not null,
      model text not null,
      trained_at timestamptz not null default now()
    )
  `.execute(db);
  // The model is base64 of float32 weights: compressing it gains little and costs time at every training.
  await sql`alter table local_models alter column model set storage external`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists local_models`.execute(db);
}
