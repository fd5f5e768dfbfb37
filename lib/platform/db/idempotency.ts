import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** What a retried request is recognised by (docs/api.md "Duplicates and retried requests"). */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** How long an Idempotency-Key names its first request's document. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600;

/** The document and fingerprint an Idempotency-Key of this user still names, if any. */
export async function findIdempotencyKey(
  db: Kysely<Database>,
  userId: string,
  key: string,
): Promise<{ fingerprint: string; document_id: string } | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'document_id'])
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${IDEMPOTENCY_KEY_TTL_SECONDS})`)
    .executeTakeFirst();
}

/** Deletes up to `limit` keys past their 24 hours; returns how many went. */
export async function deleteExpiredIdempotencyKeys(db: Kysely<Database>, limit: number): Promise<number> {
  const result = await sql<{ deleted: number }>`
    with gone as (
      delete from idempotency_keys where ctid in (
        select ctid from idempotency_keys
        where created_at <= now() - make_interval(secs => ${IDEMPOTENCY_KEY_TTL_SECONDS})
        limit ${limit}
      )
      returning 1
    )
    select count(*)::int as deleted from gone
  `.execute(db);
  return result.rows[0]?.deleted ?? 0;
}
