import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/documents.js';
import { db } from '../../lib/platform/db/client.js';
import { purgeExpiredUploads, sweepTombstones, TOMBSTONE_LEASE_SECONDS } from '../../lib/purge/purge.js';
import { call } from '../helpers/api.js';
import { newUser } from '../helpers/users.js';

// This file's worker talks to an S3 endpoint where nothing listens, so every S3 call fails.
await vi.hoisted(async () =>
  (await import('../helpers/env.js')).configure({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }),
);

// Its own database: the purge below works on the whole table and must not touch other files' rows.
await vi.hoisted(async () => (await import('../helpers/own-database.js')).useOwnDatabase('kite_s3down'));

async function setUsedBytes(userId: string, usedBytes: number): Promise<void> {
  await db().updateTable('quotas').set({ used_bytes: usedBytes }).where('user_id', '=', userId).execute();
}

async function seedDocument(userId: string, status: 'pending' | 'uploaded', ageSeconds = 0): Promise<string> {
  const id = randomUUID();
  await sql`
    insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, created_at,
                           confirmed_at)
    values (${id}, ${userId}, 'f.txt', 'text/plain', ${status === 'pending' ? null : 100},
            ${`users/${userId}/${id}/f.txt`}, ${status}, now() - make_interval(secs => ${ageSeconds}),
            ${status === 'pending' ? null : sql`now()`})
  `.execute(db());
  return id;
}

/** The whole row as Postgres stores it (microseconds included), to prove it came back unchanged. */
async function snapshot(id: string) {
  const result = await sql<{
    row: string;
  }>`select to_jsonb(d)::text as row from documents d where id = ${id}`.execute(db());
  return result.rows[0]?.row;
}

async function rowVersions(ids: string[]): Promise<Map<string, string>> {
  const result = await sql<{ id: string; xmin: string }>`
    select id, xmin::text from documents where id = any(${ids}::uuid[])
  `.execute(db());
  return new Map(result.rows.map((row) => [row.id, row.xmin]));
}

describe('when S3 is down', () => {
  it('DELETE moves the document to the trash: the database alone, so 204 while S3 is down', async () => {
    const { userId, token } = await newUser({ provisioned: { quotaBytes: 1000 } });
    await setUsedBytes(userId, 100);
    const id = await seedDocument(userId, 'uploaded');

    const result = await call(handler, { method: 'DELETE', path: `/api/documents/${id}`, token });

    expect(result.status).toBe(204);
    const row = await db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
    expect(row).toMatchObject({ status: 'uploaded', size_bytes: 100, version: 2 });
    expect(row?.deleted_at).toBeInstanceOf(Date);
    // Still counted: a trashed document holds its bytes until it is deleted for good.
    const quota = await db()
      .selectFrom('quotas')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(quota?.used_bytes).toBe(100);
  });

  it('DELETE ?permanent=true deletes the row and refunds at once; the key stays tombstoned for the purge to retry', async () => {
    const { userId, token } = await newUser({ provisioned: { quotaBytes: 1000 } });
    await setUsedBytes(userId, 100);
    const id = await seedDocument(userId, 'uploaded', 7200);
    const key = `users/${userId}/${id}/f.txt`;

    const result = await call(handler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      token,
      query: { permanent: 'true' },
    });

    expect(result.status).toBe(204);
    expect(await snapshot(id)).toBeUndefined();
    const quota = await db()
      .selectFrom('quotas')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(quota?.used_bytes).toBe(0);
    const tombstone = await db()
      .selectFrom('upload_tombstones')
      .selectAll()
      .where('storage_key', '=', key)
      .executeTakeFirst();
    // Due now: the sweep retries the object's delete on its next run (and fails again here, keeping the key).
    expect(tombstone?.delete_after.getTime()).toBeLessThanOrEqual(Date.now());
    await expect(sweepTombstones()).rejects.toThrow();
    const kept = await db()
      .selectFrom('upload_tombstones')
      .select('storage_key')
      .where('storage_key', '=', key)
      .executeTakeFirst();
    expect(kept).toEqual({ storage_key: key });
  });

  it('the purge puts its batch back exactly as it was and fails, so the next run retries it', async () => {
    const { userId } = await newUser({ provisioned: { quotaBytes: 1000 } });
    // The second is recent enough that its upload URL may still be in use: purging it tombstones its key.
    const ids = [await seedDocument(userId, 'pending', 7200), await seedDocument(userId, 'pending', 4000)];
    const before = await Promise.all(ids.map(snapshot));
    const versionsBefore = await rowVersions(ids);

    await expect(purgeExpiredUploads()).rejects.toThrow();

    expect(await Promise.all(ids.map(snapshot))).toEqual(before);
    // Restored rows own their keys again: no tombstone may sweep them.
    const keys = ids.map((id) => `users/${userId}/${id}/f.txt`);
    expect(
      await db().selectFrom('upload_tombstones').selectAll().where('storage_key', 'in', keys).execute(),
    ).toEqual([]);
    // Same content, new row versions: the rows really were deleted and then restored.
    const versionsAfter = await rowVersions(ids);
    for (const id of ids) expect(versionsAfter.get(id)).not.toBe(versionsBefore.get(id));
  });

  it('the tombstone sweep fails and keeps its tombstones, leased for a later run to retry', async () => {
    const keys = [`users/user-${randomUUID()}/a/f.txt`, `users/user-${randomUUID()}/b/f.txt`];
    await sql`
      insert into upload_tombstones (storage_key, delete_after)
      select key, now() - interval '1 minute' from unnest(${keys}::text[]) key
    `.execute(db());

    await expect(sweepTombstones()).rejects.toThrow();

    const after = await db()
      .selectFrom('upload_tombstones')
      .selectAll()
      .where('storage_key', 'in', keys)
      .execute();
    expect(after.map((t) => t.storage_key).sort()).toEqual([...keys].sort());
    for (const tombstone of after) {
      expect(tombstone.delete_after.getTime()).toBeGreaterThan(
        Date.now() + (TOMBSTONE_LEASE_SECONDS - 60) * 1000,
      );
    }
    // Leased: a second run right away does not hammer S3 with the same keys.
    expect(await sweepTombstones()).toBe(0);
  });

  it('GET still answers with a download URL: presigning needs no call to S3', async () => {
    const { userId, token } = await newUser({ provisioned: { quotaBytes: 1000 } });
    await setUsedBytes(userId, 100);
    const id = await seedDocument(userId, 'uploaded');

    const result = await call(handler, { method: 'GET', path: `/api/documents/${id}`, token });

    expect(result.status).toBe(200);
    expect(result.body.downloadUrl).toMatch(/^http:\/\/127\.0\.0\.1:9\//);
  });
});
