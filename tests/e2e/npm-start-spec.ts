// A specification over 300 lines on purpose: the npm start journey, shared by the s3rver and Ceph runs; each case sets up its own data.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLlm } from '../helpers/fake-llm.js';
import {
  completeXml,
  createMultipartUpload,
  listedParts,
  MiB,
  type MultipartTicket,
  putPart,
  type SignedRequest,
  send,
  slice,
} from '../helpers/multipart.js';
import { bootNpmStart, type NpmStart } from '../helpers/npm-start.js';
import { buildPdf } from '../helpers/pdf.js';
import { type PrismProxy, startPrismProxy } from '../helpers/prism.js';
import { renderPage, scannedPdf } from '../helpers/scans.js';
import { newUser } from '../helpers/users.js';

/**
 * Boots `npm start` as a user would (embedded Postgres, emulators, serverless offline) and walks the API, on the
 * given S3: s3rver (the default, nothing to install) or radosgw (`KITE_S3=ceph`). With `prism`, the walk goes
 * through Stoplight Prism's proxy (tests/helpers/prism.ts), and its last test asserts Prism read every answer as
 * the OpenAPI document describes it.
 */
export function describeNpmStart(s3: 's3rver' | 'ceph', options: { prism?: boolean } = {}): void {
  describe(`npm start (KITE_S3=${s3})`, () => {
    let npmStart: NpmStart;
    let prism: PrismProxy | undefined;
    /** Where the walk sends its requests: Prism's proxy when there is one, else npm start itself. */
    let api = '';
    /** npm start itself, for what a proxy would answer in its place (CORS preflights, routes it does not know). */
    let direct = '';
    let llm: FakeLlm;

    beforeAll(async () => {
      npmStart = await bootNpmStart(s3 === 'ceph' ? { KITE_S3: 'ceph' } : {});
      ({ api, llm } = npmStart);
      direct = npmStart.api;
      if (options.prism) {
        prism = await startPrismProxy(npmStart.api);
        api = prism.url;
      }
      // The only stand-in: the helper's LLM server, speaking Ollama's and OpenAI's APIs to the real clients inside
      // offline. Nothing is classified before a test uploads, so answering from here on is soon enough.
      llm.respondWith(() => JSON.stringify({ topics: ['Finance'], newTopics: ['Receipts'] }));
      console.info(`npm start printed ready after ${npmStart.readyAfterMs} ms`);
    }, 200_000);

    afterAll(async () => {
      await prism?.stop();
      await npmStart?.stop();
    }, 30_000);

    /** The document once the queue consumer has moved it past `uploaded` (or as it stands after 60 s). */
    async function awaitFiled(id: string, headers: Record<string, string>): Promise<any> {
      let document: any;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        document = ((await (await fetch(`${api}/api/documents/${id}`, { headers })).json()) as any).document;
        if (document?.status !== 'uploaded') break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return document;
    }

    it('prints the URLs of what it started and one ready line', () => {
      const output = npmStart.output();
      expect(output).toMatch(/database: postgres:\/\/\S+ \(embedded PGlite/);
      expect(output).toMatch(
        s3 === 'ceph'
          ? /S3: http:\/\/127\.0\.0\.1:\d+ \(radosgw, signatures checked/
          : /S3: http:\/\/127\.0\.0\.1:\d+ \(s3rver/,
      );
      expect(output).toMatch(/SQS: http:\/\/127\.0\.0\.1:\d+/);
      const readyLines = output.split('\n').filter((line) => /\bready\b/.test(line));
      expect(readyLines).toEqual([
        expect.stringMatching(/^\[kite\] ready: http:\/\/127\.0\.0\.1:\d+\/ \(the web app/),
      ]);
    });

    it('serves the web app on the same origin, deep links too, and tells it to sign in locally', async () => {
      for (const path of ['/', '/documents/some-id']) {
        const page = await fetch(`${npmStart.api}${path}`);
        expect(page.status).toBe(200);
        expect(await page.text()).toMatch(/<script type="module"[^>]+src="\/assets\/index-[\w-]+\.js"/);
      }
      expect(await (await fetch(`${npmStart.api}/config.json`)).json()).toEqual({
        signIn: 'local',
        signInUrl: '/local/sign-in',
      });
      expect((await fetch(`${npmStart.api}/assets/missing.js`)).status).toBe(404);
    });

    it('bundles into its own build folder', () => {
      expect(existsSync(join(npmStart.esbuildDir, '.build', 'functions', 'me.js'))).toBe(true);
    });

    it('walks upload-url → PUT → confirm over HTTP', async () => {
      const { token } = await newUser({ id: 'e2e-user', email: 'e2e@example.test' });
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const content = 'hello from the end-to-end test';

      const ticketResponse = await fetch(`${api}/api/documents/upload-url`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          filename: 'e2e.txt',
          contentType: 'text/plain',
          size: Buffer.byteLength(content),
        }),
      });
      expect(ticketResponse.status).toBe(201);
      const ticket = (await ticketResponse.json()) as any;

      const put = await fetch(ticket.upload.url, {
        method: 'PUT',
        headers: ticket.upload.headers,
        body: content,
      });
      expect(put.status).toBe(200);

      const confirmed = await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, {
        method: 'POST',
        headers: auth,
      });
      expect(confirmed.status).toBe(200);
      const body = (await confirmed.json()) as any;
      expect(body.document).toMatchObject({ status: 'uploaded', sizeBytes: Buffer.byteLength(content) });
      expect(body.quota.usedBytes).toBe(Buffer.byteLength(content));

      const me = (await (await fetch(`${api}/api/me`, { headers: auth })).json()) as any;
      expect(me).toMatchObject({
        id: 'e2e-user',
        email: 'e2e@example.test',
        quota: { usedBytes: Buffer.byteLength(content) },
      });
    });

    if (s3 === 'ceph') {
      it('refuses a PUT of more bytes than upload-url signed, and confirm finds nothing', async () => {
        const auth = {
          authorization: `Bearer ${(await newUser({ id: 'e2e-strict' })).token}`,
          'content-type': 'application/json',
        };
        const ticket = (await (
          await fetch(`${api}/api/documents/upload-url`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ filename: 'small.txt', contentType: 'text/plain', size: 5 }),
          })
        ).json()) as any;

        const put = await fetch(ticket.upload.url, {
          method: 'PUT',
          headers: { 'Content-Type': 'text/plain' },
          body: 'far more than five bytes',
        });
        expect(put.status).toBe(403);
        const confirmed = await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, {
          method: 'POST',
          headers: auth,
        });
        expect(confirmed.status).toBe(409);
        expect(((await confirmed.json()) as any).error.code).toBe('upload_missing');
      });
    }

    it('files an upload under topics through the queue, with no manual step', async () => {
      const admin = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-admin', admin: true })).token}`,
        'content-type': 'application/json',
      };
      const user = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-filer' })).token}`,
        'content-type': 'application/json',
      };
      const topic = await fetch(`${api}/api/admin/topics`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: 'Finance', description: 'Money matters' }),
      });
      expect(topic.status).toBe(201);

      const content = 'Invoice 2026-001: 3 widgets, total EUR 120.00';
      const ticket = (await (
        await fetch(`${api}/api/documents/upload-url`, {
          method: 'POST',
          headers: user,
          body: JSON.stringify({
            filename: 'invoice.txt',
            contentType: 'text/plain',
            size: Buffer.byteLength(content),
          }),
        })
      ).json()) as any;
      await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: content });
      const confirmed = await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, {
        method: 'POST',
        headers: user,
      });
      expect(confirmed.status).toBe(200);

      const document = await awaitFiled(ticket.document.id, user);
      expect(document.status).toBe('classified');
      expect(document.topics.map((t: any) => [t.name, t.scope, t.source]).sort()).toEqual([
        ['Finance', 'system', 'ai'],
        ['Receipts', 'user', 'ai'],
      ]);
      const sent = llm.requests.find((r) => JSON.stringify(r.messages).includes('Invoice 2026-001'));
      expect(sent?.model).toBe('llama3.2');
    }, 90_000);

    // PDF.js and the OpenAI SDK ship beside the classify bundle and load on first use (deploy/esbuild-plugins.cjs):
    // this walks both through the bundle serverless offline built, as Lambda would run it.
    it("reads a PDF and asks an OpenAI-compatible endpoint through the bundle's lazily loaded chunks", async () => {
      const admin = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-admin', admin: true })).token}`,
        'content-type': 'application/json',
      };
      const user = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-openai-user' })).token}`,
        'content-type': 'application/json',
      };
      expect((await fetch(`${api}/api/me`, { headers: user })).status).toBe(200);
      const patched = await fetch(`${api}/api/admin/users/e2e-openai-user`, {
        method: 'PATCH',
        headers: admin,
        body: JSON.stringify({ aiProvider: 'openai', aiModel: 'gpt-e2e' }),
      });
      expect(patched.status).toBe(200);

      const pdf = buildPdf([['Quarterly tax return 2026', 'Payable to the revenue office']]);
      const ticket = (await (
        await fetch(`${api}/api/documents/upload-url`, {
          method: 'POST',
          headers: user,
          body: JSON.stringify({ filename: 'tax.pdf', contentType: 'application/pdf', size: pdf.byteLength }),
        })
      ).json()) as any;
      await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: pdf });
      const confirmed = await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, {
        method: 'POST',
        headers: user,
      });
      expect(confirmed.status).toBe(200);

      const document = await awaitFiled(ticket.document.id, user);
      expect(document.status, JSON.stringify(document)).toBe('classified');
      const sent = llm.requests.find((r) => JSON.stringify(r.messages).includes('Quarterly tax return 2026'));
      expect(sent, 'the PDF text reached the LLM').toBeDefined();
      expect(sent?.api).toBe('openai');
      expect(sent?.model).toBe('gpt-e2e');
    }, 90_000);

    // The extract stage through the bundle serverless offline built (pdf.js chunk, OCR worker, canvas): issue 25's
    // done criterion, a scanned letter found by a word in its body, its text in the model's prompt, a thumbnail.
    it('reads a scanned letter with OCR: search finds a word in its body, the prompt carries it, it has a thumbnail', async () => {
      const user = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-scanner' })).token}`,
        'content-type': 'application/json',
      };
      const scan = scannedPdf([
        renderPage(['Stadtwerke Musterstadt', 'Your water meter reading is overdue']),
      ]);
      const ticket = (await (
        await fetch(`${api}/api/documents/upload-url`, {
          method: 'POST',
          headers: user,
          body: JSON.stringify({
            filename: 'scan_0042.pdf',
            contentType: 'application/pdf',
            size: scan.byteLength,
          }),
        })
      ).json()) as any;
      await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: scan });
      await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, { method: 'POST', headers: user });

      const document = await awaitFiled(ticket.document.id, user);
      expect(document, JSON.stringify(document)).toMatchObject({
        status: 'classified',
        textSource: 'ocr',
        pageCount: 1,
      });
      const thumbnail = await fetch(document.thumbnailUrl);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      const found = (await (await fetch(`${api}/api/search?q=overdue`, { headers: user })).json()) as any;
      expect(found.results.map((hit: any) => hit.document.id)).toEqual([ticket.document.id]);
      const sent = llm.requests.find((r) =>
        JSON.stringify(r.messages).includes('water meter reading is overdue'),
      );
      expect(sent, 'the OCR text reached the model').toBeDefined();
    }, 120_000);

    it('finds a document by what it says through GET /api/search, the snippet plain text with offsets', async () => {
      const user = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-searcher' })).token}`,
        'content-type': 'application/json',
      };
      const content = 'Ω note: <script>alert(1)</script> the kiwi harvest invoice, 😀 paid.';
      const ticket = (await (
        await fetch(`${api}/api/documents/upload-url`, {
          method: 'POST',
          headers: user,
          body: JSON.stringify({
            filename: 'harvest.txt',
            contentType: 'text/plain',
            size: Buffer.byteLength(content),
          }),
        })
      ).json()) as any;
      await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: content });
      await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, { method: 'POST', headers: user });
      expect((await awaitFiled(ticket.document.id, user)).status).toBe('classified');

      const response = await fetch(`${api}/api/search?q=${encodeURIComponent('"kiwi harvest" -apple')}`, {
        headers: user,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as any;
      expect(body.nextCursor).toBeNull();
      expect(body.results).toHaveLength(1);
      const [hit] = body.results;
      expect(hit.document.id).toBe(ticket.document.id);
      // An excerpt of whole words (short words at its edges are left out); markup is text.
      expect(hit.snippet).toContain('note: <script>alert(1)</script> the kiwi harvest invoice, 😀 paid');
      expect(hit.highlights.map(([s, e]: [number, number]) => hit.snippet.slice(s, e))).toEqual([
        'kiwi',
        'harvest',
      ]);
      const empty = await fetch(`${api}/api/search?q=${encodeURIComponent('-apple')}`, { headers: user });
      expect(empty.status).toBe(400);
    }, 90_000);

    it('answers unknown and retired routes with the contract 404 and bad tokens with 401', async () => {
      const settings = await fetch(`${direct}/api/settings`);
      expect(settings.status).toBe(404);
      expect(((await settings.json()) as any).error.code).toBe('not_found');
      const me = await fetch(`${api}/api/me`, { headers: { authorization: 'Bearer nope' } });
      expect(me.status).toBe(401);
      expect(((await me.json()) as any).error.code).toBe('unauthorized');
    });

    it('answers CORS preflights for browsers', async () => {
      const preflight = await fetch(`${direct}/api/documents/upload-url`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.example.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toMatch(/http:\/\/app\.example\.test|\*/);
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    });

    it('serves multipart uploads, resume and abort included, on its S3', async () => {
      const auth = {
        authorization: `Bearer ${(await newUser({ id: 'e2e-multipart' })).token}`,
        'content-type': 'application/json',
      };
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${api}${path}`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as any };
      };
      const file = Buffer.alloc(6 * MiB + 1, 3);
      const started = await post('/api/documents/multipart', {
        filename: 'big.txt',
        contentType: 'text/plain',
        size: file.length,
        partSize: 5 * MiB,
      });
      expect(started.status).toBe(201);
      const ticket = started.body as MultipartTicket;
      const id = ticket.document.id;
      const uploadId = await createMultipartUpload(ticket);
      const signParts = async (partNumbers: number[]) =>
        (
          await post(`/api/documents/${id}/multipart/sign`, {
            uploadId,
            operation: 'uploadPart',
            partNumbers,
          })
        ).body.requests as SignedRequest[];
      const signOne = async (operation: string) =>
        (await post(`/api/documents/${id}/multipart/sign`, { uploadId, operation })).body
          .requests[0] as SignedRequest;
      const [first] = await signParts([1]);
      const etags = [{ partNumber: 1, etag: await putPart(first as SignedRequest, slice(file, 5 * MiB, 1)) }];
      // Resuming: S3 says which parts it holds; only the rest is sent.
      expect(await listedParts(await signOne('listParts'))).toEqual([1]);
      const [second] = await signParts([2]);
      etags.push({ partNumber: 2, etag: await putPart(second as SignedRequest, slice(file, 5 * MiB, 2)) });
      expect((await send(await signOne('complete'), completeXml(etags))).status).toBe(200);
      const confirmed = await post(`/api/documents/${id}/confirm`, {});
      expect(confirmed.body.document).toMatchObject({ status: 'uploaded', sizeBytes: file.length });

      const dropped = (
        await post('/api/documents/multipart', {
          filename: 'gone.txt',
          contentType: 'text/plain',
          size: 6 * MiB,
        })
      ).body as MultipartTicket;
      const droppedId = await createMultipartUpload(dropped);
      const abort = await post(`/api/documents/${dropped.document.id}/multipart/sign`, {
        uploadId: droppedId,
        operation: 'abort',
      });
      expect((await send(abort.body.requests[0])).status).toBe(204);
      const list = await post(`/api/documents/${dropped.document.id}/multipart/sign`, {
        uploadId: droppedId,
        operation: 'listParts',
      });
      expect((await send(list.body.requests[0])).status).toBe(404);
    }, 60_000);

    if (options.prism) {
      it('answers, as Prism reads the OpenAPI document, only what the document describes', () => {
        // Runs last: by now the walk above went through the proxy, every route family included.
        expect(prism?.forwarded()).toBeGreaterThan(30);
        expect(prism?.responseViolations()).toEqual([]);
      });
    }
  });
}
