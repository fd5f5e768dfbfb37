import { type Kysely, sql } from 'kysely';
import type { Database, Role, UserRow } from '../platform/db/schema.js';

export interface UserWithQuota extends UserRow {
  used_bytes: number;
  limit_bytes: number;
}

/**
 * Creates the user and its quota row on first sight, and keeps email/role in step with the token. One statement:
 * the quota insert sees the user row inserted by the CTE beside it.
 */
export async function ensureUser(
  db: Kysely<Database>,
  user: { id: string; email: string | null; role: Role },
  defaultQuotaBytes: number,
): Promise<void> {
  await sql`
    with upserted as (
      insert into users (id, email, role) values (${user.id}, ${user.email}, ${user.role})
      on conflict (id) do update set email = excluded.email, role = excluded.role
        where users.email is distinct from excluded.email or users.role is distinct from excluded.role
      returning id
    )
    insert into quotas (user_id, limit_bytes, used_bytes)
    values (${user.id}, ${defaultQuotaBytes}, 0)
    on conflict (user_id) do nothing
  `.execute(db);
}

export async function findUserWithQuota(
  db: Kysely<Database>,
  id: string,
): Promise<UserWithQuota | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('quotas', 'quotas.user_id', 'users.id')
    .selectAll('users')
    .select(['quotas.used_bytes', 'quotas.limit_bytes'])
    .where('users.id', '=', id)
    .executeTakeFirst();
}

/** Users with their quotas in id order, after `afterId` when given (keyset pagination). */
export async function listUsersWithQuota(
  db: Kysely<Database>,
  page: { limit: number; afterId?: string },
): Promise<UserWithQuota[]> {
  let query = db
    .selectFrom('users')
    .innerJoin('quotas', 'quotas.user_id', 'users.id')
    .selectAll('users')
    .select(['quotas.used_bytes', 'quotas.limit_bytes']);
  if (page.afterId !== undefined) query = query.where('users.id', '>', page.afterId);
  return query.orderBy('users.id').limit(page.limit).execute();
}

export interface UserSettings {
  ai_provider?: string | null;
  ai_model?: string | null;
  limit_bytes?: number;
}

/**
 * Sets a user's AI provider/model and quota limit together; undefined when there is no such user. A limit below
 * current usage is kept as is: it blocks further confirms and deletes nothing.
 */
export async function updateUserSettings(
  db: Kysely<Database>,
  id: string,
  settings: UserSettings,
): Promise<UserWithQuota | undefined> {
  const { limit_bytes, ...ai } = settings;
  return db.transaction().execute(async (trx) => {
    if (Object.values(ai).some((value) => value !== undefined)) {
      await trx.updateTable('users').set(ai).where('id', '=', id).execute();
    }
    if (limit_bytes !== undefined) {
      await trx.updateTable('quotas').set({ limit_bytes }).where('user_id', '=', id).execute();
    }
    return findUserWithQuota(trx, id);
  });
}
