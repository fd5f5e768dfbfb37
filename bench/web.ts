import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { handler as documentsHandler } from '../functions/documents.js';
import { handler as meHandler } from '../functions/me.js';
import { handler as topicsHandler } from '../functions/topics.js';
import { db } from '../lib/platform/db/client.js';
import { ensureUser } from '../lib/users/users.queries.js';
import { freePort } from '../local/ports.js';
import { signDevToken } from '../local/token.js';
import { startWebFront } from '../local/web.js';
import { ensureWebBuild, WEB_DIST } from '../local/web-build.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { startHttpApi } from '../tests/helpers/http-api.js';
import type { BenchResult } from './result.js';

/**
 * The web app in headless Chromium (docs/performance.md "The web app": first screen's JavaScript ≤ 150 KB gzipped; the documents
 * screen with 1,000 documents usable within 1 s of navigation):
 * - the JavaScript the documents screen loads (every script response, gzipped at level 9 as a CDN would send it);
 * - navigation → the documents screen usable (its first page of links rendered, after /config.json, /api/me,
 *   /api/topics and /api/documents), median of 7 loads, for a user with 1,000 documents, against the floor of the
 *   same browser showing a static HTML page of 1,000 rows, measured in the same run.
 * The API is the handlers behind a small HTTP front (tests/helpers/http-api.ts) on the bench's PostgreSQL, served on
 * the same origin as the app by npm start's own front (local/web.ts).
 */
export async function benchWeb(): Promise<BenchResult> {
  ensureWebBuild((message) => console.log(`[bench] ${message}`));
  const userId = `bench-web-${randomUUID()}`;
  await ensureUser(db(), { id: userId, email: null, role: 'user' }, 1024 ** 3);
  await sql`
    insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, confirmed_at, created_at)
    select id, ${userId}, 'letter-' || n || '.pdf', 'application/pdf', 1000 + n, 'users/' || ${userId} || '/' || id || '/f.pdf',
      'classified', now(), now() - make_interval(secs => n)
    from (select gen_random_uuid() as id, n from generate_series(1, 1000) n) g
  `.execute(db());

  const api = await startHttpApi(
    {
      'GET /api/me': meHandler,
      'GET /api/topics': topicsHandler,
      'GET /api/documents': documentsHandler,
    },
    [],
  );
  const front = await startWebFront({
    port: await freePort(),
    api: api.url,
    jwtSecret: process.env.JWT_SECRET ?? '',
    bucketOrigin: process.env.AWS_ENDPOINT_URL_S3 ?? 'http://127.0.0.1:9',
  });
  const staticPage = createServer((_req, res) => {
    const rows = Array.from(
      { length: 1000 },
      (_, n) =>
        `<li><input type="checkbox" aria-label="Select letter-${n}.pdf"><a href="/d/${n}">letter-${n}.pdf</a> <span>Filed</span></li>`,
    );
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<!doctype html><title>rows</title><ul>${rows.join('')}</ul>`);
  });
  await new Promise<void>((resolve) => staticPage.listen(0, '127.0.0.1', resolve));
  const staticUrl = `http://127.0.0.1:${(staticPage.address() as AddressInfo).port}/`;

  const token = await signDevToken(userId);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    await context.addInitScript(
      (value) => (globalThis as any).sessionStorage.setItem('kite.token', value),
      token,
    );
    const page = await context.newPage();

    // The first screen's JavaScript, as the browser fetched it.
    const scripts = new Map<string, Buffer>();
    page.on('response', async (response) => {
      if (response.request().resourceType() === 'script') scripts.set(response.url(), await response.body());
    });
    await page.goto(`${front.url}/documents`);
    await page.waitForSelector('ul.documents li a');
    await page.waitForTimeout(200);
    const jsGzip = [...scripts.values()].reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
    const jsRaw = [...scripts.values()].reduce((sum, body) => sum + body.length, 0);

    const usable = async (url: string, selector: string, count: number) => {
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        await page.goto('about:blank');
        await page.goto(url);
        await page.waitForFunction(
          ([s, c]) => (globalThis as any).document.querySelectorAll(s as string).length >= (c as number),
          [selector, count],
          {
            polling: 'raf',
          },
        );
        if (i > 0) times.push(await page.evaluate(() => performance.now()));
      }
      return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
    };
    const appMs = await usable(`${front.url}/documents`, 'ul.documents li a', 50);
    const floorMs = await usable(staticUrl, 'li a', 1000);
    const distFiles = readFileSync(join(WEB_DIST, 'index.html'), 'utf8').match(/assets\/[^"]+\.js/g) ?? [];

    return {
      rows: [
        {
          part: 'web',
          case: 'first screen JavaScript, gzipped',
          rows: scripts.size,
          seconds: 0,
          msPerRow: 0,
          note: `${(jsGzip / 1024).toFixed(1)} KB gzipped (${(jsRaw / 1024).toFixed(0)} KB raw) in ${scripts.size} file(s); target ≤ 150 KB; entry ${distFiles.join(', ')}`,
        },
        {
          part: 'web',
          case: 'navigation → documents screen usable, 1,000 documents',
          rows: 1000,
          seconds: appMs / 1000,
          msPerRow: appMs / 1000,
          note: `median ${appMs.toFixed(0)} ms (target ≤ 1000 ms); a static page of 1,000 rows: ${floorMs.toFixed(0)} ms (${(appMs / floorMs).toFixed(1)}×)`,
        },
      ],
      summary: {
        firstScreenJsGzipKb: Number((jsGzip / 1024).toFixed(1)),
        documentsUsableMs: Math.round(appMs),
        staticRowsMs: Math.round(floorMs),
        ratioToStatic: Number((appMs / floorMs).toFixed(2)),
      },
    };
  } finally {
    await browser.close();
    await front.stop();
    await api.stop();
    await new Promise((resolve) => staticPage.close(resolve));
  }
}
