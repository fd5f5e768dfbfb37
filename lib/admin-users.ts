import { db } from './db/client.js';
import { listUsersWithQuota, type UserSettings, updateUserSettings } from './db/users.js';
import { NotFoundError, ValidationError } from './errors.js';
import type { UserPage } from './response-schemas.js';
import type { ListUsersQuery, UpdateUserBody } from './schemas.js';
import { type UserView, userView } from './views.js';

/** GET /api/admin/users: every user in id order, keyset-paginated; `nextCursor` is null on the last page. */
export async function listUsers(query: ListUsersQuery): Promise<UserPage> {
  const afterId = query.cursor === undefined ? undefined : decodeUserCursor(query.cursor);
  // One extra row tells whether another page follows without a count query.
  const rows = await listUsersWithQuota(db(), { limit: query.limit + 1, afterId });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    users: page.map(userView),
    nextCursor: rows.length > query.limit && last ? encodeUserCursor(last.id) : null,
  };
}

/** PATCH /api/admin/users/{id}: AI provider/model (null = the configured default) and quota limit. */
export async function updateUser(id: string, body: UpdateUserBody): Promise<UserView> {
  const settings: UserSettings = {};
  if (body.aiProvider !== undefined) settings.ai_provider = body.aiProvider;
  if (body.aiModel !== undefined) settings.ai_model = body.aiModel;
  if (body.quotaLimitBytes !== undefined) settings.limit_bytes = body.quotaLimitBytes;
  const user = await updateUserSettings(db(), id, settings);
  if (!user) throw new NotFoundError('User not found');
  return userView(user);
}

// Opaque to clients like the documents cursor: base64url of the last user id of the page.
const CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

function encodeUserCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeUserCursor(value: string): string {
  const id = CURSOR.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : '';
  if (id === '' || id.length > 255 || encodeUserCursor(id) !== value) {
    throw new ValidationError('The cursor is invalid', [{ path: 'cursor', message: 'invalid' }]);
  }
  return id;
}
