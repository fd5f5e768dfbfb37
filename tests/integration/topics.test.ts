// A specification over 300 lines on purpose: the topic routes and their isolation, user and admin side by side; each case sets up its own data.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as adminTopicsHandler } from '../../functions/admin-topics.js';
import { handler as topicsHandler } from '../../functions/topics.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { type CallOptions, call } from '../helpers/api.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);

interface Topic {
  id: string;
  name: string;
  description: string | null;
  scope: 'system' | 'user';
}

/** A name no other test (or test file: they share the database) will use. */
function uniqueName(label: string): string {
  return `${label} ${randomUUID().slice(0, 8)}`;
}

function topics(token: string, method: string, path: string, options: Omit<CallOptions, 'token'> = {}) {
  return call(topicsHandler, { method, path, token, ...options });
}

function adminTopics(token: string, method: string, path: string, options: Omit<CallOptions, 'token'> = {}) {
  return call(adminTopicsHandler, { method, path, token, ...options });
}

/** The caller's own topic, made the way a user makes one: POST /api/topics. */
async function createTopic(token: string, name: string, description?: string): Promise<Topic> {
  const result = await topics(token, 'POST', '/api/topics', { body: { name, description } });
  if (result.status !== 201) throw new Error(`POST /api/topics answered ${result.status}`);
  return result.body.topic;
}

/** A system topic, made the way an admin makes one: POST /api/admin/topics. */
async function createSystemTopic(adminToken: string, name: string): Promise<Topic> {
  const result = await adminTopics(adminToken, 'POST', '/api/admin/topics', { body: { name } });
  if (result.status !== 201) throw new Error(`POST /api/admin/topics answered ${result.status}`);
  return result.body.topic;
}

async function visibleTo(token: string): Promise<Topic[]> {
  const result = await topics(token, 'GET', '/api/topics');
  expect(result.status).toBe(200);
  return result.body.topics;
}

async function topicRow(id: string) {
  return db().selectFrom('topics').selectAll().where('id', '=', id).executeTakeFirst();
}

