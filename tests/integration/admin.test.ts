// A specification over 300 lines on purpose: the admin routes for users and system topics; each case sets up its own data.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as adminTopicsHandler } from '../../functions/admin-topics.js';
import { handler as adminUsersHandler } from '../../functions/admin-users.js';
import { handler as meHandler } from '../../functions/me.js';
import { handler as notFoundHandler } from '../../functions/not-found.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { type CallOptions, call } from '../helpers/api.js';
import { confirm, putBytes, requestUpload, uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);

const DEFAULT_QUOTA = 10 * 1024 * 1024;

function adminUsers(token: string, method: string, path: string, options: Omit<CallOptions, 'token'> = {}) {
  return call(adminUsersHandler, { method, path, token, ...options });
}

function patchUser(token: string, userId: string, options: Omit<CallOptions, 'token'>) {
  return adminUsers(token, 'PATCH', `/api/admin/users/${encodeURIComponent(userId)}`, options);
}

async function userRow(userId: string) {
  return db()
    .selectFrom('users')
    .innerJoin('quotas', 'quotas.user_id', 'users.id')
    .select(['users.ai_provider', 'users.ai_model', 'quotas.limit_bytes', 'quotas.used_bytes'])
    .where('users.id', '=', userId)
    .executeTakeFirstOrThrow();
}

describe('non-admins are refused every admin route', () => {
  const routes: { handler: typeof adminUsersHandler; method: string; path: string; body?: unknown }[] = [
    { handler: adminTopicsHandler, method: 'GET', path: '/api/admin/topics' },
    { handler: adminTopicsHandler, method: 'POST', path: '/api/admin/topics', body: { name: 'Hijack' } },
    {
      handler: adminTopicsHandler,
      method: 'PATCH',
      path: `/api/admin/topics/${randomUUID()}`,
      body: { name: 'Hijack' },
    },
    { handler: adminTopicsHandler, method: 'DELETE', path: `/api/admin/topics/${randomUUID()}` },
    { handler: adminUsersHandler, method: 'GET', path: '/api/admin/users' },
    {
      handler: adminUsersHandler,
      method: 'PATCH',
      path: '/api/admin/users/{self}',
      body: { quotaLimitBytes: 10 ** 12 },
    },
  ];

  for (const r of routes) {
    it(`${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '{id}')} → 403 forbidden, nothing changed`, async () => {
      const { userId, token } = await newUser({ provisioned: true });
      const before = await userRow(userId);

      const result = await call(r.handler, {
        method: r.method,
        path: r.path.replace('{self}', userId),
        token,
        ...(r.body === undefined ? {} : { body: r.body }),
      });

      expect(result.status).toBe(403);
      expect(result.body).toEqual({
        error: { code: 'forbidden', message: expect.any(String), requestId: expect.any(String) },
      });
      expect(await userRow(userId)).toEqual(before);
    });
  }

  it('a system topic cannot be created by a non-admin, even with a valid body', async () => {
    const { token } = await newUser({ provisioned: true });
    const name = `Hijack ${randomUUID()}`;
    await call(adminTopicsHandler, { method: 'POST', path: '/api/admin/topics', token, body: { name } });
    expect(await db().selectFrom('topics').select('id').where('name', '=', name).execute()).toHaveLength(0);
  });

  it('a cognito:groups claim containing admin opens them', async () => {
    const token = await new SignJWT({ 'cognito:groups': ['staff', 'admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`cognito-admin-${randomUUID()}`)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(process.env.JWT_SECRET));
    expect((await adminUsers(token, 'GET', '/api/admin/users', { query: { limit: '1' } })).status).toBe(200);
  });
});

describe('GET /api/admin/users', () => {
  it('lists users with the shape of GET /api/me', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ email: 'listed@example.test', provisioned: true });
    const me = await call(meHandler, { token: user.token });

    const found = await findInListing(admin.token, user.userId);

    expect(found).toEqual(me.body);
    expect(found).toEqual({
      id: user.userId,
      email: 'listed@example.test',
      role: 'user',
      aiProvider: null,
      aiModel: null,
      effectiveAiProvider: 'ollama',
      quota: { usedBytes: 0, limitBytes: DEFAULT_QUOTA },
    });
  });

  it('pages through every user once, in id order, ending with a null nextCursor', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const users = await Promise.all([1, 2, 3].map(() => newUser({ provisioned: true })));
    const mine = users.map((u) => u.userId);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result = await adminUsers(admin.token, 'GET', '/api/admin/users', {
        query: { limit: '7', ...(cursor ? { cursor } : {}) },
      });
      expect(result.status).toBe(200);
      expect(result.body.users.length).toBeLessThanOrEqual(7);
      seen.push(...result.body.users.map((u: { id: string }) => u.id));
      cursor = result.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 1000);

    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    // The database's own order (its collation decides), not JavaScript's.
    const ordered = await db()
      .selectFrom('users')
      .select('id')
      .where('id', 'in', seen)
      .orderBy('id')
      .execute();
    expect(seen).toEqual(ordered.map((row) => row.id));
    for (const id of [...mine, admin.userId]) expect(seen).toContain(id);
  });

  it('limit=1 returns one user and a cursor to the next', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    await newUser({ provisioned: true });

    const first = await adminUsers(admin.token, 'GET', '/api/admin/users', { query: { limit: '1' } });
    const second = await adminUsers(admin.token, 'GET', '/api/admin/users', {
      query: { limit: '1', cursor: first.body.nextCursor },
    });

    expect(first.body.users).toHaveLength(1);
    expect(typeof first.body.nextCursor).toBe('string');
    expect(second.body.users).toHaveLength(1);
    expect(second.body.users[0].id).not.toBe(first.body.users[0].id);
  });

  const badQueries: Record<string, string>[] = [
    { limit: '0' },
    { limit: '501' },
    { limit: 'ten' },
    { limit: '1.5' },
    { cursor: '!!' },
    { cursor: '' },
  ];
  for (const query of badQueries) {
    it(`a bad query ${JSON.stringify(query)} → 400 validation_error`, async () => {
      const admin = await newUser({ admin: true, provisioned: true });
      const result = await adminUsers(admin.token, 'GET', '/api/admin/users', { query });
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
    });
  }
});

