import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  createClassifyQueues,
  EMULATOR_CREDENTIALS,
  startS3Emulator,
  startSqsEmulator,
} from '../../local/emulators.js';
import { DEV_ONLY_JWT_SECRET } from '../../local/token.js';
import { migrate } from '../../migrations/migrator.js';
import { createDatabase, dropDatabase, startTestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: Record<string, string>;
    postgresServerUrl: string;
  }
}

/** Starts what the suite needs once: PostgreSQL, the S3 and SQS emulators, a migrated database. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const postgres = await startTestPostgres();
  const databaseName = `kite_test_${process.pid}`;
  const databaseUrl = await createDatabase(postgres.serverUrl, databaseName);
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }),
  });
  await migrate(db);
  await db.destroy();

  const s3Dir = mkdtempSync(join(tmpdir(), 'kite-s3-'));
  const bucket = 'kite-test-documents';
  const s3 = await startS3Emulator({ directory: s3Dir, bucket });
  const sqs = await startSqsEmulator({});
  const queues = await createClassifyQueues({
    endpoint: sqs.url,
    region: 'us-east-1',
    name: 'kite-test-classify',
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 1,
  });

  const testEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    DB_POOL_MAX: '20',
    S3_BUCKET: bucket,
    CLASSIFY_QUEUE_URL: queues.queueUrl,
    CLASSIFY_DLQ_URL: queues.dlqUrl,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    JWT_SECRET: DEV_ONLY_JWT_SECRET,
    MAX_UPLOAD_BYTES: String(1024 * 1024),
    DEFAULT_QUOTA_BYTES: String(10 * 1024 * 1024),
    CLASSIFY_MAX_ATTEMPTS: '3',
    LOG_LEVEL: 'SILENT',
  };
  project.provide('testEnv', testEnv);
  project.provide('postgresServerUrl', postgres.serverUrl);

  return async () => {
    await Promise.allSettled([s3.stop(), sqs.stop()]);
    rmSync(s3Dir, { recursive: true, force: true });
    await dropDatabase(postgres.serverUrl, databaseName).catch(() => undefined);
    await postgres.stop();
  };
}