async function countTopicsOf(userId: string): Promise<number> {
  const row = await db()
    .selectFrom('topics')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A confirmed document of `userId` filed under `topicId`, written straight to the database. */
async function documentFiledUnder(userId: string, topicId: string): Promise<string> {
  const id = randomUUID();
  await db()
    .insertInto('documents')
    .values({
      id,
      user_id: userId,
      filename: 'filed.txt',
      content_type: 'text/plain',
      size_bytes: 0,
      storage_key: `users/${userId}/${id}/filed.txt`,
      status: 'classified',
      error: null,
    })
    .execute();
  await db()
    .insertInto('document_topics')
    .values({ document_id: id, topic_id: topicId, source: 'ai' })
    .execute();
  return id;
}

async function topicIdsOfDocument(documentId: string): Promise<string[]> {
  const rows = await db()
    .selectFrom('document_topics')
    .select('topic_id')
    .where('document_id', '=', documentId)
    .execute();
  return rows.map((row) => row.topic_id);
}

describe('a user managing their own topics', () => {
  it('creates a topic with its name normalised and answers 201 with the topic', async () => {
    const { token } = await newUser();

    const result = await topics(token, 'POST', '/api/topics', {
      body: { name: '  Home \t Office ', description: 'Rent, furniture\nand bills' },
    });

    expect(result.status).toBe(201);
    expect(result.body).toEqual({
      topic: {
        id: expect.any(String),
        name: 'Home Office',
        description: 'Rent, furniture\nand bills',
        scope: 'user',
      },
    });
    expect(await topicRow(result.body.topic.id)).toMatchObject({ name: 'Home Office' });
  });

  it('creates a topic without a description, stored as null', async () => {
    const { token } = await newUser();
    const topic = await createTopic(token, 'Receipts');
    expect(topic.description).toBeNull();
  });

  it('accepts a name of exactly 64 characters', async () => {
    const { token } = await newUser();
    const result = await topics(token, 'POST', '/api/topics', { body: { name: 'n'.repeat(64) } });
    expect(result.status).toBe(201);
  });

  it('lists its topics sorted by name case-insensitively', async () => {
    const { token } = await newUser();
    for (const name of ['cherry', 'Banana', 'apple', 'Date']) await createTopic(token, name);

    const own = (await visibleTo(token)).filter((topic) => topic.scope === 'user');

    expect(own.map((topic) => topic.name)).toEqual(['apple', 'Banana', 'cherry', 'Date']);
  });

  it('renames a topic and changes its description', async () => {
    const { token } = await newUser();
    const topic = await createTopic(token, 'Taxes', 'old');

    const renamed = await topics(token, 'PATCH', `/api/topics/${topic.id}`, {
      body: { name: '  Tax   returns ' },
    });
    const described = await topics(token, 'PATCH', `/api/topics/${topic.id}`, {
      body: { description: 'new' },
    });

    expect(renamed.status).toBe(200);
    expect(renamed.body.topic).toEqual({
      id: topic.id,
      name: 'Tax returns',
      description: 'old',
      scope: 'user',
    });
    expect(described.body.topic).toEqual({
      id: topic.id,
      name: 'Tax returns',
      description: 'new',
      scope: 'user',
    });
  });

  it('clears a description with null or a blank string', async () => {
    const { token } = await newUser();
    const first = await createTopic(token, 'One', 'text');
    const second = await createTopic(token, 'Two', 'text');

    const nulled = await topics(token, 'PATCH', `/api/topics/${first.id}`, { body: { description: null } });
    const blanked = await topics(token, 'PATCH', `/api/topics/${second.id}`, { body: { description: '  ' } });

    expect(nulled.body.topic.description).toBeNull();
    expect(blanked.body.topic.description).toBeNull();
  });

  it('may change only the case of a name (it does not collide with itself)', async () => {
    const { token } = await newUser();
    const topic = await createTopic(token, 'taxes');

    const result = await topics(token, 'PATCH', `/api/topics/${topic.id}`, { body: { name: 'Taxes' } });

    expect(result.status).toBe(200);
    expect(result.body.topic.name).toBe('Taxes');
  });

  it('deletes a topic: 204, then it is gone', async () => {
    const { token } = await newUser();
    const topic = await createTopic(token, 'Temporary');

    const result = await topics(token, 'DELETE', `/api/topics/${topic.id}`);

    expect(result.status).toBe(204);
    expect(result.body).toBeUndefined();
    expect(await topicRow(topic.id)).toBeUndefined();
    expect((await visibleTo(token)).map((t) => t.id)).not.toContain(topic.id);
    expect((await topics(token, 'DELETE', `/api/topics/${topic.id}`)).status).toBe(404);
  });

  it('deleting a topic removes it from every document, and the documents stay', async () => {
    const { userId, token } = await newUser();
    const doomed = await createTopic(token, 'Doomed');
    const kept = await createTopic(token, 'Kept');
    const first = await documentFiledUnder(userId, doomed.id);
    const second = await documentFiledUnder(userId, doomed.id);
    await db()
      .insertInto('document_topics')
      .values({ document_id: first, topic_id: kept.id, source: 'user' })
      .execute();

    expect((await topics(token, 'DELETE', `/api/topics/${doomed.id}`)).status).toBe(204);

    expect(await topicIdsOfDocument(first)).toEqual([kept.id]);
    expect(await topicIdsOfDocument(second)).toEqual([]);
    const documents = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(documents).toHaveLength(2);
  });
});

describe('duplicate names in one namespace', () => {
  it('a name already used, in any case or spacing, is 409 conflict and nothing is written', async () => {
    const { userId, token } = await newUser();
    await createTopic(token, 'Travel');

    for (const name of ['Travel', 'travel', '  TRAVEL  ', 'tRaVeL']) {
      const result = await topics(token, 'POST', '/api/topics', { body: { name } });
      expect(result.status).toBe(409);
      expect(result.body).toEqual({
        error: { code: 'conflict', message: expect.any(String), requestId: expect.any(String) },
      });
    }
    expect(await countTopicsOf(userId)).toBe(1);
  });

  it('10 concurrent creates of one name give exactly one 201 and nine 409', async () => {
    const { userId, token } = await newUser();
    const names = [
      'Taxes',
      'taxes',
      ' TAXES ',
      'Taxes',
      'TAXES',
      'taxes ',
      'Taxes',
      'tAxEs',
      'taxes',
      'Taxes\t',
    ];

    const results = await Promise.all(
      names.map((name) => topics(token, 'POST', '/api/topics', { body: { name } })),
    );

    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const conflicts = results.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(9);
    for (const r of conflicts) expect(r.body.error.code).toBe('conflict');
    expect(await countTopicsOf(userId)).toBe(1);
  });

  it('renaming onto a name already used is 409 and the topic keeps its name', async () => {
    const { token } = await newUser();
    await createTopic(token, 'Invoices');
    const other = await createTopic(token, 'Bills');

    const result = await topics(token, 'PATCH', `/api/topics/${other.id}`, { body: { name: 'INVOICES' } });

    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('conflict');
    expect((await topicRow(other.id))?.name).toBe('Bills');
  });

  it('two users may each have a topic of the same name', async () => {
    const a = await newUser();
    const b = await newUser();
    await createTopic(a.token, 'Health');
    const result = await topics(b.token, 'POST', '/api/topics', { body: { name: 'health' } });
    expect(result.status).toBe(201);
  });
});

describe("one user's topics are invisible to another", () => {
  it('B never sees, edits or deletes A’s topic by id: 404, and it stays untouched', async () => {
    const a = await newUser();
    const b = await newUser();
    const topic = await createTopic(a.token, 'Private', 'mine');

    const patched = await topics(b.token, 'PATCH', `/api/topics/${topic.id}`, { body: { name: 'Stolen' } });
    const deleted = await topics(b.token, 'DELETE', `/api/topics/${topic.id}`);

    for (const result of [patched, deleted]) {
      expect(result.status).toBe(404);
      expect(result.body).toEqual({
        error: { code: 'not_found', message: expect.any(String), requestId: expect.any(String) },
      });
    }
    expect((await visibleTo(b.token)).map((t) => t.id)).not.toContain(topic.id);
    expect(await topicRow(topic.id)).toMatchObject({
      user_id: a.userId,
      name: 'Private',
      description: 'mine',
    });
    expect((await visibleTo(a.token)).map((t) => t.id)).toContain(topic.id);
  });

  it('the 404 for another user’s topic is the same as for an id that never existed', async () => {
    const a = await newUser();
    const b = await newUser();
    const topic = await createTopic(a.token, 'Secret');

    const theirs = await topics(b.token, 'DELETE', `/api/topics/${topic.id}`);
    const nobodys = await topics(b.token, 'DELETE', `/api/topics/${randomUUID()}`);

    // Identical but for the id of the invocation each answer names.
    const sameness = (answer: typeof theirs) => {
      const { requestId, ...error } = answer.body.error;
      const { 'x-request-id': header, ...headers } = answer.headers;
      expect(requestId).toBe(header);
      return { status: answer.status, error, headers };
    };
    expect(sameness(theirs)).toEqual(sameness(nobodys));
  });

  it('unknown and malformed ids are 404', async () => {
    const { token } = await newUser();
    for (const id of [randomUUID(), 'not-a-uuid', "1' or '1'='1", '%E0%A4%A']) {
      const patched = await topics(token, 'PATCH', `/api/topics/${id}`, { body: { name: 'x' } });
      const deleted = await topics(token, 'DELETE', `/api/topics/${id}`);
      expect(patched.status).toBe(404);
      expect(deleted.status).toBe(404);
      expect(deleted.body.error.code).toBe('not_found');
    }
  });
});

describe('system topics seen by users', () => {
  it('every user sees a system topic, with scope system', async () => {
    const admin = await newUser({ admin: true });
    const a = await newUser();
    const b = await newUser();
    const system = await createSystemTopic(admin.token, uniqueName('Finance'));

    for (const user of [a, b]) {
      expect(await visibleTo(user.token)).toContainEqual({ ...system, scope: 'system' });
    }
  });

  it('a user cannot PATCH or DELETE a system topic: 403 forbidden, and it stays untouched', async () => {
    const admin = await newUser({ admin: true });
    const user = await newUser();
    const system = await createSystemTopic(admin.token, uniqueName('Legal'));

    const patched = await topics(user.token, 'PATCH', `/api/topics/${system.id}`, {
      body: { name: 'Mine now' },
    });
    const deleted = await topics(user.token, 'DELETE', `/api/topics/${system.id}`);

    for (const result of [patched, deleted]) {
      expect(result.status).toBe(403);
      expect(result.body).toEqual({
        error: { code: 'forbidden', message: expect.any(String), requestId: expect.any(String) },
      });
    }
    expect(await topicRow(system.id)).toMatchObject({ user_id: null, name: system.name });
  });

  it('a user topic of the same name overrides the system topic for that user only', async () => {
    const admin = await newUser({ admin: true });
    const a = await newUser();
    const b = await newUser();
    const name = uniqueName('Insurance');
    const system = await createSystemTopic(admin.token, name);

    const override = await topics(a.token, 'POST', '/api/topics', {
      body: { name: ` ${name.toUpperCase()} ` },
    });

    expect(override.status).toBe(201);
    const seenByA = await visibleTo(a.token);
    expect(seenByA.map((t) => t.id)).toContain(override.body.topic.id);
    expect(seenByA.map((t) => t.id)).not.toContain(system.id);
    const seenByB = await visibleTo(b.token);
    expect(seenByB.map((t) => t.id)).toContain(system.id);
    expect(seenByB.map((t) => t.id)).not.toContain(override.body.topic.id);
  });

  it('deleting the override brings the system topic back into view', async () => {
    const admin = await newUser({ admin: true });
    const user = await newUser();
    const name = uniqueName('Pets');
    const system = await createSystemTopic(admin.token, name);
    const override = await createTopic(user.token, name);

    await topics(user.token, 'DELETE', `/api/topics/${override.id}`);

    expect((await visibleTo(user.token)).map((t) => t.id)).toContain(system.id);
  });
});

describe('topic bodies are validated: 400 validation_error, nothing written', () => {
  const bad: { name: string; body?: unknown; rawBody?: string }[] = [
    { name: 'a name of only whitespace', body: { name: ' \t\n ' } },
    { name: 'an empty name', body: { name: '' } },
    { name: 'a 65-character name', body: { name: 'a'.repeat(65) } },
    { name: 'a NUL in the name', body: { name: 'a\u0000b' } },
    { name: 'a BEL in the name', body: { name: 'a\u0007' } },
    { name: 'an escape sequence in the name', body: { name: '\u001b[2Jwiped' } },
    { name: 'a numeric name', body: { name: 42 } },
    { name: 'a null name', body: { name: null } },
    { name: 'an array name', body: { name: [] } },
    { name: 'a missing name', body: { description: 'no name' } },
    { name: 'a 501-character description', body: { name: 'Ok', description: 'd'.repeat(501) } },
    { name: 'a numeric description', body: { name: 'Ok', description: 42 } },
    { name: 'a NUL in the description', body: { name: 'Ok', description: 'a\u0000' } },
    { name: 'an unknown field', body: { name: 'Ok', userId: null } },
    { name: 'a scope field', body: { name: 'Ok', scope: 'system' } },
    { name: 'a JSON array', body: [{ name: 'Ok' }] },
    { name: 'malformed JSON', rawBody: '{"name": "Ok",' },
    { name: 'an empty body', rawBody: '' },
  ];

  for (const c of bad) {
    it(`POST /api/topics with ${c.name}`, async () => {
      const { userId, token } = await newUser();
      await visibleTo(token);
      const before = await countTopicsOf(userId);

      const result = await topics(
        token,
        'POST',
        '/api/topics',
        c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody },
      );

      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      if (c.rawBody === undefined && !Array.isArray(c.body)) {
        expect(result.body.error.details.length).toBeGreaterThan(0);
      }
      expect(await countTopicsOf(userId)).toBe(before);
    });
  }

  for (const c of [
    ...bad.filter((b) => b.name !== 'a missing name'),
    { name: 'an empty object', body: {} },
  ]) {
    it(`PATCH /api/topics/{id} with ${c.name} leaves the topic as it was`, async () => {
      const { token } = await newUser();
      const topic = await createTopic(token, 'Unchanged', 'as before');

      const result = await topics(
        token,
        'PATCH',
        `/api/topics/${topic.id}`,
        c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody },
      );

      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      expect(await topicRow(topic.id)).toMatchObject({ name: 'Unchanged', description: 'as before' });
    });
  }

  it('the details name the field and the rule', async () => {
    const { token } = await newUser();
    const result = await topics(token, 'POST', '/api/topics', { body: { name: 'a'.repeat(65) } });
    expect(result.body.error.details).toEqual([
      { path: 'name', message: 'name must be at most 64 characters' },
    ]);
  });
});

