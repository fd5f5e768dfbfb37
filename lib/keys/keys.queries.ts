import { type Kysely, sql } from 'kysely';
import type { ApiKeyRow, Database, Role } from '../platform/db/schema.js';

export type KeyListing = Omit<ApiKeyRow, 'user_id' | 'secret_sha256'>;

const LISTED = ['id', 'name', 'scopes', 'prefix', 'created_at', 'expires_at', 'last_used_at'] as const;

/**
 * Stores a key for its user unless they already hold `maxPerUser` (undefined then). One statement: the count and
 * the insert see the same snapshot (two concurrent creates may both pass, one key over at most).
 */
export async function insertKey(
  db: Kysely<Database>,
  key: {
    user_id: string;
    name: string;
    scopes: string[];
    prefix: string;
    secret_sha256: Buffer;
    expires_at: Date | null;
  },
  maxPerUser: number,
): Promise<KeyListing | undefined> {
  const { rows } = await sql<KeyListing>`
    insert into api_keys (user_id, name, scopes, prefix, secret_sha256, expires_at)
    select ${key.user_id}, ${key.name}, ${key.scopes}::text[], ${key.prefix}, ${key.secret_sha256}, ${key.expires_at}
    where (select count(*) from api_keys where user_id = ${key.user_id}) < ${maxPerUser}
    returning id, name, scopes, prefix, created_at, expires_at, last_used_at
  `.execute(db);
  return rows[0];
}

export async function listKeysOf(db: Kysely<Database>, userId: string): Promise<KeyListing[]> {
  return db
    .selectFrom('api_keys')
    .select(LISTED)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/** Revokes by deleting: true when the user had that key. */
export async function deleteKeyOf(db: Kysely<Database>, userId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('api_keys')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface KeyHolder {
  key_id: string;
  user_id: string;
  email: string | null;
  /** The role stored on the user's row now, not when the key was made. */
  role: Role;
  scopes: string[];
  expires_at: Date | null;
  /** Whether the key has not expired, by the database's clock. */
  live: boolean;
}

/**
 * The key whose secret hashes to `sha256`, its user's stored email and role, and whether it is still live; a live
 * key's `last_used_at` is set in the same statement when it is unset or at least a minute old, so a busy key costs
 * one write a minute, not one a request. Under concurrency the row lock makes the second UPDATE re-check its
 * condition against the first one's write, and skip.
 */
export async function findKeyHolder(db: Kysely<Database>, sha256: Buffer): Promise<KeyHolder | undefined> {
  const { rows } = await sql<KeyHolder>`
    with found as (
      select k.id as key_id, k.user_id, u.email, u.role, k.scopes, k.expires_at,
             (k.expires_at is null or k.expires_at > now()) as live
      from api_keys k join users u on u.id = k.user_id
      where k.secret_sha256 = ${sha256}
    ), touched as (
      update api_keys set last_used_at = now()
      where id = (select key_id from found where live)
        and (last_used_at is null or last_used_at <= now() - interval '1 minute')
    )
    select key_id, user_id, email, role, scopes, expires_at, live from found
  `.execute(db);
  return rows[0];
}
