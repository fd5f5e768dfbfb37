// A specification over 300 lines on purpose: Uppy driving kite's uploads in Chromium, single PUT and multipart; each case sets up its own data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { build, type Plugin } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as confirmHandler } from '../../functions/confirm.js';
import { handler as multipartHandler } from '../../functions/multipart.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { createS3Client } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { type HttpApi, startHttpApi } from '../helpers/http-api.js';
import { newUser, type TestUser } from '../helpers/users.js';

/*
 * docs/api.md "In a browser: Uppy": current Uppy with the documented glue, in Debian's headless Chromium, on a page served
 * from another origin than the API and the bucket. S3 sits behind a counting proxy, so the test sees what S3 was
 * actually sent. The API is the handlers behind a small HTTP front that routes and answers CORS as API Gateway
 * does (tests/helpers/http-api.ts).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MiB = 1024 * 1024;
const REPO = join(__dirname, '..', '..');

/**
 * Before the functions load (tests/helpers/env.ts): the page's origin, a bucket of this file's own whose CORS allows
 * it, and S3 behind the counting proxy, since kite signs for the proxy and the browser goes through it. The page's
 * script is bundled in beforeAll, before any test opens the page.
 */
const { proxy, pageServer, pageOrigin, pageScript } = await vi.hoisted(async () => {
  const { createServer } = await import('node:http');
  const { startCountingProxy } = await import('../helpers/counting-proxy.js');
  const { ensureBucket } = await import('../../local/bucket.js');
  const pageScript = { text: '' };
  const pageServer = createServer((req, res) => {
    if (req.url?.startsWith('/page.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(pageScript.text);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/page.js"></script>');
    }
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  const pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
  const proxy = await startCountingProxy(process.env.AWS_ENDPOINT_URL_S3 ?? '');
  const bucket = `kite-browser-${process.pid}`;
  await ensureBucket({
    endpoint: process.env.AWS_ENDPOINT_URL_S3 ?? '',
    region: process.env.AWS_REGION ?? 'us-east-1',
    bucket,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    allowedOrigins: [pageOrigin],
  });
  (await import('../helpers/env.js')).configure({
    S3_BUCKET: bucket,
    AWS_ENDPOINT_URL_S3: proxy.url,
    MAX_UPLOAD_BYTES: String(64 * 1024 ** 2),
    DEFAULT_QUOTA_BYTES: String(256 * 1024 ** 2),
  });
  return { proxy, pageServer, pageOrigin, pageScript };
});
let api: HttpApi;
let profile = '';
let browser: BrowserContext;
let page: Page;
let user: TestUser;

/** The code block under `<!-- uppy-glue` in docs/api.md, as the module `kite:readme-glue`. */
function readmeGlue(): Plugin {
  const readme = readFileSync(join(REPO, 'docs', 'api.md'), 'utf8');
  const marker = readme.indexOf('<!-- uppy-glue');
  if (marker < 0) throw new Error('docs/api.md has no <!-- uppy-glue block: the browser test bundles it');
  const start = readme.indexOf('```js\n', marker) + '```js\n'.length;
  const code = readme.slice(start, readme.indexOf('```', start));
  return {
    name: 'readme-glue',
    setup(b) {
      b.onResolve({ filter: /^kite:readme-glue$/ }, () => ({ path: 'glue.js', namespace: 'readme' }));
      b.onLoad({ filter: /.*/, namespace: 'readme' }, () => ({
        contents: code,
        loader: 'js',
        resolveDir: REPO,
      }));
    },
  };
}

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(REPO, 'tests/browser/page.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    plugins: [readmeGlue()],
  });
  return result.outputFiles[0]?.text ?? '';
}

