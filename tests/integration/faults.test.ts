// A specification over 300 lines on purpose: what each dependency's fault (S3, SQS, the database) leaves behind; each case sets up its own data.
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { handler as confirmHandler } from '../../functions/confirm.js';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as meHandler } from '../../functions/me.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { closeDb } from '../../lib/platform/db/client.js';
import { type CallResult, call } from '../helpers/api.js';
import type { FaultMode, FaultProxy } from '../helpers/fault-proxy.js';
import { inspectState, type StateInspector } from '../helpers/invariants.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser, type TestUser } from '../helpers/users.js';

/*
 * Every dependency of this file's worker (Postgres, S3, SQS) sits behind a fault proxy of its own, set up before the
 * functions load (tests/helpers/env.ts). The timeouts are shorter than the defaults so that each hang surfaces
 * within a few seconds; the function's timeout is FUNCTION_MS.
 */
const direct = inject('testEnv');
const env = (name: string): string => {
  const value = direct[name];
  if (!value) throw new Error(`the suite's environment has no ${name}`);
  return value;
};
const proxies = await vi.hoisted(async () => {
  const { inject } = await import('vitest');
  const { startFaultProxy, targetOf, throughProxy } = await import('../helpers/fault-proxy.js');
  const {
    DATABASE_URL = '',
    AWS_ENDPOINT_URL_S3 = '',
    AWS_ENDPOINT_URL_SQS = '',
    CLASSIFY_QUEUE_URL = '',
    EXTRACT_QUEUE_URL = '',
  } = inject('testEnv');
  const proxies = {
    postgres: await startFaultProxy(targetOf(DATABASE_URL)),
    s3: await startFaultProxy(targetOf(AWS_ENDPOINT_URL_S3)),
    sqs: await startFaultProxy(targetOf(AWS_ENDPOINT_URL_SQS)),
  };
  (await import('../helpers/env.js')).configure({
    DATABASE_URL: throughProxy(DATABASE_URL, proxies.postgres),
    AWS_ENDPOINT_URL_S3: proxies.s3.url,
    AWS_ENDPOINT_URL_SQS: proxies.sqs.url,
    // The SDK sends to the queue URL's host: it goes through the proxy too.
    CLASSIFY_QUEUE_URL: throughProxy(CLASSIFY_QUEUE_URL, proxies.sqs),
    EXTRACT_QUEUE_URL: throughProxy(EXTRACT_QUEUE_URL, proxies.sqs),
    DB_POOL_MAX: '4',
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_STATEMENT_TIMEOUT_MS: '1000',
    AWS_CONNECT_TIMEOUT_MS: '500',
    AWS_REQUEST_TIMEOUT_MS: '1500',
    AWS_MAX_ATTEMPTS: '3',
  });
  return proxies;
});

beforeAll(async () => {
  state = await inspectState();
});

/** The Lambda timeout these calls run under; dependency calls stop 2 s before it (500 ms + 1.5 s statement). */
const FUNCTION_MS = 5_000;

let state: StateInspector;
// Every user a test makes here: afterAll checks their state against the invariants.
const users: string[] = [];

async function checkedUser(): Promise<TestUser> {
  const user = await newUser({ label: 'faults' });
  users.push(user.userId);
  return user;
}

/** Calls and measures, with the function's timeout counting down. */
async function timed<T>(run: () => Promise<CallResult<T>>): Promise<CallResult<T> & { ms: number }> {
  const started = Date.now();
  const result = await run();
  return { ...result, ms: Date.now() - started };
}

function documentCall(
  token: string,
  method: string,
  id: string,
  suffix = '',
  query?: Record<string, string>,
) {
  return call(documentsHandler, {
    method,
    path: `/api/documents/${id}${suffix}`,
    token,
    timeoutMs: FUNCTION_MS,
    ...(query ? { query } : {}),
  });
}

async function row(id: string) {
  const { rows } = await directPool.query<{ status: string; size_bytes: number | null }>(
    'select status, size_bytes::int as size_bytes from documents where id = $1',
    [id],
  );
  return rows[0];
}

