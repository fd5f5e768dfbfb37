import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startTestStack, type TestStack } from '../tests/helpers/stack.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * `npm run bench [-- part ...]`: runs the named parts (every registered part when none is named) against a
 * throwaway PostgreSQL and S3/SQS emulators, prints one table and writes bench/results.json (merged by part, so
 * running one part keeps the others' last results).
 */

type BenchPart = () => Promise<BenchResult>;

/** Which S3 the run uses (see startStack). */
let s3: TestStack['s3'] = 's3rver';

// Parts are imported lazily: lib/ must only load once the environment below is in place.
const parts: Record<string, BenchPart> = {
  requests: async () => (await import('./requests.js')).benchRequests(),
  concurrency: async () => (await import('./uploads.js')).benchConcurrency(),
  'cold-start': async () => (await import('./cold-start.js')).benchColdStart(),
  // memstore keeps every object in the OSD's RAM (~17 KB for a small one, index included) and seeding takes ~5 ms
  // per object: a fifth of the rows on radosgw.
  purge: async () => (await import('./purge.js')).benchPurge(s3 === 'radosgw' ? { rows: 20_000 } : {}),
  'upload-ceiling': async () => (await import('./uploads.js')).benchUploadCeiling(),
  hashes: async () => (await import('./hashes.js')).benchHashes(),
  search: async () => (await import('./search.js')).benchSearch(),
  multipart: async () => (await import('./multipart.js')).benchMultipart(),
  cli: async () => (await import('./cli.js')).benchCli(),
  keys: async () => (await import('./keys.js')).benchKeys(),
  filing: async () => (await import('./filing.js')).benchFiling(),
  bulk: async () => (await import('./bulk.js')).benchBulk(),
  web: async () => (await import('./web.js')).benchWeb(),
  ocr: async () => (await import('./ocr.js')).benchOcr(),
};

// npm runs scripts from the package root.
const RESULTS_FILE = join(process.cwd(), 'bench', 'results.json');

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((arg) => arg !== '--');
  const unknown = requested.filter((name) => !(name in parts));
  if (unknown.length > 0) {
    throw new Error(`unknown bench part(s): ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);
  }
  const selected = requested.length > 0 ? requested : Object.keys(parts);

  const stack = await startStack();
  const s3Server = await describeS3Server(process.env.AWS_ENDPOINT_URL_S3 ?? '');
  const loadAtStart = loadavg()[0] ?? 0;
  console.log(
    `[bench] S3 server: ${s3Server}; load average ${loadAtStart.toFixed(1)} on ${cpus().length} cores`,
  );
  const results: Record<string, BenchResult & { finishedAt: string }> = {};
  try {
    for (const name of selected) {
      const part = parts[name];
      if (!part) continue;
      console.log(`[bench] ${name} …`);
      results[name] = { ...(await part()), finishedAt: new Date().toISOString() };
    }
  } finally {
    await (await import('../lib/platform/db/client.js')).closeDb();
    await stack.stop();
  }

  printTable(Object.values(results).flatMap((result) => result.rows));
  const loadAtEnd = loadavg()[0] ?? 0;
  console.log(
    `[bench] S3 server: ${s3Server}; load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end`,
  );
  for (const [name, result] of Object.entries(results)) {
    console.log(`[bench] ${name}: ${JSON.stringify(result.summary)}`);
  }
  const previous = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
  const machine = {
    node: process.version,
    platform: process.platform,
    cores: cpus().length,
    s3Server,
    loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number(loadAtEnd.toFixed(2)) },
  };
  const merged = {
    ...previous,
    ...Object.fromEntries(Object.entries(results).map(([name, result]) => [name, { ...result, s3Server }])),
    machine,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`[bench] written to ${RESULTS_FILE}`);
}

/**
 * The tests' stack (PostgreSQL, radosgw or s3rver, local-aws-sqs, a migrated database), configured as a Lambda
 * would be.
 */
async function startStack(): Promise<{ stop(): Promise<void> }> {
  const stack = await startTestStack({ name: 'kite-bench', visibilityTimeoutSeconds: 30 });
  s3 = stack.s3;
  Object.assign(process.env, {
    ...stack.env,
    // One connection, as in a Lambda.
    DB_POOL_MAX: '1',
    // The upload-ceiling part pushes 200 MB through the presigned PUT; the multipart part declares a 5000 MiB
    // file to sign 1000 of its parts.
    MAX_UPLOAD_BYTES: String(6 * 1024 ** 3),
    // The purge part seeds 100,000 rows in single statements, far beyond a request's statement budget.
    DB_STATEMENT_TIMEOUT_MS: '0',
    LOG_LEVEL: 'WARN',
  });
  return stack;
}

/**
 * Which S3 implementation answers at `endpoint`, from what it says to an anonymous ListBuckets: every figure that
 * touches S3 depends on it, so the table names it.
 */
async function describeS3Server(endpoint: string): Promise<string> {
  try {
    const answer = await fetch(`${endpoint}/`);
    const body = await answer.text();
    const server = answer.headers.get('server');
    const requestId = answer.headers.get('x-amz-request-id') ?? '';
    let name = server ?? 'unknown S3 server';
    if (body.includes('<DisplayName>S3rver</DisplayName>'))
      name = `s3rver ${packageVersion('s3rver')}, in this process`;
    else if (/ceph/i.test(server ?? '') || /^tx0+/.test(requestId))
      name = `Ceph radosgw (${server ?? 'no Server header'})`;
    return `${name} at ${endpoint}`;
  } catch (error) {
    return `unreachable at ${endpoint} (${(error as Error).message})`;
  }
}

function packageVersion(name: string): string {
  try {
    const file = join(process.cwd(), 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

function printTable(rows: BenchRow[]): void {
  const header = ['part', 'case', 'rows', 'seconds', 'ms/row', 'note'];
  const lines = rows.map((row) => [
    row.part,
    row.case,
    String(row.rows),
    row.seconds.toFixed(2),
    row.msPerRow.toFixed(4),
    row.note ?? '',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)),
  );
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const line of lines) console.log(format(line));
  console.log('');
}

main().catch((error: unknown) => {
  console.error('[bench] failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
