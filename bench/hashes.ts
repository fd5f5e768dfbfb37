import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { createS3Client, sha256OfObject } from '../lib/platform/aws/storage.js';
import { config } from '../lib/platform/config.js';
import { createDb } from '../lib/platform/db/client.js';
import { findDocumentWithContent } from '../lib/uploads/uploads.queries.js';
import type { BenchResult, BenchRow } from './result.js';

const MB = 1024 * 1024;

/**
 * What content hashes cost (docs/api.md "Duplicates and retried requests"):
 * - hashing: kite's streamed SHA-256 of a 64 MiB object against the same streamed GET that only discards the bytes,
 *   both from the bench's S3, best of three: the difference is what the hash adds per MB;
 * - lookup: the duplicate check (`findDocumentWithContent`) among 100,000 hashed documents of 100 users, against
 *   the same query with index scans disabled.
 */
export async function benchHashes(): Promise<BenchResult> {
  const hashing = await benchHashing();
  const lookup = await benchLookup();
  return { rows: [...hashing.rows, ...lookup.rows], summary: { ...hashing.summary, ...lookup.summary } };
}

async function benchHashing(): Promise<BenchResult> {
  const cfg = config();
  const s3 = await createS3Client(cfg);
  const size = 64 * MB;
  const key = `users/bench-hash/${randomUUID()}/blob.bin`;
  const bytes = randomBytes(size);
  await s3.send(new PutObjectCommand({ Bucket: cfg.S3_BUCKET, Key: key, Body: bytes }));
  const expected = createHash('sha256').update(bytes).digest('hex');

  const readOnly = async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: cfg.S3_BUCKET, Key: key }));
    let total = 0;
    for await (const chunk of object.Body as unknown as AsyncIterable<Uint8Array>) total += chunk.length;
    if (total !== size) throw new Error(`read ${total} of ${size} bytes`);
  };
  const hashed = async () => {
    if ((await sha256OfObject(key)) !== expected) throw new Error('hash mismatch');
  };
  const best = async (fn: () => Promise<void>) => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await fn();
      fastest = Math.min(fastest, performance.now() - start);
    }
    return fastest;
  };
  await readOnly(); // warm the connection and the emulator's cache
  const plainMs = await best(readOnly);
  const hashMs = await best(hashed);
  const addedPerMb = (hashMs - plainMs) / (size / MB);
  const rows: BenchRow[] = [
    {
      part: 'hashes',
      case: 'streamed GET of 64 MiB, bytes discarded (baseline)',
      rows: 64,
      seconds: plainMs / 1000,
      msPerRow: plainMs / 64,
      note: `${((size / MB / plainMs) * 1000).toFixed(0)} MB/s`,
    },
    {
      part: 'hashes',
      case: 'sha256OfObject of the same 64 MiB',
      rows: 64,
      seconds: hashMs / 1000,
      msPerRow: hashMs / 64,
      note: `${((size / MB / hashMs) * 1000).toFixed(0)} MB/s; adds ${addedPerMb.toFixed(2)} ms/MB (${(hashMs / plainMs).toFixed(2)}×)`,
    },
  ];
  s3.destroy();
  return {
    rows,
    summary: {
      hashMBps: Math.round((size / MB / hashMs) * 1000),
      readMBps: Math.round((size / MB / plainMs) * 1000),
      hashAddsMsPerMB: Number(addedPerMb.toFixed(3)),
    },
  };
}

async function benchLookup(): Promise<BenchResult> {
  const cfg = config();
  const db = createDb(cfg.DATABASE_URL, 1);
  const prefix = `bench-hash-${randomUUID().slice(0, 8)}`;
  const users = 100;
  const perUser = 1000;
  try {
    await sql`
      insert into users (id, role) select ${prefix} || '-' || u, 'user' from generate_series(1, ${users}) u
    `.execute(db);
    await sql`
      insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, sha256, confirmed_at)
      select gen_random_uuid(), ${prefix} || '-' || u, 'f.txt', 'text/plain', 10,
        'users/' || ${prefix} || '-' || u || '/' || gen_random_uuid() || '/f.txt', 'classified',
        encode(sha256((${prefix} || u || '-' || d)::bytea), 'hex'), now()
      from generate_series(1, ${users}) u, generate_series(1, ${perUser}) d
    `.execute(db);
    await sql`analyze documents`.execute(db);

    const probes = Array.from({ length: 2000 }, (_, i) => {
      const user = (i % users) + 1;
      // Half hits (content the user has), half misses.
      const content = i % 2 === 0 ? `${prefix}${user}-${(i % perUser) + 1}` : `missing-${i}`;
      return { userId: `${prefix}-${user}`, sha: createHash('sha256').update(content).digest('hex') };
    });
    const time = async (fn: (probe: (typeof probes)[number]) => Promise<unknown>, list = probes) => {
      const samples: number[] = [];
      for (const probe of list) {
        const start = performance.now();
        await fn(probe);
        samples.push(performance.now() - start);
      }
      samples.sort((a, b) => a - b);
      return {
        p50: samples[Math.floor(samples.length * 0.5)] ?? 0,
        p95: samples[Math.floor(samples.length * 0.95)] ?? 0,
        total: samples.reduce((a, b) => a + b, 0),
      };
    };
    await time((p) => findDocumentWithContent(db, p.userId, p.sha), probes.slice(0, 200)); // warm up
    const indexed = await time((p) => findDocumentWithContent(db, p.userId, p.sha));
    const scanProbes = probes.slice(0, 200);
    const scanned = await time(
      (p) =>
        db.transaction().execute(async (trx) => {
          await sql`set local enable_indexscan = off`.execute(trx);
          await sql`set local enable_bitmapscan = off`.execute(trx);
          await sql`set local enable_indexonlyscan = off`.execute(trx);
          return findDocumentWithContent(trx, p.userId, p.sha);
        }),
      scanProbes,
    );
    const ratio = scanned.p50 / indexed.p50;
    return {
      rows: [
        {
          part: 'hashes',
          case: 'duplicate lookup, 100,000 docs / 100 users (index)',
          rows: probes.length,
          seconds: indexed.total / 1000,
          msPerRow: indexed.total / probes.length,
          note: `p50 ${indexed.p50.toFixed(3)} ms, p95 ${indexed.p95.toFixed(3)} ms; ${ratio.toFixed(0)}× the scan`,
        },
        {
          part: 'hashes',
          case: 'same lookup, index scans disabled (baseline)',
          rows: scanProbes.length,
          seconds: scanned.total / 1000,
          msPerRow: scanned.total / scanProbes.length,
          note: `p50 ${scanned.p50.toFixed(3)} ms, p95 ${scanned.p95.toFixed(3)} ms`,
        },
      ],
      summary: {
        lookupP50Ms: Number(indexed.p50.toFixed(3)),
        lookupP95Ms: Number(indexed.p95.toFixed(3)),
        lookupVsScan: Number(ratio.toFixed(1)),
      },
    };
  } finally {
    await sql`delete from users where id like ${`${prefix}-%`}`.execute(db);
    await db.destroy();
  }
}