// Read past the proxies, so a fault in front of Postgres does not hide the state.
const directPool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 2 });

async function usedBytes(userId: string): Promise<number> {
  const { rows } = await directPool.query<{ used_bytes: string }>(
    'select used_bytes from quotas where user_id = $1',
    [userId],
  );
  return Number(rows[0]?.used_bytes);
}

/** What an abandoned handler would need to do harm: time, and its held requests delivered. */
async function resumeAndSettle(proxy: FaultProxy): Promise<void> {
  proxy.setMode('pass');
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}

async function pendingUpload(token: string, content = 'hello') {
  const ticket = await requestUpload(token, { size: Buffer.byteLength(content) });
  await putBytes(ticket, content);
  return ticket.document.id;
}

async function confirmedUpload(token: string, content = 'hello') {
  const id = await pendingUpload(token, content);
  const result = await confirm(token, id);
  expect(result.status).toBe(200);
  return id;
}

const unavailable = {
  error: { code: 'unavailable', message: expect.any(String), requestId: expect.any(String) },
};

beforeEach(() => {
  for (const proxy of Object.values(proxies)) proxy.setMode('pass');
});

afterAll(async () => {
  expect(await state.violations(users)).toEqual([]);
  await closeDb();
  await state.close();
  await directPool.end();
  await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
});

const HTTP_FAULTS: FaultMode[] = ['hang', 'reset', 'http503'];

describe.each(HTTP_FAULTS)('S3 that does %s', (fault) => {
  it('confirm answers 503 within the function timeout and the document stays pending, uncounted', async () => {
    const { userId, token } = await checkedUser();
    const id = await pendingUpload(token);

    proxies.s3.setMode(fault);
    const result = await timed(() =>
      call(confirmHandler, {
        method: 'POST',
        path: `/api/documents/${id}/confirm`,
        params: { id },
        token,
        timeoutMs: FUNCTION_MS,
      }),
    );

    expect(result.status).toBe(503);
    expect(result.body).toEqual(unavailable);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.s3);
    expect(await row(id)).toMatchObject({ status: 'pending', size_bytes: null });
    expect(await usedBytes(userId)).toBe(0);
    expect(await state.violations([userId])).toEqual([]);
    // Retrying is safe, as the 503 says.
    expect((await confirm(token, id)).status).toBe(200);
    expect(await usedBytes(userId)).toBe(5);
  });

  it('DELETE (to the trash) needs no S3: 204 within the function timeout, the bytes still counted', async () => {
    const { userId, token } = await checkedUser();
    const id = await confirmedUpload(token);

    proxies.s3.setMode(fault);
    const result = await timed(() => documentCall(token, 'DELETE', id));

    expect(result.status).toBe(204);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.s3);
    expect(await row(id)).toMatchObject({ status: 'uploaded', size_bytes: 5 });
    expect(await usedBytes(userId)).toBe(5);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('DELETE ?permanent=true answers 204 within the function timeout; the object is left to the purge, tombstoned', async () => {
    const { userId, token } = await checkedUser();
    const id = await confirmedUpload(token);

    proxies.s3.setMode(fault);
    const result = await timed(() => documentCall(token, 'DELETE', id, '', { permanent: 'true' }));

    expect(result.status).toBe(204);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.s3);
    expect(await row(id)).toBeUndefined();
    expect(await usedBytes(userId)).toBe(0);
    // Whether or not a held DeleteObjects arrived late, the key is tombstoned: no object is left unowned.
    expect(await state.violations([userId])).toEqual([]);
  });
});

