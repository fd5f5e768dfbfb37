import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import pg from 'pg';
import { createS3Client, headObjectSize } from '../lib/platform/aws/storage.js';
import { config } from '../lib/platform/config.js';
import { closeDb, db } from '../lib/platform/db/client.js';
import { purgeExpiredUploads } from '../lib/purge/purge.js';

/**
 * One purge strategy in a process of its own, as its Lambda would run it, against the S3 endpoint in its
 * environment (the S3 server, or the latency proxy in front of it): `tsx bench/purge-run.ts batched|naive`.
 * Prints one JSON line: rows purged, seconds, SQL statements (counted at the pg driver) and S3 requests (counted at
 * Node's HTTP client), after a warm-up that connects and loads the clients, as a warm Lambda would have them.
 */

export interface PurgeRun {
  purged: number;
  seconds: number;
  statements: number;
  s3Requests: Record<string, number>;
}

let statements = 0;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

const s3Host = new URL(config().AWS_ENDPOINT_URL_S3 ?? 'http://unset').host;
let s3Requests: Record<string, number> = {};
subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  if (request.getHeader('host') !== s3Host) return;
  const name = operation(request.method, request.path);
  s3Requests[name] = (s3Requests[name] ?? 0) + 1;
  // A server error is retried by the SDK, and that retry is counted above like any request: name them apart.
  request.on('response', (response) => {
    if ((response.statusCode ?? 0) >= 500)
      s3Requests[`${name} answered ${response.statusCode}`] =
        (s3Requests[`${name} answered ${response.statusCode}`] ?? 0) + 1;
  });
});

/** The S3 operation a path-style request is, as far as the purge's requests go. */
function operation(method: string, path: string): string {
  const query = new URL(path, 'http://x').searchParams;
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} (other)`;
}

/** What a first version would write: find the expired rows, then per row one DeleteObject and one DELETE. */
async function naivePurge(s3: Awaited<ReturnType<typeof createS3Client>>): Promise<number> {
  const bucket = config().S3_BUCKET;
  const ttl = config().PENDING_UPLOAD_TTL_SECONDS;
  const expired = await db()
    .selectFrom('documents')
    .select(['id', 'storage_key'])
    .where('status', '=', 'pending')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${ttl})`)
    .execute();
  let purged = 0;
  for (const doc of expired) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: doc.storage_key }));
    await db().deleteFrom('documents').where('id', '=', doc.id).where('status', '=', 'pending').execute();
    purged += 1;
  }
  return purged;
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'batched' && mode !== 'naive') throw new Error('usage: purge-run.ts batched|naive');
  // Warm-up, not counted: the pool's connection, the SDK loaded, a client with a kept-alive socket.
  await sql`select 1`.execute(db());
  await headObjectSize('bench-warm-up');
  const s3 = await createS3Client(config());
  await s3
    .send(new HeadObjectCommand({ Bucket: config().S3_BUCKET, Key: 'bench-warm-up' }))
    .catch(() => undefined);
  statements = 0;
  s3Requests = {};
  const start = performance.now();
  const purged = mode === 'batched' ? await purgeExpiredUploads() : await naivePurge(s3);
  const seconds = (performance.now() - start) / 1000;
  const run: PurgeRun = { purged, seconds, statements, s3Requests };
  s3.destroy();
  await closeDb();
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
