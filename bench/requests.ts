// Just over 300 lines: the request bench's cases side by side (kite's handlers against the bare SDK calls they
// replace), so each ratio reads beside its baseline.
import { randomBytes, randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { handler as confirmHandler } from '../functions/confirm.js';
import { handler as uploadUrlHandler } from '../functions/upload-url.js';
import {
  directPresigner,
  directTarget,
  envCredentials,
  type ObjectPresign,
} from '../lib/platform/aws/presign.js';
import { createSqsClient } from '../lib/platform/aws/queue.js';
import { createS3Client, presignWithClient, storageKey } from '../lib/platform/aws/storage.js';
import { config } from '../lib/platform/config.js';
import { createDb } from '../lib/platform/db/client.js';
import { confirmPendingDocument } from '../lib/uploads/uploads.queries.js';
import { signDevToken } from '../local/token.js';
import { call } from '../tests/helpers/api.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * Request cost against its floor. The handlers run in-process exactly as Lambda runs them (middy stack, JWT
 * verification, one pooled connection); the floor is the same unavoidable I/O done bare, with raw `pg` and the SDK,
 * on the same data. SQL statements per request are counted at the pg driver.
 */

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = 200;

let statements = 0;
const originalQuery = pg.Client.prototype.query;
function countStatements(): void {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * A handler and its floors, one sample of each in turn: background load that comes and goes then weighs on all
 * alike, instead of on whichever happened to run while it lasted.
 */
export async function timedInTurn(n: number, ...fns: ((i: number) => Promise<void>)[]): Promise<number[][]> {
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (const [index, fn] of fns.entries()) {
      const start = performance.now();
      await fn(i);
      samples[index]?.push(performance.now() - start);
    }
  }
  return samples.map((list) => list.sort((a, b) => a - b));
}

function row(name: string, samples: number[], note: string): BenchRow {
  const total = samples.reduce((sum, s) => sum + s, 0);
  const p = (q: number) => percentile(samples, q).toFixed(2);
  return {
    part: 'requests',
    case: name,
    rows: samples.length,
    seconds: total / 1000,
    msPerRow: total / samples.length,
    note: `p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms${note ? `; ${note}` : ''}`,
  };
}

