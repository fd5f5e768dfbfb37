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
      expires_at: body.expiresAt == null ? null : new Date(body.expiresAt),
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
  findKeyCredential.forget(id);
}

export interface KeyCredential {
  keyId: string;
  userId: string;
  email: string | null;
  /** The user's role as stored (at most KEY_CACHE_MS ago): a key's admin power follows it. */
  isAdmin: boolean;
  scopes: ApiKeyScope[];
}

/**
 * How long an instance trusts a key it has looked up. Half the contract's 10 s (docs/api.md "API keys"): a key revoked
 * (or an admin demoted) on one instance stops working on every other within KEY_CACHE_MS plus one request's time.
 * Without it every request pays a second database round trip, twice a cached JWT's cost (bench part `keys`).
 */
export const KEY_CACHE_MS = 5_000;

export interface KeyCacheOptions {
  /** Most keys remembered; the oldest is forgotten first. */
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export type KeyResolver = ((secret: string) => Promise<KeyCredential | undefined>) & {
  /** Forgets a key at once on this instance (the one that revoked it); the others forget it within ttlMs. */
  forget(keyId: string): void;
};

/**
 * Turns key secrets into credentials, or undefined when a secret is malformed, unknown (never issued, or revoked:
 * revoking deletes the row) or expired: one answer for all, so a caller learns nothing about which. A key found
 * live is remembered for `ttlMs` (never past its expiry), keyed by its SHA-256 so the instance holds no secret;
 * failures are never remembered.
 */
export function createKeyResolver({
  maxEntries = 1000,
  ttlMs = KEY_CACHE_MS,
  now = () => Date.now(),
}: KeyCacheOptions = {}): KeyResolver {
  const remembered = new Map<string, { credential: KeyCredential; until: number }>();
  const resolve = async (secret: string) => {
    if (!SECRET_SHAPE.test(secret)) return undefined;
    const sha256 = secretSha256(secret);
    const cacheKey = sha256.toString('base64');
    const at = now();
    const hit = remembered.get(cacheKey);
    if (hit && at < hit.until) return hit.credential;
    remembered.delete(cacheKey);
    // Looked up by its SHA-256 through the unique index: the database compares hashes, never secrets, so how long
    // the B-tree search takes depends on a hash the caller cannot steer bytewise, and no loop here compares a
    // presented secret with stored ones one by one (which would leak, by timing, how much of one matched).
    const holder: KeyHolder | undefined = await findKeyHolder(db(), sha256);
    if (!holder?.live) return undefined;
    const credential: KeyCredential = Object.freeze({
      keyId: holder.key_id,
      userId: holder.user_id,
      email: holder.email,
      isAdmin: holder.role === 'admin',
      scopes: holder.scopes as ApiKeyScope[],
    });
    if (remembered.size >= maxEntries) {
      const oldest = remembered.keys().next();
      if (!oldest.done) remembered.delete(oldest.value);
    }
    const expiry = holder.expires_at?.getTime() ?? Number.POSITIVE_INFINITY;
    remembered.set(cacheKey, { credential, until: Math.min(at + ttlMs, expiry) });
    return credential;
  };
  const forget = (keyId: string) => {
    for (const [cacheKey, entry] of remembered) {
      if (entry.credential.keyId === keyId) remembered.delete(cacheKey);
    }
  };
  return Object.assign(resolve, { forget });
}

/** This instance's key resolver: the auth step (lib/auth/auth.ts) asks it on every request with a key. */
export const findKeyCredential: KeyResolver = createKeyResolver();