beforeAll(async () => {
  pageScript.text = await bundlePage();
  api = await startHttpApi(
    {
      'POST /api/documents/upload-url': uploadUrlHandler,
      'POST /api/documents/multipart': multipartHandler,
      'POST /api/documents/{id}/multipart/sign': multipartHandler,
      'POST /api/documents/{id}/confirm': confirmHandler,
    },
    [pageOrigin],
  );
  profile = mkdtempSync(join(tmpdir(), 'kite-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  user = await newUser({ label: 'browser' });
  await page.goto(`${pageOrigin}/?${new URLSearchParams({ api: api.url, token: user.token })}`);
  await page.waitForFunction(() => 'kite' in globalThis);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([api?.stop(), proxy.stop(), new Promise((r) => pageServer.close(r))]);
  if (profile) rmSync(profile, { recursive: true, force: true });
  await closeDb();
});

/** Runs `fn` in the page with `arg`; the page's `window.kite` is tests/browser/page.js. */
function inPage<T>(fn: (arg: any) => T, arg?: unknown): Promise<T> {
  return page.evaluate(fn as any, arg) as Promise<T>;
}

async function waitInPage(fn: (arg: any) => unknown, arg?: unknown): Promise<void> {
  await page.waitForFunction(fn as any, arg, { timeout: 60_000, polling: 100 });
}

/** Waits until the glue's confirm went through: the document is `uploaded` with its real size. */
async function confirmedDocument(key: string) {
  const id = key.split('/')[2] ?? '';
  for (let i = 0; i < 300; i++) {
    const row = await db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && row.status !== 'pending') return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  const state = await inPage(() => (globalThis as any).kite);
  throw new Error(`document ${id} was never confirmed; the page: ${JSON.stringify(state)}`);
}

async function uploadedKey(fileId: string): Promise<string> {
  await waitInPage(
    (id) =>
      (globalThis as any).kite.uploaded.some(([f]: string[]) => f === id) ||
      (globalThis as any).kite.errors.length,
    fileId,
  );
  const errors = await inPage(() => (globalThis as any).kite.errors);
  expect(errors).toEqual([]);
  const uploaded = await inPage<string[][]>(() => (globalThis as any).kite.uploaded);
  return uploaded.find(([f]) => f === fileId)?.[1] ?? '';
}

/** The part PUTs S3 answered 200 for, under this key: part number → how many times. */
function partPuts(key: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of proxy.requests) {
    if (r.method !== 'PUT' || !r.query.has('partNumber') || r.status !== 200) continue;
    if (decodeURIComponent(r.path) !== `/${config().S3_BUCKET}/${key}`) continue;
    const n = Number(r.query.get('partNumber'));
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

describe('Uppy 6 in Chromium, through the documented glue', () => {
  it('uploads a small file by single PUT and a file of several parts by multipart, both confirmed', async () => {
    const small = await inPage(() => (globalThis as any).kite.add('small.txt', 1000));
    const large = await inPage(() => (globalThis as any).kite.add('large.txt', 12 * 2 ** 20));
    await inPage(() => (globalThis as any).kite.upload());
    const [smallKey, largeKey] = [await uploadedKey(small), await uploadedKey(large)];

    expect((await confirmedDocument(smallKey)).size_bytes).toBe(1000);
    expect((await confirmedDocument(largeKey)).size_bytes).toBe(12 * MiB);
    expect(smallKey).toMatch(new RegExp(`^users/${user.userId}/[0-9a-f-]{36}/small.txt$`));
    const singlePuts = proxy.requests.filter(
      (r) => r.method === 'PUT' && r.path.endsWith('/small.txt') && !r.query.has('partNumber'),
    );
    expect(singlePuts.map((r) => r.status)).toEqual([200]);
    expect([...partPuts(largeKey).entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  }, 120_000);

  it('resumes an interrupted multipart upload without sending S3 the parts it already holds', async () => {
    const id = await inPage(() => {
      const kite = (globalThis as any).kite;
      const fileId = kite.add('resumed.txt', 16 * 2 ** 20 + 3);
      kite.pauseAfterPart.set(fileId, 2);
      kite.upload();
      return fileId;
    });
    await waitInPage(
      (fileId) => (globalThis as any).kite.parts.some(([f, n]: [string, number]) => f === fileId && n === 2),
      id,
    );
    const listsBefore = proxy.requests.filter((r) => r.method === 'GET' && r.query.has('uploadId')).length;
    await inPage((fileId) => (globalThis as any).kite.resume(fileId), id);
    const key = await uploadedKey(id);

    expect((await confirmedDocument(key)).size_bytes).toBe(16 * MiB + 3);
    // Resuming asked S3 which parts it holds (ListParts), then sent only the others: every part exactly once.
    const lists = proxy.requests.filter((r) => r.method === 'GET' && r.query.has('uploadId'));
    expect(lists.length).toBeGreaterThan(listsBefore);
    expect([...partPuts(key).entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  }, 120_000);

  it('survives the network going away mid-part: back online, it sends only what S3 does not hold', async () => {
    const isPart2 = (r: { method: string; path: string; query: URLSearchParams }) =>
      r.method === 'PUT' && r.path.endsWith('/offline.txt') && r.query.get('partNumber') === '2';
    const cut = proxy.holdNext(isPart2);
    const id = await inPage(() => {
      const kite = (globalThis as any).kite;
      const fileId = kite.add('offline.txt', 16 * 2 ** 20 + 3);
      kite.upload();
      return fileId;
    });
    await cut.held;
    // The page goes offline and the connection carrying part 2 drops; Uppy waits for the network.
    await browser.setOffline(true);
    cut.drop();
    await waitInPage(() => (globalThis as any).kite.wentOffline > 0);
    await browser.setOffline(false);
    const key = await uploadedKey(id);

    expect((await confirmedDocument(key)).size_bytes).toBe(16 * MiB + 3);
    expect([...partPuts(key).entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    // Part 2 went twice (S3 never answered the first, cut off); part 1, which S3 held, once.
    expect(proxy.requests.filter(isPart2).map((r) => r.status)).toEqual([0, 200]);
  }, 120_000);

  it('aborts a multipart upload when the file is removed, leaving no upload in S3', async () => {
    const id = await inPage(() => {
      const kite = (globalThis as any).kite;
      const fileId = kite.add('dropped.txt', 12 * 2 ** 20);
      kite.removeAfterPart.set(fileId, 1);
      kite.upload();
      return fileId;
    });
    await waitInPage((fileId) => (globalThis as any).kite.parts.some(([f]: string[]) => f === fileId), id);
    const create = proxy.requests.find(
      (r) => r.method === 'POST' && r.path.endsWith('/dropped.txt') && r.query.has('uploads'),
    );
    const key = decodeURIComponent(create?.path ?? '')
      .split('/')
      .slice(2)
      .join('/');
    for (let i = 0; i < 300 && !proxy.requests.some((r) => r.method === 'DELETE' && r.status === 204); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const abort = proxy.requests.find((r) => r.method === 'DELETE' && r.path.endsWith('/dropped.txt'));
    expect(abort?.status).toBe(204);
    const s3 = await createS3Client(config());
    try {
      const open = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: config().S3_BUCKET, Prefix: key }),
      );
      expect(open.Uploads ?? []).toEqual([]);
    } finally {
      s3.destroy();
    }
    // kite is not told: the document stays pending until the purge.
    const row = await db()
      .selectFrom('documents')
      .selectAll()
      .where('storage_key', '=', key)
      .executeTakeFirst();
    expect(row?.status).toBe('pending');
  }, 120_000);
});