describe.each(HTTP_FAULTS)('SQS that does %s', (fault) => {
  it('confirm still answers the promised 200 uploaded within the function timeout', async () => {
    const { userId, token } = await checkedUser();
    const id = await pendingUpload(token, 'abcdef');

    proxies.sqs.setMode(fault);
    const result = await timed(() =>
      call(confirmHandler, {
        method: 'POST',
        path: `/api/documents/${id}/confirm`,
        params: { id },
        token,
        timeoutMs: FUNCTION_MS,
      }),
    );

    expect(result.status).toBe(200);
    expect(result.body.document.status).toBe('uploaded');
    expect(result.body.quota.usedBytes).toBe(6);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.sqs);
    expect(await row(id)).toMatchObject({ status: 'uploaded', size_bytes: 6 });
    expect(await state.violations([userId])).toEqual([]);
  });

  it('reprocess answers 503 within the function timeout; the document is uploaded, as the README says', async () => {
    const { userId, token } = await checkedUser();
    const id = await confirmedUpload(token);

    proxies.sqs.setMode(fault);
    const result = await timed(() => documentCall(token, 'POST', id, '/classify'));

    expect(result.status).toBe(503);
    expect(result.body).toEqual(unavailable);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.sqs);
    expect(await row(id)).toMatchObject({ status: 'uploaded', size_bytes: 5 });
    expect(await state.violations([userId])).toEqual([]);
  });
});

describe.each(['hang', 'reset'] as FaultMode[])('Postgres that does %s', (fault) => {
  it('answers 503 within the function timeout, and the next request gets a fresh connection', async () => {
    const { token } = await checkedUser();
    // The user row exists and the pool holds a connection, which the fault then hits.
    expect((await call(meHandler, { path: '/api/me', token, timeoutMs: FUNCTION_MS })).status).toBe(200);

    proxies.postgres.setMode(fault);
    const result = await timed(() => call(meHandler, { path: '/api/me', token, timeoutMs: FUNCTION_MS }));

    expect(result.status).toBe(503);
    expect(result.body).toEqual(unavailable);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    proxies.postgres.setMode('pass');
    expect((await call(meHandler, { path: '/api/me', token, timeoutMs: FUNCTION_MS })).status).toBe(200);
  });

  it('upload-url answers 503 within the function timeout and leaves nothing counted', async () => {
    const { userId, token } = await checkedUser();
    expect((await call(meHandler, { path: '/api/me', token })).status).toBe(200);

    proxies.postgres.setMode(fault);
    const result = await timed(() =>
      call(uploadUrlHandler, {
        method: 'POST',
        path: '/api/documents/upload-url',
        token,
        body: { filename: 'a.txt', contentType: 'text/plain', size: 3 },
        timeoutMs: FUNCTION_MS,
      }),
    );

    expect(result.status).toBe(503);
    expect(result.ms).toBeLessThan(FUNCTION_MS);
    await resumeAndSettle(proxies.postgres);
    // A statement the network held may still reach the server after kite gave up on it (docs/operations.md "Timeouts and
    // faults"): at most a pending document, which counts nothing and which the purge removes.
    const { rows } = await directPool.query('select status from documents where user_id = $1', [userId]);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
    expect(await usedBytes(userId)).toBe(0);
    expect(await state.violations([userId])).toEqual([]);
  });
});

describe('a Postgres connection cut in the middle of a query', () => {
  it('fails that request with 503, the process survives, and the next request reconnects', async () => {
    const { userId, token } = await checkedUser();
    const id = await pendingUpload(token);
    const before = proxies.postgres.connections();

    // Hold the confirm's statements in flight, then cut every connection under them.
    proxies.postgres.setMode('hang');
    const answer = call(confirmHandler, {
      method: 'POST',
      path: `/api/documents/${id}/confirm`,
      params: { id },
      token,
      timeoutMs: FUNCTION_MS,
    });
    await proxies.postgres.held();
    proxies.postgres.setMode('reset');
    const result = await answer;

    expect(result.status).toBe(503);
    expect(result.body).toEqual(unavailable);
    proxies.postgres.setMode('pass');
    const retried = await confirm(token, id);
    expect(retried.status).toBe(200);
    expect(proxies.postgres.connections()).toBeGreaterThan(before);
    expect(await usedBytes(userId)).toBe(5);
  });
});