describe('/api/admin/topics manages system topics', () => {
  it('an admin creates, lists, renames and deletes a system topic', async () => {
    const admin = await newUser({ admin: true });
    const name = uniqueName('Science');

    const created = await adminTopics(admin.token, 'POST', '/api/admin/topics', {
      body: { name: ` ${name} `, description: 'Papers' },
    });
    expect(created.status).toBe(201);
    expect(created.body.topic).toEqual({
      id: expect.any(String),
      name,
      description: 'Papers',
      scope: 'system',
    });
    const id = created.body.topic.id;
    expect(await topicRow(id)).toMatchObject({ user_id: null });

    const listed = await adminTopics(admin.token, 'GET', '/api/admin/topics');
    expect(listed.status).toBe(200);
    expect(listed.body.topics).toContainEqual(created.body.topic);
    for (const topic of listed.body.topics) expect(topic.scope).toBe('system');

    const renamed = await adminTopics(admin.token, 'PATCH', `/api/admin/topics/${id}`, {
      body: { name: `${name} 2`, description: null },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.topic).toEqual({ id, name: `${name} 2`, description: null, scope: 'system' });

    const deleted = await adminTopics(admin.token, 'DELETE', `/api/admin/topics/${id}`);
    expect(deleted.status).toBe(204);
    expect(await topicRow(id)).toBeUndefined();
  });

  it('the admin list holds no user topics, not even the admin’s own', async () => {
    const admin = await newUser({ admin: true });
    const own = await createTopic(admin.token, uniqueName('Admin private'));

    const listed = await adminTopics(admin.token, 'GET', '/api/admin/topics');

    expect(listed.body.topics.map((t: Topic) => t.id)).not.toContain(own.id);
  });

  it('a duplicate system name is 409', async () => {
    const admin = await newUser({ admin: true });
    const name = uniqueName('Music');
    await createSystemTopic(admin.token, name);

    const result = await adminTopics(admin.token, 'POST', '/api/admin/topics', {
      body: { name: name.toLowerCase() },
    });

    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('conflict');
  });

  it('an admin addressing a user’s topic through the admin routes gets 404 and it stays untouched', async () => {
    const admin = await newUser({ admin: true });
    const user = await newUser();
    const topic = await createTopic(user.token, 'Diary');

    const patched = await adminTopics(admin.token, 'PATCH', `/api/admin/topics/${topic.id}`, {
      body: { name: 'Read' },
    });
    const deleted = await adminTopics(admin.token, 'DELETE', `/api/admin/topics/${topic.id}`);

    expect(patched.status).toBe(404);
    expect(deleted.status).toBe(404);
    expect(await topicRow(topic.id)).toMatchObject({ user_id: user.userId, name: 'Diary' });
  });

  it('unknown and malformed ids are 404', async () => {
    const admin = await newUser({ admin: true });
    for (const id of [randomUUID(), 'nope']) {
      expect(
        (await adminTopics(admin.token, 'PATCH', `/api/admin/topics/${id}`, { body: { name: 'x' } })).status,
      ).toBe(404);
      expect((await adminTopics(admin.token, 'DELETE', `/api/admin/topics/${id}`)).status).toBe(404);
    }
  });

  it('names are validated as on the user routes and nothing is written', async () => {
    const admin = await newUser({ admin: true });
    const marker = uniqueName('marker');
    for (const name of ['   ', 'a'.repeat(65), 'a\u0000b', 42, null, []]) {
      const result = await adminTopics(admin.token, 'POST', '/api/admin/topics', {
        body: { name, description: marker },
      });
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
    }
    const written = await db().selectFrom('topics').select('id').where('description', '=', marker).execute();
    expect(written).toHaveLength(0);
  });

  it('deleting a system topic removes it from every user’s documents', async () => {
    const admin = await newUser({ admin: true });
    const a = await newUser();
    const b = await newUser();
    const system = await createSystemTopic(admin.token, uniqueName('Shared'));
    await visibleTo(a.token);
    await visibleTo(b.token);
    const docA = await documentFiledUnder(a.userId, system.id);
    const docB = await documentFiledUnder(b.userId, system.id);

    expect((await adminTopics(admin.token, 'DELETE', `/api/admin/topics/${system.id}`)).status).toBe(204);

    expect(await topicIdsOfDocument(docA)).toEqual([]);
    expect(await topicIdsOfDocument(docB)).toEqual([]);
    expect((await visibleTo(a.token)).map((t) => t.id)).not.toContain(system.id);
  });
});
