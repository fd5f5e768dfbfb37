import type { Caller } from '../auth/auth.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import { NotFoundError } from '../platform/errors.js';
import { type UserView, userView } from './users.contract.js';
import { ensureUser, findUserWithQuota, type UserWithQuota } from './users.queries.js';

/** How many callers an instance remembers as provisioned (the auth cache has the same bound). */
const PROVISIONED_MAX = 1000;

// Callers known to exist with this email and role in this instance, oldest first: a warm request skips the upsert.
const provisioned = new Set<string>();

/**
 * Every authenticated request's user row and quota (docs/api.md "Authentication"): created on first sight, email and
 * role kept in step with the token. Once done, an instance skips the round trip for that caller, up to
 * PROVISIONED_MAX callers (the oldest is forgotten first), so a handler can rely on the caller's row existing.
 */
export async function provisionCaller(caller: Pick<Caller, 'userId' | 'email' | 'isAdmin'>): Promise<void> {
  const role = caller.isAdmin ? 'admin' : 'user';
  const key = `${caller.userId}\u0000${caller.email ?? ''}\u0000${role}`;
  if (provisioned.has(key)) return;
  await ensureUser(db(), { id: caller.userId, email: caller.email, role }, config().DEFAULT_QUOTA_BYTES);
  if (provisioned.size >= PROVISIONED_MAX) {
    const oldest = provisioned.values().next().value;
    if (oldest !== undefined) provisioned.delete(oldest);
  }
  provisioned.add(key);
}

/** A user as the API shows them, with the provider in effect for them (docs/operations.md "Filing without an LLM"). */
export function showUser(row: UserWithQuota): UserView {
  return userView(row, config().DEFAULT_AI_PROVIDER);
}

/** GET /api/me. The router provisions the caller's row first and no route deletes users: it is missing only if
 * someone deleted it in the database between the two, and then the caller is, rightly, not found. */
export async function getMe(userId: string): Promise<UserView> {
  const user = await findUserWithQuota(db(), userId);
  if (!user) throw new NotFoundError('User not found');
  return showUser(user);
}