/** Pages through the listing until `userId` shows up. */
async function findInListing(adminToken: string, userId: string) {
  let cursor: string | null = null;
  do {
    const result = await adminUsers(adminToken, 'GET', '/api/admin/users', {
      query: { limit: '500', ...(cursor ? { cursor } : {}) },
    });
    const found = result.body.users.find((u: { id: string }) => u.id === userId);
    if (found) return found;
    cursor = result.body.nextCursor;
  } while (cursor !== null);
  return undefined;
}

describe('PATCH /api/admin/users/{id}', () => {
  it('assigns the AI provider, model and quota limit, and GET /api/me shows them', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });

    const result = await patchUser(admin.token, user.userId, {
      body: { aiProvider: 'openai', aiModel: ' gpt-4o-mini ', quotaLimitBytes: 5000 },
    });

    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      user: {
        id: user.userId,
        email: null,
        role: 'user',
        aiProvider: 'openai',
        aiModel: 'gpt-4o-mini',
        effectiveAiProvider: 'openai',
        quota: { usedBytes: 0, limitBytes: 5000 },
      },
    });
    expect((await call(meHandler, { token: user.token })).body).toEqual(result.body.user);
  });

  it('changes only the fields sent', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });
    await patchUser(admin.token, user.userId, { body: { aiProvider: 'openai', aiModel: 'm1' } });

    const result = await patchUser(admin.token, user.userId, { body: { quotaLimitBytes: 0 } });

    expect(result.body.user).toMatchObject({ aiProvider: 'openai', aiModel: 'm1', quota: { limitBytes: 0 } });
  });

  it('null resets the provider and model to the configured defaults', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });
    await patchUser(admin.token, user.userId, { body: { aiProvider: 'openai', aiModel: 'm1' } });

    const result = await patchUser(admin.token, user.userId, { body: { aiProvider: null, aiModel: null } });

    expect(result.status).toBe(200);
    expect(result.body.user).toMatchObject({
      aiProvider: null,
      aiModel: null,
      effectiveAiProvider: 'ollama',
    });
    expect(await userRow(user.userId)).toMatchObject({ ai_provider: null, ai_model: null });
  });

  it('assigns the local provider like any other, and the user sees it in effect', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });

    const result = await patchUser(admin.token, user.userId, { body: { aiProvider: 'local' } });

    expect(result.status).toBe(200);
    expect(result.body.user).toMatchObject({ aiProvider: 'local', effectiveAiProvider: 'local' });
    expect((await call(meHandler, { token: user.token })).body).toMatchObject({
      effectiveAiProvider: 'local',
    });
  });

  it('accepts the largest safe integer as a limit', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });
    const result = await patchUser(admin.token, user.userId, {
      body: { quotaLimitBytes: Number.MAX_SAFE_INTEGER },
    });
    expect(result.status).toBe(200);
    expect(result.body.user.quota.limitBytes).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('an unknown user is 404 not_found', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const ghost = await newUser({ label: 'ghost' });
    const result = await patchUser(admin.token, ghost.userId, { body: { quotaLimitBytes: 1 } });
    expect(result.status).toBe(404);
    expect(result.body).toEqual({
      error: { code: 'not_found', message: expect.any(String), requestId: expect.any(String) },
    });
  });

  it('a user id with URL-special characters is addressed exactly', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const { userId } = await newUser({ id: `auth0|${randomUUID()} é`, provisioned: true });

    const result = await patchUser(admin.token, userId, { body: { aiModel: 'special' } });

    expect(result.status).toBe(200);
    expect(result.body.user.id).toBe(userId);
  });

  const bad: { name: string; body?: unknown; rawBody?: string }[] = [
    { name: 'an unknown provider', body: { aiProvider: 'anthropic' } },
    { name: 'a numeric provider', body: { aiProvider: 1 } },
    { name: 'a provider in the wrong case', body: { aiProvider: 'OpenAI' } },
    { name: 'an empty model', body: { aiModel: '' } },
    { name: 'a blank model', body: { aiModel: '   ' } },
    { name: 'a 201-character model', body: { aiModel: 'm'.repeat(201) } },
    { name: 'a numeric model', body: { aiModel: 3 } },
    { name: 'a NUL in the model', body: { aiModel: 'llama\u0000' } },
    { name: 'a negative limit', body: { quotaLimitBytes: -1 } },
    { name: 'a fractional limit', body: { quotaLimitBytes: 1.5 } },
    { name: 'a string limit', body: { quotaLimitBytes: '1000' } },
    { name: 'a null limit', body: { quotaLimitBytes: null } },
    { name: 'a limit above MAX_SAFE_INTEGER', body: { quotaLimitBytes: 2 ** 53 } },
    { name: 'an unknown field', body: { quotaLimitBytes: 1, role: 'admin' } },
    { name: 'an empty object', body: {} },
    { name: 'a JSON array', body: [] },
    { name: 'malformed JSON', rawBody: '{"quotaLimitBytes": 1' },
  ];

  for (const c of bad) {
    it(`${c.name} → 400 validation_error and the user is unchanged`, async () => {
      const admin = await newUser({ admin: true, provisioned: true });
      const user = await newUser({ provisioned: true });
      const before = await userRow(user.userId);

      const result = await patchUser(
        admin.token,
        user.userId,
        c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody },
      );

      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      expect(await userRow(user.userId)).toEqual(before);
    });
  }

  it('lowering a limit below usage deletes nothing, and the next confirm is 413 quota_exceeded', async () => {
    const admin = await newUser({ admin: true, provisioned: true });
    const user = await newUser({ provisioned: true });
    const kept = await uploadDocument(user.token, 'x'.repeat(100));
    const next = await requestUpload(user.token, { size: 10 });
    await putBytes(next, 'y'.repeat(10));

    const lowered = await patchUser(admin.token, user.userId, { body: { quotaLimitBytes: 50 } });

    expect(lowered.status).toBe(200);
    expect(lowered.body.user.quota).toEqual({ usedBytes: 100, limitBytes: 50 });
    const confirmed = await confirm(user.token, next.document.id);
    expect(confirmed.status).toBe(413);
    expect(confirmed.body.error.code).toBe('quota_exceeded');
    const documents = await db()
      .selectFrom('documents')
      .select(['id', 'status'])
      .where('user_id', '=', user.userId)
      .execute();
    expect(documents).toEqual(
      expect.arrayContaining([
        { id: kept, status: 'uploaded' },
        { id: next.document.id, status: 'pending' },
      ]),
    );
    expect(await userRow(user.userId)).toMatchObject({ used_bytes: 100, limit_bytes: 50 });
  });
});

describe('the retired /api/settings', () => {
  for (const method of ['GET', 'PUT', 'POST', 'PATCH', 'DELETE']) {
    it(`${method} /api/settings → 404 with the contract error body`, async () => {
      const result = await call(notFoundHandler, {
        method,
        path: '/api/settings',
        body: { provider: 'openai' },
      });
      expect(result.status).toBe(404);
      expect(result.body).toEqual({
        error: { code: 'not_found', message: expect.any(String), requestId: expect.any(String) },
      });
    });
  }

  it('answers 404 with a valid token too, and changes nothing for the caller', async () => {
    const user = await newUser({ provisioned: true });
    const before = await userRow(user.userId);

    const result = await call(notFoundHandler, {
      method: 'PUT',
      path: '/api/settings',
      token: user.token,
      body: { aiProvider: 'openai' },
    });

    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('not_found');
    expect(await userRow(user.userId)).toEqual(before);
  });
});
