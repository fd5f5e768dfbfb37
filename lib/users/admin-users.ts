import { decodeUserCursor, encodeUserCursor, fetchPage } from '../platform/cursor.js';
import { db } from '../platform/db/client.js';
import { NotFoundError } from '../platform/errors.js';
import type { ListUsersQuery, UpdateUserBody, UserPage, UserView } from './users.contract.js';
import { showUser } from './users.js';
import { listUsersWithQuota, type UserSettings, updateUserSettings } from './users.queries.js';

/** GET /api/admin/users: every user in id order, keyset-paginated; `nextCursor` is null on the last page. */
export async function listUsers(query: ListUsersQuery): Promise<UserPage> {
  const afterId = query.cursor === undefined ? undefined : decodeUserCursor(query.cursor);
  const page = await fetchPage(
    query.limit,
    (limit) => listUsersWithQuota(db(), { limit, afterId }),
    (last) => encodeUserCursor(last.id),
  );
  return { users: page.rows.map(showUser), nextCursor: page.nextCursor };
}

/** PATCH /api/admin/users/{id}: AI provider/model (null = the configured default) and quota limit. */
export async function updateUser(id: string, body: UpdateUserBody): Promise<UserView> {
  const settings: UserSettings = {};
  if (body.aiProvider !== undefined) settings.ai_provider = body.aiProvider;
  if (body.aiModel !== undefined) settings.ai_model = body.aiModel;
  if (body.quotaLimitBytes !== undefined) settings.limit_bytes = body.quotaLimitBytes;
  const user = await updateUserSettings(db(), id, settings);
  if (!user) throw new NotFoundError('User not found');
  return showUser(user);
}
