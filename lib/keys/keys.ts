import { createHash, randomBytes } from 'node:crypto';
import { db } from '../platform/db/client.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { ApiKeyScope } from '../platform/route.js';
import { type CreateKeyBody, KEYS_PER_USER_MAX, type KeyView, keyView } from './keys.contract.js';
import { deleteKeyOf, findKeyHolder, insertKey, type KeyHolder, listKeysOf } from './keys.queries.js';

/** Every key's secret starts so: `Authorization: Bearer kite_…` is a key, anything else a JWT. */
export const KEY_SECRET_PREFIX = 'kite_';
/** How many characters of the secret are stored in clear, for its owner to recognise it by. */
export const KEY_PREFIX_LENGTH = 8;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_BYTES = 32;
/** 62^43 > 2^256: 43 base62 digits hold 32 bytes, so every secret has the same length. */
const SECRET_DIGITS = 43;
const SECRET_SHAPE = new RegExp(`^${KEY_SECRET_PREFIX}[0-9A-Za-z]{${SECRET_DIGITS}}$`);

/** `kite_` + 32 random bytes in base62 (no `-` or `_`: a double-click selects the whole key). */
export function newKeySecret(): string {
  let value = BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`);
  let digits = '';
  for (let i = 0; i < SECRET_DIGITS; i++) {
    digits = BASE62[Number(value % 62n)] + digits;
    value /= 62n;
  }
  return KEY_SECRET_PREFIX + digits;
}

export function secretSha256(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * POST /api/keys: a new key for the caller, and its secret, which only this answer carries. Only an admin may give
 * the `admin` scope (403), and a user holds at most KEYS_PER_USER_MAX keys (409).
 */
export async function createKey(
  caller: { userId: string; isAdmin: boolean },
  body: CreateKeyBody,
): Promise<{ key: KeyView; secret: string }> {
  if (body.scopes.includes('admin') && !caller.isAdmin) {
    throw new ForbiddenError('Only an admin can give a key the admin scope');
  }
  const secret = newKeySecret();
  const row = await insertKey(
    db(),
    {
      user_id: caller.userId,
      name: body.name,
      scopes: body.scopes,
      prefix: secret.slice(0, KEY_PREFIX_LENGTH),
      secret_sha256: secretSha256(secret),
      expires_at: body.expiresAt === undefined ? null : new Date(body.expiresAt),
    },
    KEYS_PER_USER_MAX,
  );
  if (!row) {
    throw new ConflictError(`You already have ${KEYS_PER_USER_MAX} API keys; revoke one to create another`);
  }
  return { key: keyView({ ...row }), secret };
}

/** GET /api/keys: the caller's keys, newest first, without secrets (kite has none to show). */
export async function listKeys(userId: string): Promise<KeyView[]> {
  return (await listKeysOf(db(), userId)).map(keyView);
}

/** DELETE /api/keys/{id}: revokes (deletes) one of the caller's keys; another user's key is not found. */
export async function revokeKey(userId: string, id: string): Promise<void> {
  if (!(await deleteKeyOf(db(), userId, id))) throw new NotFoundError('API key not found');
}

export interface KeyCredential {
  keyId: string;
  userId: string;
  email: string | null;
  /** The user's role as stored now: a key's admin power follows it. */
  isAdmin: boolean;
  scopes: ApiKeyScope[];
}

/**
 * Who a key secret belongs to, or undefined when it is malformed, unknown (never issued, or revoked: revoking
 * deletes the row) or expired: one answer for all, so a caller learns nothing about which. One indexed statement
 * per request and no cache, so a revocation holds on every instance from the next request (README "API keys").
 */
export async function findKeyCredential(secret: string): Promise<KeyCredential | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  // Looked up by its SHA-256 through the unique index: the database compares hashes, never secrets, so how long
  // the B-tree search takes depends on a hash the caller cannot steer bytewise, and no loop here compares a
  // presented secret with stored ones one by one (which would leak, by timing, how much of one matched).
  const holder: KeyHolder | undefined = await findKeyHolder(db(), secretSha256(secret));
  if (!holder?.live) return undefined;
  return {
    keyId: holder.key_id,
    userId: holder.user_id,
    email: holder.email,
    isAdmin: holder.role === 'admin',
    scopes: holder.scopes as ApiKeyScope[],
  };
}
