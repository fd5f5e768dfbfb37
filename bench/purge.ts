import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { createS3Client, headObjectSize } from '../lib/platform/aws/storage.js';
import { config, s3Endpoint } from '../lib/platform/config.js';
import { db } from '../lib/platform/db/client.js';
import { startLatencyProxy } from './latency-proxy.js';
import type { PurgeRun } from './purge-run.js';
import type { BenchResult, BenchRow } from './result.js';

const execFileAsync = promisify(execFile);

export interface BenchPurgeOptions {
  /** Expired pending uploads for the batched purge, straight to the S3 server. */
  rows?: number;
  /** Expired pending uploads for the naive loop (it is slow, so a smaller set; compared per row). */
  naiveRows?: number;
  /** The fixed latency the proxy adds to every S3 request in the modelled runs (BENCH_S3_LATENCY_MS). */
  latencyMs?: number;
  /** Rows for the batched purge and for the naive loop through the latency proxy. */
  latencyRows?: number;
  latencyNaiveRows?: number;
  /**
   * Expired uploads per owner, the same for every run: s3rver re-reads a key's parent directories after each
   * delete, so its cost per key depends on how many keys share a user prefix. (All 100,000 under one user would
   * measure the emulator's O(n²) directory scans rather than the purge.)
   */
  rowsPerUser?: number;
  /** Recent and confirmed rows the purge query has to step over. */
  noiseRows?: number;
  /**
   * Expired uploads purged again without objects: what the purge costs when the S3 server has no objects to
   * remove, i.e. the purge's own work (claim, delete, one DeleteObjects request per 1000 keys).
   */
  rowsWithoutObjects?: number;
  /** PutObject calls in flight while seeding. */
  seedConcurrency?: number;
}

const EXPIRED_AGE_SECONDS = 2 * 3600;

interface Measured extends PurgeRun {
  rows: number;
}

/**
 * The production purge (batches of 1000: one DELETE … SKIP LOCKED, one DeleteObjects) against a naive loop (per
 * row: one DeleteObject, one DELETE), each run in a process of its own (bench/purge-run.ts) on rows whose objects
 * exist: straight to the S3 server, then through a loopback proxy that adds a fixed latency to every S3 request
 * (what a Lambda pays per round trip to S3 and a server on the same machine does not), then without objects.
 * Every run reports its SQL statements and S3 requests per 1,000 rows.
 */
