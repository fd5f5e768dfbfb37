// Over 300 lines on purpose: `npm start` in order (database, S3, SQS, migrations, serverless-offline, the web front,
// the extract and classify consumers), each step choosing between what it starts itself and what the environment
// points at; read top to bottom, it is the stack's start-up sequence.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { checkOcrConfig } from '../lib/extract/ocr.js';
import { loadConfig } from '../lib/platform/config.js';
import { checkSearchLanguage } from '../lib/search/search-language.js';
import { migrate } from '../migrations/migrator.js';
import { ensureBucket } from './bucket.js';
import { CEPH_DEV_CREDENTIALS, cephInstalled, startCeph } from './ceph.js';
import { type ClassifyConsumer, startClassifyConsumer } from './classify-consumer.js';
import {
  createClassifyQueues,
  EMULATOR_CREDENTIALS,
  type Running,
  startS3Emulator,
  startSqsEmulator,
} from './emulators.js';
import { startEmbeddedPostgres } from './pglite.js';
import { freePort } from './ports.js';
import { STACK_ENV_FILE } from './stack-env.js';
import { DEV_ONLY_JWT_SECRET } from './token.js';
import { startWebFront } from './web.js';
import { ensureWebBuild } from './web-build.js';

/**
 * `npm start`: the whole stack on one machine without Docker. Embedded Postgres (PGlite) unless DATABASE_URL is
 * set, s3rver + local-aws-sqs unless AWS_ENDPOINT_URL is set, then migrations, then serverless offline (which also
 * consumes the classify queue and runs the purge schedule) on a port of its own behind the web front on PORT: the
 * web app at `/`, the API at `/api` (local/web.ts). Prints one line containing `ready` once the API answers there.
 * `npm run dev:docker` runs the same against docker compose's Postgres + LocalStack + Ollama.
 */

// The SDK's notes about Node 20 are noise for a local stack.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

const STAGE = 'local';
const DATA_DIR = process.env.KITE_DATA_DIR ?? join(process.cwd(), '.kite');
const port = Number(process.env.PORT ?? 3000);
const region = process.env.AWS_REGION ?? 'us-east-1';
const bucket = process.env.S3_BUCKET ?? `kite-${STAGE}-documents`;
const queueName = process.env.CLASSIFY_QUEUE_NAME ?? `kite-${STAGE}-classify`;
const extractQueueName = process.env.EXTRACT_QUEUE_NAME ?? `kite-${STAGE}-extract`;
const maxAttempts = Number(process.env.CLASSIFY_MAX_ATTEMPTS ?? 3);
const lambdaPort = Number(process.env.KITE_LAMBDA_PORT ?? 3002);
// As serverless.yml's classify event source: batches of 10, at most 5 invocations at once, 120 s timeout.
const CLASSIFY = { batchSize: 10, concurrency: 5, timeoutMs: 120_000 };
// As serverless.yml's extract event source: one document per invocation, 2 at once (OCR is CPU-bound), 600 s.
const EXTRACT = { batchSize: 1, concurrency: 2, timeoutMs: 600_000 };

const stops: (() => Promise<void>)[] = [];
let offline: ChildProcess | undefined;
const consumers: ClassifyConsumer[] = [];
let stopping = false;

function log(message: string): void {
  console.log(`[kite] ${message}`);
}

/**
 * The functions parse their configuration at cold start; a value they cannot run with must stop `npm start` here,
 * with the readable list of problems, not print `ready` and answer 500 to every call. The URLs the stack is about
 * to start are stood in for.
 */
function checkConfig(env: Record<string, string>): void {
  const cfg = loadConfig({
    DATABASE_URL: 'postgres://stack-starts-it',
    CLASSIFY_QUEUE_URL: 'http://stack-starts-it',
    EXTRACT_QUEUE_URL: 'http://stack-starts-it',
    ...process.env,
    ...env,
  });
  checkOcrConfig(cfg);
}

/**
 * Which provider files documents by default (docs/operations.md "Filing without an LLM"): DEFAULT_AI_PROVIDER when set; else
 * Ollama when it answers at OLLAMA_HOST; else kite's own `local` classifier, so a first `npm start` with no model
 * server files documents (once a person has filed a few) instead of failing every one.
 */
