import { performance } from 'node:perf_hooks';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { config } from '../lib/config.js';
import { db } from '../lib/db/client.js';
import { purgeExpiredUploads } from '../lib/purge.js';
import { createS3Client, headObjectSize } from '../lib/storage.js';
import type { BenchResult, BenchRow } from './run.js';

export interface BenchPurgeOptions {
  /** Expired pending uploads for the batched purge. */
  rows?: number;
  /** Expired pending uploads for the naive loop (it is slow, so a smaller set; compared per row). */
  naiveRows?: number;
  /**
   * Expired uploads per owner, the same for both runs: s3rver re-reads a key's parent directories after each
   * delete, so its cost per key depends on how many keys share a user prefix. (All 100,000 under one user would
   * measure the emulator's O(n²) directory scans rather than the purge.)
   */
  rowsPerUser?: number;
  /** Recent and confirmed rows the purge query has to step over. */
  noiseRows?: number;
  /**
   * Expired uploads purged again without objects: what the purge costs when the emulator has no files to remove,
   * i.e. the purge's own work (claim, delete, one DeleteObjects request per 1000 keys).
   */
  rowsWithoutObjects?: number;
  /** PutObject calls in flight while seeding. */
  seedConcurrency?: number;
}

const EXPIRED_AGE_SECONDS = 2 * 3600;

/**
 * Purges `rows` expired pending uploads, every one with a real object in the S3 emulator, with the production code
 * (batches of 1000: one DELETE … SKIP LOCKED, one DeleteObjects), and compares the time per row with a naive
 * loop (per row: one DeleteObject, one DELETE) over `naiveRows` in the same process.
 */
export async function benchPurge(options: BenchPurgeOptions = {}): Promise<BenchResult> {
  const rows = options.rows ?? 100_000;
  const naiveRows = options.naiveRows ?? 2_000;
  const rowsPerUser = options.rowsPerUser ?? 100;
  const users = Math.ceil(rows / rowsPerUser);
  const naiveUsers = Math.ceil(naiveRows / rowsPerUser);
  const noiseRows = options.noiseRows ?? 50_000;
  const concurrency = options.seedConcurrency ?? 64;
  const table: BenchRow[] = [];

  await seedUsers('bench-user', users);
  await seedUsers('bench-naive', naiveUsers);
  await seedNoise(noiseRows, users);

  // Naive first, on its own smaller set, so the two runs never see each other's rows.
  const naiveKeys = await seedExpired(naiveRows, 'bench-naive', naiveUsers);
  await seedObjects(naiveKeys, concurrency);
  const naive = await timed(() => naivePurge());
  if (naive.value !== naiveRows) throw new Error(`naive loop purged ${naive.value} of ${naiveRows}`);
  table.push(row('naive loop (DeleteObject + DELETE per row)', naiveRows, naive.seconds));

  const keys = await seedExpired(rows, 'bench-user', users);
  const seeding = await timed(() => seedObjects(keys, concurrency));
  table.push({ ...row('seed: PutObject per row (setup, not timed)', rows, seeding.seconds), note: 'setup' });
  const batched = await timed(() => purgeExpiredUploads());
  if (batched.value !== rows) throw new Error(`purge purged ${batched.value} of ${rows}`);
  table.push(row('purgeExpiredUploads (batches of 1000)', rows, batched.seconds));

  await verify(keys, noiseRows);

  // The same two strategies again with no objects behind the rows: s3rver's per-key file work (stat, three unlinks,
  // directory scans, on this machine's disk) is the floor of the run above; without it, what is left is each
  // strategy's own cost — round trips per row versus two statements and one request per 1000 rows.
  const bare = options.rowsWithoutObjects ?? 100_000;
  await seedExpired(naiveRows, 'bench-naive', naiveUsers);
  const naiveBare = await timed(() => naivePurge());
  if (naiveBare.value !== naiveRows) throw new Error(`naive loop purged ${naiveBare.value} of ${naiveRows}`);
  table.push(row('naive loop, rows without objects', naiveRows, naiveBare.seconds));
  await seedExpired(bare, 'bench-user', users);
  const bareRun = await timed(() => purgeExpiredUploads());
  if (bareRun.value !== bare) throw new Error(`purge purged ${bareRun.value} of ${bare}`);
  table.push(row('purgeExpiredUploads, rows without objects', bare, bareRun.seconds));

  const naivePerRow = (naive.seconds * 1000) / naiveRows;
  const batchedPerRow = (batched.seconds * 1000) / rows;
  const speedup = naivePerRow / batchedPerRow;
  const naiveBarePerRow = (naiveBare.seconds * 1000) / naiveRows;
  const barePerRow = (bareRun.seconds * 1000) / bare;
  const bareSpeedup = naiveBarePerRow / barePerRow;
  const note = (name: string, text: string) => {
    const line = table.find((candidate) => candidate.case === name);
    if (line) line.note = text;
  };
  note('purgeExpiredUploads (batches of 1000)', `${speedup.toFixed(1)}× faster per row than the naive loop`);
  note(
    'purgeExpiredUploads, rows without objects',
    `${bareSpeedup.toFixed(1)}× faster per row than the naive loop`,
  );
  return {
    rows: table,
    summary: {
      rows,
      objects: rows,
      seconds: round(batched.seconds),
      msPerRow: round(batchedPerRow, 4),
      naiveRows,
      naiveSeconds: round(naive.seconds),
      naiveMsPerRow: round(naivePerRow, 4),
      speedupPerRow: round(speedup, 1),
      rowsWithoutObjects: bare,
      msPerRowWithoutObjects: round(barePerRow, 4),
      naiveMsPerRowWithoutObjects: round(naiveBarePerRow, 4),
      speedupPerRowWithoutObjects: round(bareSpeedup, 1),
      noiseRows,
      rowsPerUser,
    },
  };
}

function row(name: string, rows: number, seconds: number): BenchRow {
  return { part: 'purge', case: name, rows, seconds, msPerRow: (seconds * 1000) / rows };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
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

/** What a first version would write: find the expired rows, then per row one DeleteObject and one DELETE. */
async function naivePurge(): Promise<number> {
  const s3 = await createS3Client(config());
  const bucket = config().S3_BUCKET;
  const ttl = config().PENDING_UPLOAD_TTL_SECONDS;
  let purged = 0;
  try {
    const expired = await db()
      .selectFrom('documents')
      .select(['id', 'storage_key'])
      .where('status', '=', 'pending')
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${ttl})`)
      .execute();
    for (const doc of expired) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: doc.storage_key }));
      await db().deleteFrom('documents').where('id', '=', doc.id).where('status', '=', 'pending').execute();
      purged += 1;
    }
  } finally {
    s3.destroy();
  }
  return purged;
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