export async function benchPurge(options: BenchPurgeOptions = {}): Promise<BenchResult> {
  const rows = options.rows ?? 100_000;
  const naiveRows = options.naiveRows ?? 2_000;
  const latencyMs = options.latencyMs ?? Number(process.env.BENCH_S3_LATENCY_MS ?? 15);
  const latencyRows = options.latencyRows ?? 20_000;
  const latencyNaiveRows = options.latencyNaiveRows ?? 500;
  const rowsPerUser = options.rowsPerUser ?? 100;
  const users = Math.ceil(rows / rowsPerUser);
  const noiseRows = options.noiseRows ?? 50_000;
  const concurrency = options.seedConcurrency ?? 64;
  const bare = options.rowsWithoutObjects ?? 100_000;
  const server = s3Endpoint(config());
  if (!server) throw new Error('the purge bench needs the S3 server of the bench stack');
  const table: BenchRow[] = [];

  await seedUsers('bench-user', Math.max(users, Math.ceil(bare / rowsPerUser)));
  await seedUsers('bench-naive', Math.ceil(naiveRows / rowsPerUser));
  await seedNoise(noiseRows, users);

  /** Seeds `count` expired uploads (with objects unless told otherwise), runs one strategy, checks the result. */
  const run = async (
    mode: 'batched' | 'naive',
    count: number,
    endpoint: string,
    withObjects = true,
  ): Promise<Measured> => {
    const prefix = mode === 'naive' ? 'bench-naive' : 'bench-user';
    const keys = await seedExpired(count, prefix, Math.ceil(count / rowsPerUser));
    if (withObjects) await seedObjects(keys, concurrency);
    const measured = await runInOwnProcess(mode, endpoint);
    if (measured.purged !== count) throw new Error(`${mode} purged ${measured.purged} of ${count}`);
    if (withObjects) await verify(keys, noiseRows);
    return { ...measured, rows: count };
  };

  // Straight to the S3 server. Naive first, on its own smaller set, so the runs never see each other's rows.
  const naive = await run('naive', naiveRows, server);
  const batched = await run('batched', rows, server);

  // Through the proxy: every S3 request pays `latencyMs` more, as from a Lambda.
  const proxy = await startLatencyProxy(server, latencyMs);
  let naiveSlow: Measured;
  let batchedSlow: Measured;
  try {
    naiveSlow = await run('naive', latencyNaiveRows, proxy.url);
    batchedSlow = await run('batched', latencyRows, proxy.url);
  } finally {
    await proxy.close();
  }

  // Without objects behind the rows: s3rver's per-key file work (stat, three unlinks, directory scans, on this
  // machine's disk) is part of both runs above; without it, what is left is each strategy's own cost.
  const naiveBare = await run('naive', naiveRows, server, false);
  const batchedBare = await run('batched', bare, server, false);

  const latency = `${latencyMs} ms added per S3 request`;
  const lines: [string, Measured, Measured | undefined][] = [
    ['naive loop (DeleteObject + DELETE per row), straight to S3', naive, undefined],
    ['purgeExpiredUploads (batches of 1000), straight to S3', batched, naive],
    [`naive loop, ${latency}`, naiveSlow, undefined],
    [`purgeExpiredUploads, ${latency}`, batchedSlow, naiveSlow],
    ['naive loop, rows without objects', naiveBare, undefined],
    ['purgeExpiredUploads, rows without objects', batchedBare, naiveBare],
  ];
  for (const [name, measured, baseline] of lines) {
    const speedup = baseline
      ? `${(perRow(baseline) / perRow(measured)).toFixed(1)}× faster per row than the naive loop; `
      : '';
    table.push({
      ...row(name, measured.rows, measured.seconds),
      note: `${speedup}per 1,000 rows: ${perThousand(measured.statements, measured.rows)} SQL statements, ${perThousand(requests(measured), measured.rows)} S3 requests (${describe(measured.s3Requests)})`,
    });
  }
  const speedup = (a: Measured, b: Measured) => round(perRow(b) / perRow(a), 1);
  return {
    rows: table,
    summary: {
      rows,
      msPerRow: round(perRow(batched), 4),
      naiveRows,
      naiveMsPerRow: round(perRow(naive), 4),
      speedupPerRow: speedup(batched, naive),
      latencyMs,
      latencyRows,
      latencyMsPerRow: round(perRow(batchedSlow), 4),
      latencyNaiveRows,
      latencyNaiveMsPerRow: round(perRow(naiveSlow), 4),
      speedupPerRowWithLatency: speedup(batchedSlow, naiveSlow),
      rowsWithoutObjects: bare,
      msPerRowWithoutObjects: round(perRow(batchedBare), 4),
      naiveMsPerRowWithoutObjects: round(perRow(naiveBare), 4),
      speedupPerRowWithoutObjects: speedup(batchedBare, naiveBare),
      statementsPer1000Rows: perThousand(batched.statements, batched.rows),
      s3RequestsPer1000Rows: perThousand(requests(batched), batched.rows),
      naiveStatementsPer1000Rows: perThousand(naive.statements, naive.rows),
      naiveS3RequestsPer1000Rows: perThousand(requests(naive), naive.rows),
      noiseRows,
      rowsPerUser,
      target: '>= 20x per row with the modelled latency; <= 2 S3 requests and <= 3 statements per 1,000 rows',
    },
  };
}

const perRow = (m: Measured) => (m.seconds * 1000) / m.rows;
// "X answered 500" entries count requests already counted under X.
const requests = (m: Measured) =>
  Object.entries(m.s3Requests)
    .filter(([name]) => !name.includes(' answered '))
    .reduce((sum, [, n]) => sum + n, 0);