async function filingProvider(): Promise<string> {
  if (process.env.DEFAULT_AI_PROVIDER) {
    log(`filing: ${process.env.DEFAULT_AI_PROVIDER} (DEFAULT_AI_PROVIDER)`);
    return process.env.DEFAULT_AI_PROVIDER;
  }
  const host = process.env.OLLAMA_HOST || 'http://127.0.0.1:11434';
  try {
    // Any HTTP answer means a server listens there (Ollama answers /api/tags; a proxy may answer otherwise).
    await fetch(new URL('/api/tags', host), { signal: AbortSignal.timeout(1500) });
    log(`filing: ollama at ${host}`);
    return 'ollama';
  } catch {
    // No model server: the local classifier files instead.
  }
  log(`filing: local (no LLM answered at ${host}; set DEFAULT_AI_PROVIDER or OLLAMA_HOST to use one)`);
  return 'local';
}

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  ensureWebBuild(log);
  // serverless offline's own port, behind the web front on PORT (any free one unless KITE_API_PORT says).
  const apiPort = Number(process.env.KITE_API_PORT || (await freePort()));
  const env: Record<string, string> = {
    AWS_REGION: region,
    S3_BUCKET: bucket,
    CLASSIFY_QUEUE_NAME: queueName,
    EXTRACT_QUEUE_NAME: extractQueueName,
    CLASSIFY_MAX_ATTEMPTS: String(maxAttempts),
    // In .kite/local.env too, so `npm run reindex` in another shell indexes in the stack's language.
    SEARCH_LANGUAGE: process.env.SEARCH_LANGUAGE || 'simple',
    JWT_SECRET: process.env.JWT_SECRET || (process.env.JWKS_URL ? '' : DEV_ONLY_JWT_SECRET),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  env.DEFAULT_AI_PROVIDER = await filingProvider();
  checkConfig(env);

  if (process.env.DATABASE_URL) {
    env.DATABASE_URL = process.env.DATABASE_URL;
    log(`database: ${redact(env.DATABASE_URL)} (DATABASE_URL)`);
  } else {
    const postgres = await startEmbeddedPostgres({
      directory: join(DATA_DIR, 'pgdata'),
      port: Number(process.env.KITE_PG_PORT ?? 5433),
    });
    stops.push(postgres.stop);
    env.DATABASE_URL = postgres.url;
    log(`database: ${postgres.url} (embedded PGlite, data in ${join(DATA_DIR, 'pgdata')})`);
  }

  if (process.env.AWS_ENDPOINT_URL) {
    env.AWS_ENDPOINT_URL = process.env.AWS_ENDPOINT_URL;
    env.AWS_ENDPOINT_URL_S3 = process.env.AWS_ENDPOINT_URL;
    env.AWS_ENDPOINT_URL_SQS = process.env.AWS_ENDPOINT_URL;
    env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? 'test';
    env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY ?? 'test';
    log(`S3 and SQS: ${process.env.AWS_ENDPOINT_URL} (AWS_ENDPOINT_URL)`);
  } else {
    const s3 = await startLocalS3();
    stops.push(s3.stop);
    const sqs = await startSqsEmulator({ port: Number(process.env.KITE_SQS_PORT ?? 9324) });
    stops.push(sqs.stop);
    env.AWS_ENDPOINT_URL_S3 = s3.url;
    env.AWS_ENDPOINT_URL_SQS = sqs.url;
    env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    log(`S3: ${s3.url} (${s3.description})  SQS: ${sqs.url} (local-aws-sqs, in memory)`);
  }

  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  };
  await ensureBucket({
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? '',
    region,
    bucket,
    credentials,
    allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '*').split(','),
  });
  const queues = await createClassifyQueues({
    endpoint: env.AWS_ENDPOINT_URL_SQS ?? '',
    region,
    name: queueName,
    maxReceiveCount: maxAttempts,
    // The retry delay of a failed classification: above classify's 120 s timeout, far below AWS's 720 s so a
    // developer without an LLM sees `failed` within minutes.
    visibilityTimeoutSeconds: 150,
    credentials,
  });
  env.CLASSIFY_QUEUE_URL = queues.queueUrl;
  const extractQueues = await createClassifyQueues({
    endpoint: env.AWS_ENDPOINT_URL_SQS ?? '',
    region,
    name: extractQueueName,
    maxReceiveCount: maxAttempts,
    // Above extract's 600 s timeout: a long scan is not delivered twice while it is being read.
    visibilityTimeoutSeconds: 660,
    credentials,
  });
  env.EXTRACT_QUEUE_URL = extractQueues.queueUrl;

  const migrations = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 }) }),
  });
  try {
    const { results = [] } = await migrate(migrations);
    log(
      results.length
        ? `migrations applied: ${results.map((r) => r.migrationName).join(', ')}`
        : 'database up to date',
    );
    // Only the database knows its text search configurations: an unknown SEARCH_LANGUAGE stops here, not ready.
    await checkSearchLanguage(migrations, (env.SEARCH_LANGUAGE ?? '').trim().toLowerCase());
  } finally {
    await migrations.destroy();
  }

  writeStackEnv(env);
  offline = spawn(
    process.execPath,
    [
      require.resolve('osls/bin/serverless.js'),
      'offline',
      'start',
      '--stage',
      STAGE,
      ...(process.env.KITE_SLS_CONFIG ? ['--config', process.env.KITE_SLS_CONFIG] : []),
    ],
    {
      env: { ...process.env, ...env, PORT: String(apiPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  offline.stdout?.on('data', (chunk: Buffer) => process.stdout.write(prefix(chunk)));
  offline.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
  offline.on('exit', (code) => {
    offline = undefined;
    if (!stopping) {
      log(`serverless offline exited (${code}); stopping`);
      void shutdown(1);
    }
  });

  const front = await startWebFront({
    port,
    api: `http://127.0.0.1:${apiPort}`,
    jwtSecret: env.JWT_SECRET ?? '',
    bucketOrigin: env.AWS_ENDPOINT_URL_S3 ?? '',
  });
  stops.push(front.stop);
  const site = front.url;
  await waitForApi(`${site}/api/me`);
  for (const [name, queueUrl, queue, settings] of [
    ['extract', extractQueues.queueUrl, extractQueueName, EXTRACT],
    ['classify', queues.queueUrl, queueName, CLASSIFY],
  ] as const) {
    consumers.push(
      startClassifyConsumer({
        name,
        queueUrl,
        queueArn: `arn:aws:sqs:${region}:000000000000:${queue}`,
        region,
        endpoint: env.AWS_ENDPOINT_URL_SQS ?? '',
        credentials,
        invokeUrl: `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/kite-${STAGE}-${name}/invocations`,
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        invocationTimeoutMs: settings.timeoutMs + 10_000,
        log: (message) => log(message),
      }),
    );
    log(`${name} queue consumed: ${settings.concurrency} pollers, batches of up to ${settings.batchSize}`);
  }
  log(
    `ready: ${site}/ (the web app; the API under /api; a token for scripts: npm run token -- <user> [--admin])`,
  );
}

/**
 * s3rver by default (nothing to install, checks no signature); `KITE_S3=ceph` runs Ceph's RADOS Gateway instead,
 * which fails the way AWS fails (docs/operations.md "npm start with a strict S3").
 */
async function startLocalS3(): Promise<
  Running & { credentials: { accessKeyId: string; secretAccessKey: string }; description: string }
> {
  const port = Number(process.env.KITE_S3_PORT ?? 4569);
  const choice = process.env.KITE_S3 ?? 's3rver';
  if (choice === 'ceph') {
    if (!cephInstalled()) {
      throw new Error(
        'KITE_S3=ceph needs Ceph: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd',
      );
    }
    const directory = join(DATA_DIR, 'ceph');
    const ceph = await startCeph({ directory, persistent: true, port, ...CEPH_DEV_CREDENTIALS });
    const kept = ceph.restored ? 'objects kept from the last clean stop' : 'new and empty';
    return {
      url: ceph.url,
      stop: ceph.stop,
      credentials: ceph.credentials,
      description: `radosgw, signatures checked; Ceph memstore in ${directory}, ${kept}, up in ${ceph.readyAfterMs} ms`,
    };
  }
  if (choice !== 's3rver') throw new Error(`KITE_S3 must be s3rver or ceph, not ${choice}`);
  const directory = join(DATA_DIR, 's3');
  const s3 = await startS3Emulator({ port, directory, bucket, allowedOrigins: ['*'] });
  return { ...s3, credentials: EMULATOR_CREDENTIALS, description: `s3rver, data in ${directory}` };
}

function prefix(chunk: Buffer): string {
  return (
    chunk
      .toString()
      .split('\n')
      // Only our own line may say "ready" (scripts wait for it), so offline's "Server ready" is reworded.
      .map((line) => (line ? `[offline] ${line.replace(/Server ready/, 'Server listening')}` : line))
      .join('\n')
  );
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** `npm run purge`, `npm run migrate` and friends read this to reach the same stack. */
function writeStackEnv(env: Record<string, string>): void {
  mkdirSync(dirname(STACK_ENV_FILE), { recursive: true });
  const lines = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  writeFileSync(STACK_ENV_FILE, `# written by npm start; removed when it stops\n${lines.join('\n')}\n`);
}

async function waitForApi(url: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (!offline) throw new Error('serverless offline stopped before the API answered');
    try {
      const response = await fetch(url);
      // 401 without a token: the API answers and the auth stack runs.
      if (response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not answer on ${url} within 180 s`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping');
  await Promise.all(
    consumers.map((consumer) =>
      consumer.stop().catch((error) => log(`queue consumer stop failed: ${error}`)),
    ),
  );
  const child = offline;
  if (child?.pid) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  for (const stop of stops.reverse()) await stop().catch((error) => log(`stop failed: ${error}`));
  rmSync(STACK_ENV_FILE, { force: true });
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (error) => {
  console.error(`[kite] failed to start: ${error instanceof Error ? error.message : error}`);
  await shutdown(1);
});
