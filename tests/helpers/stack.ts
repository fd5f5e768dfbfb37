import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import {
  createClassifyQueues,
  EMULATOR_CREDENTIALS,
  startS3Emulator,
  startSqsEmulator,
} from '../../local/emulators.js';
import { DEV_ONLY_JWT_SECRET } from '../../local/token.js';
import { migrate } from '../../migrations/migrator.js';
import { createDatabase, dropDatabase, startTestPostgres } from './postgres.js';

export interface TestStack {
  /** The environment lib/ needs to reach this stack. */
  env: Record<string, string>;
  postgresServerUrl: string;
  stop(): Promise<void>;
}

/**
 * What the tests and the benchmarks run against: PostgreSQL (a throwaway cluster unless TEST_DATABASE_URL or
 * DATABASE_URL is set) with a fresh migrated database, s3rver with a bucket, local-aws-sqs with the classify queue
 * and its DLQ.
 */
export async function startTestStack(options: {
  name: string;
  visibilityTimeoutSeconds: number;
}): Promise<TestStack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const postgres = await startTestPostgres();
  const databaseName = `${options.name.replaceAll('-', '_')}_${process.pid}`;
  const databaseUrl = await createDatabase(postgres.serverUrl, databaseName);
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }),
  });
  await migrate(db);
  await db.destroy();

  const s3Dir = mkdtempSync(join(tmpdir(), `${options.name}-s3-`));
  const bucket = `${options.name}-documents`;
  const s3 = await startS3Emulator({ directory: s3Dir, bucket });
  const sqs = await startSqsEmulator({});
  const queues = await createClassifyQueues({
    endpoint: sqs.url,
    region: 'us-east-1',
    name: `${options.name}-classify`,
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });

  return {
    env: {
      DATABASE_URL: databaseUrl,
      S3_BUCKET: bucket,
      CLASSIFY_QUEUE_URL: queues.queueUrl,
      CLASSIFY_DLQ_URL: queues.dlqUrl,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      JWT_SECRET: DEV_ONLY_JWT_SECRET,
      CLASSIFY_MAX_ATTEMPTS: '3',
    },
    postgresServerUrl: postgres.serverUrl,
    stop: async () => {
      await Promise.allSettled([s3.stop(), sqs.stop()]);
      rmSync(s3Dir, { recursive: true, force: true });
      await dropDatabase(postgres.serverUrl, databaseName).catch(() => undefined);
      await postgres.stop();
    },
  };
}
