import { randomUUID } from 'node:crypto';
import { db } from '../../lib/platform/db/client.js';
import { provisionCaller } from '../../lib/users/users.js';
import { ensureUser } from '../../lib/users/users.queries.js';
import { signDevToken } from '../../local/token.js';

export interface TestUser {
  userId: string;
  /** A bearer token for the user, signed as the identity provider would (local/token.ts). */
  token: string;
}

export interface NewUserOptions {
  /** The start of the generated id, so a failing test's rows say whose they are (default: `admin` or `user`). */
  label?: string;
  /** This id instead of a generated one: a name the test asserts, or characters a generated id lacks. */
  id?: string;
  /** The token's admin claim. */
  admin?: boolean;
  /** The token's email claim. */
  email?: string;
  /** When the token expires: seconds since the epoch or a time span (default 12 h). */
  expiresIn?: number | string;
  /**
   * Creates the user's row and quota now instead of at its first request (docs/api.md "Authentication"), for a test
   * that writes the user's rows directly or reads them first: `true` as that request would, with the default
   * quota; `{ quotaBytes }` with that limit.
   */
  provisioned?: true | { quotaBytes: number };
}

/**
 * A user no other test has (each integration test owns its data, so tests can run in any order) and its token.
 * The one way the tests make a caller.
 */
export async function newUser(options: NewUserOptions = {}): Promise<TestUser> {
  const { admin = false, email } = options;
  const userId = options.id ?? `${options.label ?? (admin ? 'admin' : 'user')}-${randomUUID()}`;
  const token = await signDevToken(userId, {
    admin,
    ...(email === undefined ? {} : { email }),
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  if (options.provisioned === true) {
    await provisionCaller({ userId, email: email ?? null, isAdmin: admin });
  } else if (options.provisioned) {
    const role = admin ? 'admin' : 'user';
    await ensureUser(db(), { id: userId, email: email ?? null, role }, options.provisioned.quotaBytes);
  }
  return { userId, token };
}
