import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../../local/token.js';
import { freePort } from '../helpers/postgres.js';

/** Boots `npm start` as a user would (embedded Postgres, emulators, serverless offline) and walks the API. */
describe('npm start', () => {
  let child: ChildProcess;
  let output = '';
  let api = '';
  let dataDir = '';
  let readyAfterMs = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kite-e2e-'));
    const [port, pgPort, s3Port, sqsPort, lambdaPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    api = `http://127.0.0.1:${port}`;
    // A clean environment: none of the test suite's DATABASE_URL / endpoints, so npm start brings its own.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      KITE_PG_PORT: String(pgPort),
      KITE_S3_PORT: String(s3Port),
      KITE_SQS_PORT: String(sqsPort),
      KITE_LAMBDA_PORT: String(lambdaPort),
      KITE_DATA_DIR: dataDir,
    };
    const started = Date.now();
    child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start not ready after 180 s:\n${output}`)),
        180_000,
      );
      const check = setInterval(() => {
        if (/\bready\b/.test(output)) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 100);
      child.once('exit', (code) => {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
    readyAfterMs = Date.now() - started;
    console.info(`npm start printed ready after ${readyAfterMs} ms`);
  }, 200_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('prints the URLs of what it started and one ready line', () => {
    expect(output).toMatch(/database: postgres:\/\/\S+ \(embedded PGlite/);
    expect(output).toMatch(/S3: http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/SQS: http:\/\/127\.0\.0\.1:\d+/);
    expect(output.match(/^.*\bready\b.*$/gm)?.filter((line) => line.startsWith('[kite]'))).toHaveLength(1);
  });

  it('walks upload-url → PUT → confirm over HTTP', async () => {
    const token = await signDevToken('e2e-user', { email: 'e2e@example.test' });
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

  it('answers unknown and retired routes with the contract 404 and bad tokens with 401', async () => {
    const settings = await fetch(`${api}/api/settings`);
    expect(settings.status).toBe(404);
    expect(((await settings.json()) as any).error.code).toBe('not_found');
    const me = await fetch(`${api}/api/me`, { headers: { authorization: 'Bearer nope' } });
    expect(me.status).toBe(401);
    expect(((await me.json()) as any).error.code).toBe('unauthorized');
  });

  it('answers CORS preflights for browsers', async () => {
    const preflight = await fetch(`${api}/api/documents/upload-url`, {
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
});