const perThousand = (count: number, rows: number) => round((count * 1000) / rows, 2);
const describe = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([name, n]) => `${n} ${name}`)
    .join(', ') || 'none';

/** bench/purge-run.ts in a fresh Node process; asynchronous, because the S3 server may run in this one. */
async function runInOwnProcess(mode: 'batched' | 'naive', endpoint: string): Promise<PurgeRun> {
  const { stdout, stderr } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', join(process.cwd(), 'bench', 'purge-run.ts'), mode],
    { env: { ...process.env, AWS_ENDPOINT_URL_S3: endpoint }, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (stderr) process.stderr.write(stderr);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as PurgeRun;
}

function row(name: string, rows: number, seconds: number): BenchRow {
  return { part: 'purge', case: name, rows, seconds, msPerRow: (seconds * 1000) / rows };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function seedUsers(prefix: string, users: number): Promise<void> {
  await sql`
    insert into users (id, role) select ${prefix} || '-' || g, 'user' from generate_series(0, ${users - 1}) g
    on conflict do nothing
  `.execute(db());
  await sql`
    insert into quotas (user_id, limit_bytes, used_bytes)
    select ${prefix} || '-' || g, 1073741824, 0 from generate_series(0, ${users - 1}) g
    on conflict do nothing
  `.execute(db());
}

/** Rows the purge must leave alone: recent pending uploads and old confirmed documents. */
async function seedNoise(count: number, users: number): Promise<void> {
  await sql`
    insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, created_at,
                           confirmed_at)
    select id, 'bench-user-' || (g % ${users}), 'noise.txt', 'text/plain',
           case when g % 2 = 0 then null else 3 end, 'noise/' || id, status, ts,
           case when g % 2 = 0 then null else ts end
    from (
      select g, gen_random_uuid() as id,
             case when g % 2 = 0 then 'pending' else 'classified' end as status,
             case when g % 2 = 0 then now() else now() - interval '3 days' end as ts
      from generate_series(1, ${count}) g
    ) seed
  `.execute(db());
}

/** `count` pending uploads created two hours ago, spread over the users; returns their storage keys. */
async function seedExpired(count: number, prefix: string, users: number): Promise<string[]> {
  const result = await sql<{ storage_key: string }>`
    insert into documents (id, user_id, filename, content_type, storage_key, status, created_at)
    select id, ${prefix} || '-' || (g % ${users}), 'upload.bin', 'application/octet-stream',
           'users/' || ${prefix} || '-' || (g % ${users}) || '/' || id || '/upload.bin', 'pending',
           now() - make_interval(secs => ${EXPIRED_AGE_SECONDS}) - g * interval '1 microsecond'
    from (select g, gen_random_uuid() as id from generate_series(1, ${count}) g) seed
    returning storage_key
  `.execute(db());
  await sql`analyze documents`.execute(db());
  return result.rows.map((r) => r.storage_key);
}

async function seedObjects(keys: readonly string[], concurrency: number): Promise<void> {
  const s3 = await createS3Client(config());
  const bucket = config().S3_BUCKET;
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const Key = keys[next++];
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'expired upload' }));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    s3.destroy();
  }
}

/** The purge did what it claims: no expired pending row left, objects gone, the other rows untouched. */
async function verify(keys: readonly string[], noiseRows: number): Promise<void> {
  const left = await sql<{ expired: number; noise: number }>`
    select count(*) filter (where status = 'pending' and created_at < now() - interval '1 hour')::int as expired,
           count(*) filter (where filename = 'noise.txt')::int as noise
    from documents
  `.execute(db());
  const counts = left.rows[0];
  if (counts?.expired !== 0) throw new Error(`${counts?.expired} expired rows left`);
  if (counts.noise !== noiseRows) throw new Error(`noise rows changed: ${counts.noise} of ${noiseRows}`);
  const step = Math.max(1, Math.floor(keys.length / 200));
  for (let i = 0; i < keys.length; i += step) {
    const key = keys[i];
    if (key && (await headObjectSize(key)) !== undefined) throw new Error(`object ${key} still exists`);
  }
}
