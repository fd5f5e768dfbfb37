import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signDevToken } from '../local/token.js';
import { bootNpmStart } from '../tests/helpers/npm-start.js';
import type { BenchResult } from './result.js';

const run = promisify(execFile);

/**
 * `kite upload` of 1,000 files of 10 KB with --concurrency 8 against the same files sent one after another by a
 * plain loop of the three HTTP calls (upload-url, PUT, confirm), both against one `npm start` (serverless offline)
 * whose database is the bench's PostgreSQL: once as it is, once with the API calls held BENCH_CLI_LATENCY_MS (25)
 * as a network would. The CLI's time includes starting node, listing the user's documents and hashing every file.
 */
export async function benchCli(): Promise<BenchResult> {
  const count = Number(process.env.BENCH_CLI_FILES ?? 1000);
  const latencyMs = Number(process.env.BENCH_CLI_LATENCY_MS ?? 25);
  const dir = mkdtempSync(join(tmpdir(), 'kite-bench-cli-'));
  execFileSync('npm', ['run', '-s', 'build:cli'], { stdio: 'pipe' });
  const stack = await bootNpmStart({ DATABASE_URL: process.env.DATABASE_URL ?? '' });
  const delayed = await latencyProxy(stack.api, latencyMs);
  try {
    const files = join(dir, 'files');
    mkdirSync(files);
    const names = Array.from({ length: count }, (_, i) => `f-${String(i).padStart(4, '0')}.txt`);
    for (const [i, name] of names.entries()) writeFileSync(join(files, name), `${i} `.padEnd(10 * 1024, 'x'));

    // Warm every function once (serverless offline loads a handler on its first request), and start the 8
    // instances the CLI will keep busy, so neither side pays cold starts inside its timing.
    const warm = await signDevToken(`bench-cli-warm-${Date.now()}`);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => serialLoop(stack.api, warm, files, names.slice(i * 2, i * 2 + 2))),
    );

    const rows: BenchResult['rows'] = [];
    const summary: BenchResult['summary'] = { files: count };
    for (const [label, api] of [
      ['npm start', stack.api],
      [`npm start, API calls ${latencyMs} ms away`, delayed.url],
    ] as const) {
      const serialToken = await signDevToken(`bench-cli-serial-${Date.now()}`);
      const serialStart = performance.now();
      await serialLoop(api, serialToken, files, names);
      const serialSeconds = (performance.now() - serialStart) / 1000;

      const cliToken = await signDevToken(`bench-cli-kite-${Date.now()}`);
      const cliStart = performance.now();
      const { stdout } = await run(
        process.execPath,
        ['bin/kite.cjs', 'upload', files, '--concurrency', '8', '--json'],
        { env: { ...process.env, KITE_URL: api, KITE_TOKEN: cliToken }, maxBuffer: 64 * 1024 * 1024 },
      );
      const cliSeconds = (performance.now() - cliStart) / 1000;
      const uploaded = (JSON.parse(stdout) as { status: string }[]).filter(
        (r) => r.status === 'uploaded',
      ).length;
      if (uploaded !== count) throw new Error(`kite upload uploaded ${uploaded} of ${count}`);

      const ratio = serialSeconds / cliSeconds;
      rows.push(
        {
          part: 'cli',
          case: `${label}: serial loop upload-url, PUT, confirm (${count} × 10 KB)`,
          rows: count,
          seconds: serialSeconds,
          msPerRow: (serialSeconds * 1000) / count,
          note: `${(count / serialSeconds).toFixed(1)} files/s`,
        },
        {
          part: 'cli',
          case: `${label}: kite upload --concurrency 8 (${count} × 10 KB)`,
          rows: count,
          seconds: cliSeconds,
          msPerRow: (cliSeconds * 1000) / count,
          note: `${(count / cliSeconds).toFixed(1)} files/s, ${ratio.toFixed(1)}× the loop (target ≥ 4×)`,
        },
      );
      const key = latencyMs && api === delayed.url ? `latency${latencyMs}ms` : 'local';
      summary[`${key}SerialFilesPerSecond`] = Number((count / serialSeconds).toFixed(1));
      summary[`${key}CliFilesPerSecond`] = Number((count / cliSeconds).toFixed(1));
      summary[`${key}Ratio`] = Number(ratio.toFixed(2));
    }
    return { rows, summary };
  } finally {
    await delayed.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The API as a client across a network sees it: each request is held `ms` before it is passed on (the bytes' PUT
 * goes straight to storage, as it would, without the delay). Locally every call costs CPU on the same two cores the
 * server needs, so only this shows what concurrency buys a client whose cost is the round trip.
 */
async function latencyProxy(target: string, ms: number): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    setTimeout(() => {
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: request.url,
          method: request.method,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forward.on('error', () => response.destroy());
      request.pipe(forward);
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What a script without the CLI does: for each file, the three calls, one after another. */
async function serialLoop(api: string, token: string, dir: string, names: string[]): Promise<void> {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (const name of names) {
    const bytes = readFileSync(join(dir, name));
    const ticket = (await (
      await fetch(`${api}/api/documents/upload-url`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ filename: name, contentType: 'text/plain', size: bytes.length }),
      })
    ).json()) as { document: { id: string }; upload: { url: string; headers: Record<string, string> } };
    const put = await fetch(ticket.upload.url, {
      method: 'PUT',
      headers: ticket.upload.headers,
      body: bytes,
    });
    if (!put.ok) throw new Error(`PUT answered ${put.status}`);
    const confirm = await fetch(`${api}/api/documents/${ticket.document.id}/confirm`, {
      method: 'POST',
      headers: auth,
    });
    if (confirm.status !== 200) throw new Error(`confirm answered ${confirm.status}`);
  }
}
