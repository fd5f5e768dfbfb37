import type { Kysely } from 'kysely';
import type { Database, QuotaRow } from './schema.js';

/** A user's quota row: uploads check it early, and confirm, delete, the admin and the purge move it. */
export async function findQuota(db: Kysely<Database>, userId: string): Promise<QuotaRow | undefined> {
  return db.selectFrom('quotas').selectAll().where('user_id', '=', userId).executeTakeFirst();
}