export async function benchRequests(): Promise<BenchResult> {
  countStatements();
  const cfg = config();
  const userId = `bench-${randomUUID()}`;
  const token = await signDevToken(userId);
  const raw = new pg.Client({ connectionString: cfg.DATABASE_URL });
  await raw.connect();
  const s3 = await createS3Client(cfg);
  const sqs = await createSqsClient(cfg);
  try {
    // Warm the handler's pool, clients and JIT user row.
    await call(uploadUrlHandler, {
      method: 'POST',
      token,
      body: { filename: 'w.txt', contentType: 'text/plain', size: 1 },
    });
    await raw.query(`update quotas set limit_bytes = 1e15 where user_id = $1`, [userId]);

    // upload-url: handler vs one INSERT round trip + a presign.
    const uploadBody = { filename: 'report.txt', contentType: 'text/plain', size: 64 };
    const invokeUploadUrl = async () => {
      const result = await call(uploadUrlHandler, { method: 'POST', token, body: uploadBody });
      if (result.status !== 201) throw new Error(`upload-url answered ${result.status}`);
    };
    await timed(WARMUP, invokeUploadUrl);
    statements = 0;
    await invokeUploadUrl();
    const uploadStatements = statements;
    // The signer the handler uses (and its signed headers), bare; the floors presign with it or with getSignedUrl.
    const target = directTarget(cfg);
    const credentials = envCredentials();
    if (!target || !credentials) throw new Error('the bench stack should presign without an S3 client');
    const direct = await directPresigner(cfg, target, credentials);
    const presignRequest = (key: string): ObjectPresign => ({
      method: 'PUT',
      key,
      contentType: 'text/plain',
      contentLength: 64,
      expiresIn: 900,
    });
    const presignDirect = (key: string) => direct(presignRequest(key));
    // The floor as first measured (docs/performance.md "Performance"): the SDK's getSignedUrl with a client.
    const presignSdk = (key: string) => presignWithClient(s3, cfg, presignRequest(key));
    const insertFloor = (id: string, key: string) =>
      raw.query(
        `insert into documents (id, user_id, filename, content_type, storage_key, status)
         values ($1, $2, 'report.txt', 'text/plain', $3, 'pending')`,
        [id, userId, key],
      );
    // The statement the handler sends: the quota check is part of the contract (413 at initiation), so a floor
    // sending it isolates what kite's code adds; the plain INSERT is the strict reading.
    const insertFloorSameSql = (id: string, key: string) =>
      raw.query(
        `insert into documents (id, user_id, filename, content_type, storage_key, status)
         select $1, $2, 'report.txt', 'text/plain', $3, 'pending' from quotas
         where user_id = $2 and used_bytes + 64 <= limit_bytes
         returning *`,
        [id, userId, key],
      );
    type Insert = typeof insertFloor;
    type Presign = typeof presignDirect;
    const serial = (insert: Insert, presign: Presign) => async () => {
      const id = randomUUID();
      const key = storageKey(userId, id, 'report.txt');
      await insert(id, key);
      await presign(key);
    };
    // pg writes the statement to the socket within query(), so the signing that follows runs while it executes.
    const overlapped = (insert: Insert, presign: Presign) => async () => {
      const id = randomUUID();
      const key = storageKey(userId, id, 'report.txt');
      const inserted = insert(id, key);
      await Promise.all([inserted, presign(key)]);
    };
    const floors = [
      serial(insertFloor, presignSdk),
      overlapped(insertFloor, presignSdk),
      serial(insertFloor, presignDirect),
      overlapped(insertFloor, presignDirect),
      serial(insertFloorSameSql, presignDirect),
    ];
    for (const floor of floors) await timed(WARMUP, floor);
    const [
      uploadSamples = [],
      uploadFloor = [],
      uploadFloorOverlapped = [],
      uploadFloorDirect = [],
      uploadFloorDirectOverlapped = [],
      uploadFloorSameSql = [],
    ] = await timedInTurn(N, invokeUploadUrl, ...floors);

    // The presign alone, both ways: the SDK's getSignedUrl with a client (what upload-url did before), and the
    // SDK's presigner without one (what it does now, docs/performance.md "Performance").
    const presignKey = storageKey(userId, randomUUID(), 'report.txt');
    const withClient = () => presignSdk(presignKey).then(() => undefined);
    const withoutClient = () => presignDirect(presignKey).then(() => undefined);
    await timed(WARMUP, withClient);
    await timed(WARMUP, withoutClient);
    const [presignWithClientSamples = [], presignDirectSamples = []] = await timedInTurn(
      N,
      withClient,
      withoutClient,
    );

    // confirm: pending documents with real objects, half confirmed by the handler, half by the bare floor.
    const total = 2 * (N + WARMUP) + 1;
    const pending = await raw.query<{ id: string; storage_key: string }>(
      `insert into documents (id, user_id, filename, content_type, storage_key, status)
       select g.id, $1, 'c.txt', 'text/plain', 'users/' || $1 || '/' || g.id || '/c.txt', 'pending'
       from (select gen_random_uuid() as id from generate_series(1, $2)) g
       returning id, storage_key`,
      [userId, total],
    );
    const docs = pending.rows;
    const body = randomBytes(64);
    for (let i = 0; i < docs.length; i += 50) {
      await Promise.all(
        docs
          .slice(i, i + 50)
          .map((d) =>
            s3.send(new PutObjectCommand({ Bucket: cfg.S3_BUCKET, Key: d.storage_key, Body: body })),
          ),
      );
    }
    let next = 0;
    const invokeConfirm = async () => {
      const doc = docs[next++];
      const result = await call(confirmHandler, { method: 'POST', token, params: { id: doc?.id ?? '' } });
      if (result.status !== 200) throw new Error(`confirm answered ${result.status}`);
    };
    await timed(WARMUP, invokeConfirm);
    statements = 0;
    await invokeConfirm();
    const confirmStatements = statements;
    const floorDb = createDb(cfg.DATABASE_URL, 1);
    const floorConfirm = async () => {
      const doc = docs[next++];
      if (!doc) throw new Error('out of documents');
      const head = await s3.send(new HeadObjectCommand({ Bucket: cfg.S3_BUCKET, Key: doc.storage_key }));
      await confirmPendingDocument(floorDb, userId, doc.id, head.ContentLength ?? 0);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: cfg.EXTRACT_QUEUE_URL,
          MessageBody: `{"documentId":"${doc.id}"}`,
        }),
      );
    };
    await timed(WARMUP, floorConfirm);
    const [confirmSamples = [], confirmFloor = []] = await timedInTurn(N, invokeConfirm, floorConfirm);
    await floorDb.destroy();

    const ratio = (a: number[], b: number[]) => percentile(a, 50) / percentile(b, 50);
    const uploadRatio = ratio(uploadSamples, uploadFloor);
    const uploadRatioOverlapped = ratio(uploadSamples, uploadFloorOverlapped);
    const uploadRatioDirect = ratio(uploadSamples, uploadFloorDirect);
    const uploadRatioDirectOverlapped = ratio(uploadSamples, uploadFloorDirectOverlapped);
    const uploadRatioSameSql = ratio(uploadSamples, uploadFloorSameSql);
    const presignRatio = ratio(presignWithClientSamples, presignDirectSamples);
    const confirmRatio = ratio(confirmSamples, confirmFloor);
    const p50 = (samples: number[]) => Number(percentile(samples, 50).toFixed(3));
    return {
      rows: [
        row('upload-url handler', uploadSamples, `${uploadStatements} SQL statement(s)/request`),
        row(
          'upload-url floor: INSERT, then getSignedUrl (serial)',
          uploadFloor,
          `handler/floor ${uploadRatio.toFixed(2)} (target <= 1.0)`,
        ),
        row(
          'upload-url floor: getSignedUrl while the INSERT runs (overlapped)',
          uploadFloorOverlapped,
          `handler/floor ${uploadRatioOverlapped.toFixed(2)} (target <= 1.3)`,
        ),
        row(
          'upload-url floor: INSERT, then presign without a client',
          uploadFloorDirect,
          `handler/floor ${uploadRatioDirect.toFixed(2)}`,
        ),
        row(
          'upload-url floor: presign without a client while the INSERT runs',
          uploadFloorDirectOverlapped,
          `handler/floor ${uploadRatioDirectOverlapped.toFixed(2)}`,
        ),
        row(
          'upload-url floor: same INSERT…SELECT (quota check), presign without a client',
          uploadFloorSameSql,
          `handler/floor ${uploadRatioSameSql.toFixed(2)}`,
        ),
        row('presign: getSignedUrl with an S3 client (before)', presignWithClientSamples, ''),
        row(
          'presign: S3RequestPresigner without a client (now)',
          presignDirectSamples,
          `${presignRatio.toFixed(1)}× cheaper than with a client`,
        ),
        row('confirm handler', confirmSamples, `${confirmStatements} SQL statement(s)/request`),
        row(
          'confirm floor (HEAD + UPDATE + SendMessage)',
          confirmFloor,
          `handler/floor ${confirmRatio.toFixed(2)}`,
        ),
      ],
      summary: {
        uploadUrlP50Ms: p50(uploadSamples),
        uploadUrlFloorP50Ms: p50(uploadFloor),
        uploadUrlRatio: Number(uploadRatio.toFixed(2)),
        uploadUrlFloorOverlappedP50Ms: p50(uploadFloorOverlapped),
        uploadUrlRatioOverlapped: Number(uploadRatioOverlapped.toFixed(2)),
        uploadUrlFloorDirectP50Ms: p50(uploadFloorDirect),
        uploadUrlRatioDirect: Number(uploadRatioDirect.toFixed(2)),
        uploadUrlFloorDirectOverlappedP50Ms: p50(uploadFloorDirectOverlapped),
        uploadUrlRatioDirectOverlapped: Number(uploadRatioDirectOverlapped.toFixed(2)),
        uploadUrlFloorSameSqlP50Ms: p50(uploadFloorSameSql),
        uploadUrlRatioSameSql: Number(uploadRatioSameSql.toFixed(2)),
        uploadUrlStatements: uploadStatements,
        presignWithClientP50Ms: p50(presignWithClientSamples),
        presignDirectP50Ms: p50(presignDirectSamples),
        confirmP50Ms: p50(confirmSamples),
        confirmFloorP50Ms: p50(confirmFloor),
        confirmRatio: Number(confirmRatio.toFixed(2)),
        confirmStatements,
        target:
          'upload-url <= 1.0x the serial floor and <= 1.3x the overlapped one; confirm <= 1.3x; confirm <= 1 statement beyond BEGIN/COMMIT',
      },
    };
  } finally {
    pg.Client.prototype.query = originalQuery;
    await raw.end();
    s3.destroy();
    sqs.destroy();
  }
}
