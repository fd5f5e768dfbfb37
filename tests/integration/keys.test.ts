// A specification over 300 lines on purpose: API keys end to end (docs/api.md "API keys"), each case with its own users.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { handler as adminUsersHandler } from '../../functions/admin-users.js';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as keysHandler } from '../../functions/keys.js';
import { handler as meHandler } from '../../functions/me.js';
import { ROUTES } from '../../lib/api/routes.js';
import { KEY_CACHE_MS } from '../../lib/keys/keys.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  type RouteDeclaration,
  routeKey,
} from '../../lib/platform/route.js';
import { signDevToken } from '../../local/token.js';
import { type CallOptions, call } from '../helpers/api.js';
import { newKey } from '../helpers/keys.js';
import { uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every clock reading from now on is `ms` later: what an instance's cached keys see when that much time passed. */
function clockAhead(ms: number): void {
  const original = Date.now;
  vi.spyOn(Date, 'now').mockImplementation(() => original.call(Date) + ms);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Handler = Parameters<typeof call>[0];

function keys(token: string, method: string, path: string, options: Omit<CallOptions, 'token'> = {}) {
  return call(keysHandler, { method, path, token, ...options });
}

async function keyRow(id: string) {
  return db().selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The function that serves a route, as Lambda would load it. */
async function handlerOf(route: RouteDeclaration): Promise<Handler> {
  return ((await import(`../../functions/${route.function}.ts`)) as { handler: Handler }).handler;
}

/** A request to the route with every path parameter an id that names nothing and no body. */
function requestTo(route: RouteDeclaration, token: string): CallOptions {
  return { method: route.method, path: route.path.replace(/\{\w+\}/g, randomUUID()), token, rawBody: '' };
}

const ALL_BUT = (scope: ApiKeyScope) => API_KEY_SCOPES.filter((s) => s !== scope);

describe('creating, listing and revoking keys', () => {
  it('shows the secret once: kite_ and 43 base62 characters, its first 8 the prefix', async () => {
    const { token, userId } = await newUser();
    const created = await keys(token, 'POST', '/api/keys', {
      body: { name: '  scanner  ', scopes: ['documents:write'], expiresAt: '2099-01-01T00:00:00+01:00' },
    });

    expect(created.status).toBe(201);
    const { key, secret } = created.body;
    expect(secret).toMatch(/^kite_[0-9A-Za-z]{43}$/);
    expect(key).toEqual({
      id: expect.any(String),
      name: 'scanner',
      scopes: ['documents:write'],
      prefix: secret.slice(0, 8),
      createdAt: expect.any(String),
      expiresAt: '2098-12-31T23:00:00.000Z',
      lastUsedAt: null,
    });
    const listed = await keys(token, 'GET', '/api/keys');
    expect(listed.body).toEqual({ keys: [key] });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const me = await call(meHandler, { token: secret });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(userId);
  });

  it('an expiresAt of null, as answers show it, is a key that never expires', async () => {
    const { token } = await newUser();
    const created = await keys(token, 'POST', '/api/keys', {
      body: { name: 'forever', scopes: ['topics:read'], expiresAt: null },
    });
    expect(created.status).toBe(201);
    expect(created.body.key.expiresAt).toBeNull();
  });

  it('lists only the caller’s keys, newest first', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const first = await newKey(alice.token, ['topics:read'], { name: 'first' });
    const second = await newKey(alice.token, ['topics:read'], { name: 'second' });
    await newKey(bob.token, ['topics:read']);

    const listed = await keys(alice.token, 'GET', '/api/keys');
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([second.id, first.id]);
  });

  const invalid: [string, unknown][] = [
    ['an empty name', { name: ' ', scopes: ['topics:read'] }],
    ['a name over 100 characters', { name: 'k'.repeat(101), scopes: ['topics:read'] }],
    ['a control character in the name', { name: 'a\u0007b', scopes: ['topics:read'] }],
    ['no scopes', { name: 'k', scopes: [] }],
    ['an unknown scope', { name: 'k', scopes: ['documents:everything'] }],
    ['a repeated scope', { name: 'k', scopes: ['topics:read', 'topics:read'] }],
    ['an expiry in the past', { name: 'k', scopes: ['topics:read'], expiresAt: '2020-01-01T00:00:00Z' }],
    ['an expiry that is no date', { name: 'k', scopes: ['topics:read'], expiresAt: 'tomorrow' }],
    ['an unknown field', { name: 'k', scopes: ['topics:read'], secret: 'kite_mine' }],
  ];
  for (const [name, body] of invalid) {
    it(`refuses ${name} with a 400 and creates nothing`, async () => {
      const { token, userId } = await newUser();
      const result = await keys(token, 'POST', '/api/keys', { body });
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      expect(await db().selectFrom('api_keys').select('id').where('user_id', '=', userId).execute()).toEqual(
        [],
      );
    });
  }

  it('gives the admin scope only to an admin: 403 for anyone else, and nothing is created', async () => {
    const user = await newUser();
    const refused = await keys(user.token, 'POST', '/api/keys', { body: { name: 'k', scopes: ['admin'] } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('admin'),
    });
    expect((await keys(user.token, 'GET', '/api/keys')).body.keys).toEqual([]);

    const admin = await newUser({ admin: true });
    const made = await keys(admin.token, 'POST', '/api/keys', { body: { name: 'k', scopes: ['admin'] } });
    expect(made.status).toBe(201);
  });

  it('revoking answers 204, the key is gone from the list and answers 401 from then on', async () => {
    const { token } = await newUser();
    const key = await newKey(token, ['documents:read']);
    expect((await call(meHandler, { token: key.secret })).status).toBe(200);

    expect((await keys(token, 'DELETE', `/api/keys/${key.id}`)).status).toBe(204);

    expect((await keys(token, 'GET', '/api/keys')).body.keys).toEqual([]);
    const after = await call(meHandler, { token: key.secret });
    expect(after.status).toBe(401);
    expect(after.body.error).toMatchObject({ code: 'unauthorized', message: 'Invalid API key' });
    expect((await keys(token, 'DELETE', `/api/keys/${key.id}`)).status).toBe(404);
  });

  it('another user’s key is not found, and keeps working', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const key = await newKey(alice.token, ['documents:read']);

    const result = await keys(bob.token, 'DELETE', `/api/keys/${key.id}`);
    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('not_found');
    expect((await call(meHandler, { token: key.secret })).status).toBe(200);
  });

  it('a key id that is no UUID is not found', async () => {
    const { token } = await newUser();
    expect((await keys(token, 'DELETE', '/api/keys/not-a-uuid')).status).toBe(404);
  });
});

describe('a key answers 401 alike when revoked, expired or unknown', () => {
  it('an expired key is a 401 with the same body as an unknown, a revoked and a malformed one', async () => {
    const { token } = await newUser();
    const expired = await newKey(token, ['documents:read'], {
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await db()
      .updateTable('api_keys')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', expired.id)
      .execute();
    const revoked = await newKey(token, ['documents:read']);
    await keys(token, 'DELETE', `/api/keys/${revoked.id}`);
    const unknown = `kite_${'A'.repeat(43)}`;

    const answers = await Promise.all(
      [expired.secret, revoked.secret, unknown, 'kite_short'].map((secret) =>
        call(meHandler, { token: secret }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      const { requestId: _, ...error } = answer.body.error;
      expect(error).toEqual({ code: 'unauthorized', message: 'Invalid API key' });
    }
  });

  it('a key stops working when it expires, though the instance had just accepted it', async () => {
    const { token } = await newUser();
    const expiresAt = Date.now() + 1500;
    const key = await newKey(token, ['documents:read'], { expiresAt: new Date(expiresAt).toISOString() });
    expect((await call(meHandler, { token: key.secret })).status).toBe(200);

    await sleep(expiresAt - Date.now() + 50);

    expect((await call(meHandler, { token: key.secret })).status).toBe(401);
  });

  it('a key revoked on another instance stops working on this one within 10 seconds', async () => {
    const { token } = await newUser();
    const key = await newKey(token, ['documents:read']);
    expect((await call(meHandler, { token: key.secret })).status).toBe(200);

    // Another instance revokes it: the row goes, and this instance is not told.
    await db().deleteFrom('api_keys').where('id', '=', key.id).execute();
    expect(KEY_CACHE_MS).toBeLessThanOrEqual(10_000);
    clockAhead(KEY_CACHE_MS);

    expect((await call(meHandler, { token: key.secret })).status).toBe(401);
  });
});

describe('every route declares the scope it needs, and a key without it is refused', () => {
  const authenticated = ROUTES.filter((route) => route.auth !== false);

  it('every authenticated route declares a scope (the type requires it; this catches a cast)', () => {
    expect(authenticated.filter((route) => route.scope === undefined).map(routeKey)).toEqual([]);
    expect(ROUTES.filter((route) => route.auth === false).map(routeKey)).toEqual(['GET /api/openapi.json']);
    // An admin route needs the admin scope of a key, and only admin routes do.
    for (const route of authenticated)
      expect(route.scope === 'admin', routeKey(route)).toBe(route.admin === true);
  });

  for (const route of authenticated) {
    const { scope } = route;
    if (scope === 'any') {
      it(`${routeKey(route)}: any key may call it, whatever its scopes`, async () => {
        const { token } = await newUser();
        for (const only of API_KEY_SCOPES.filter((s) => s !== 'admin')) {
          const key = await newKey(token, [only]);
          const result = await call(await handlerOf(route), requestTo(route, key.secret));
          expect(result.status, only).toBe(200);
        }
      });
      continue;
    }
    it(`${routeKey(route)}: a key without ${scope} is 403 forbidden`, async () => {
      // An admin, so only the key's scopes can be what refuses it.
      const { token } = await newUser({ admin: true });
      const key = await newKey(token, scope === 'session' ? API_KEY_SCOPES : ALL_BUT(scope));
      const result = await call(await handlerOf(route), requestTo(route, key.secret));
      expect(result.status).toBe(403);
      expect(result.body.error.code).toBe('forbidden');
    });
    if (scope === 'session') continue;
    it(`${routeKey(route)}: a key with only ${scope} gets past authorisation`, async () => {
      const { token } = await newUser({ admin: true });
      const key = await newKey(token, [scope]);
      const result = await call(await handlerOf(route), requestTo(route, key.secret));
      expect([401, 403]).not.toContain(result.status);
    });
  }
});

describe('what a key reaches', () => {
  it('a key of user A never reaches B’s documents', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const documentId = await uploadDocument(bob.token, 'bob’s letter', { filename: 'bob.txt' });
    const key = await newKey(alice.token, ['documents:read', 'documents:write']);
    const doc = (method: string, suffix = '') =>
      call(documentsHandler, { method, path: `/api/documents/${documentId}${suffix}`, token: key.secret });

    expect((await doc('GET')).status).toBe(404);
    expect((await doc('POST', '/classify')).status).toBe(404);
    expect((await doc('DELETE')).status).toBe(404);
    const list = await call(documentsHandler, { method: 'GET', path: '/api/documents', token: key.secret });
    expect(list.body.documents).toEqual([]);
    expect(
      (
        await call(documentsHandler, {
          method: 'GET',
          path: `/api/documents/${documentId}`,
          token: bob.token,
        })
      ).status,
    ).toBe(200);
  });

  it('a key uploads and lists as its user', async () => {
    const { token } = await newUser();
    const key = await newKey(token, ['documents:read', 'documents:write']);
    const documentId = await uploadDocument(key.secret, 'from a script', { filename: 'script.txt' });
    const list = await call(documentsHandler, { method: 'GET', path: '/api/documents', token });
    expect(list.body.documents.map((d: { id: string }) => d.id)).toEqual([documentId]);
  });

  it('a key cannot manage keys: creating, listing and revoking need a session', async () => {
    const { token } = await newUser();
    const key = await newKey(
      token,
      API_KEY_SCOPES.filter((s) => s !== 'admin'),
    );
    for (const [method, path, body] of [
      ['POST', '/api/keys', { name: 'minted', scopes: ['documents:read'] }],
      ['GET', '/api/keys', undefined],
      ['DELETE', `/api/keys/${key.id}`, undefined],
    ] as const) {
      const result = await keys(key.secret, method, path, body === undefined ? {} : { body });
      expect(result.status, `${method} ${path}`).toBe(403);
      expect(result.body.error.message).toContain('session');
    }
    expect((await keys(token, 'GET', '/api/keys')).body.keys).toHaveLength(1);
  });

  it('an admin key stops working for admin routes once the user’s role is no longer admin', async () => {
    const admin = await newUser({ admin: true });
    const key = await newKey(admin.token, ['admin', 'documents:read']);
    const listUsers = () =>
      call(adminUsersHandler, {
        method: 'GET',
        path: '/api/admin/users',
        token: key.secret,
        query: { limit: '1' },
      });
    expect((await listUsers()).status).toBe(200);

    // The identity provider no longer says admin: the next signed-in request stores the role it now has, and
    // every instance sees it within the key cache's lifetime (10 s at most).
    const demoted = await signDevToken(admin.userId, { admin: false });
    expect((await call(meHandler, { token: demoted })).body.role).toBe('user');
    clockAhead(KEY_CACHE_MS);

    const refused = await listUsers();
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    const me = await call(meHandler, { token: key.secret });
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('user');
  });
});

describe('what the database keeps', () => {
  it('holds no secret: no column and no dump of the table contains it', async () => {
    const { token } = await newUser();
    const key = await newKey(token, ['documents:read']);
    // Used once, so every column kite writes is filled.
    await call(meHandler, { token: key.secret });
    const hidden = key.secret.slice(8);

    const dump = await sql<{ line: string }>`select t::text as line from api_keys t`.execute(db());
    const json = await sql<{ line: string }>`select row_to_json(t)::text as line from api_keys t`.execute(
      db(),
    );
    for (const { line } of [...dump.rows, ...json.rows]) {
      expect(line).not.toContain(key.secret);
      expect(line).not.toContain(hidden);
    }
    const row = await keyRow(key.id);
    expect(row?.prefix).toBe(key.secret.slice(0, 8));
    for (const value of Object.values(row ?? {})) {
      const text = Buffer.isBuffer(value)
        ? `${value.toString('hex')} ${value.toString('utf8')}`
        : String(value);
      expect(text).not.toContain(hidden);
    }
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const { token } = await newUser();
    const key = await newKey(token, ['documents:read']);
    const version = async () =>
      (
        await sql<{ xmin: string; last_used_at: Date | null }>`
          select xmin::text, last_used_at from api_keys where id = ${key.id}`.execute(db())
      ).rows[0];
    expect((await version())?.last_used_at).toBeNull();

    await call(meHandler, { token: key.secret });
    const first = await version();
    expect(first?.last_used_at).toBeInstanceOf(Date);
    await Promise.all(Array.from({ length: 5 }, () => call(meHandler, { token: key.secret })));
    // xmin changes with every write of the row: none happened.
    expect(await version()).toEqual(first);

    await sql`update api_keys set last_used_at = now() - interval '61 seconds' where id = ${key.id}`.execute(
      db(),
    );
    const before = Date.now();
    clockAhead(KEY_CACHE_MS); // past this instance's memory of the key, so it looks it up again
    await call(meHandler, { token: key.secret });
    const later = await version();
    expect(later?.last_used_at?.getTime()).toBeGreaterThan(before - 5_000);
    const listed = await keys(token, 'GET', '/api/keys');
    expect(listed.body.keys[0].lastUsedAt).toBe(later?.last_used_at?.toISOString());
  });
});
