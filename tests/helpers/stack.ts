import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ensureBucket } from '../../local/bucket.js';
import { cephInstalled, startCeph } from '../../local/ceph.js';
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
  /** Which S3 the stack runs: radosgw checks signatures, s3rver does not. */
  s3: TestS3['kind'];
  stop(): Promise<void>;
}

/** The origin the test bucket's CORS allows (ALLOWED_ORIGINS of the test environment). */
export const TEST_ORIGIN = 'http://app.example.test';

interface TestS3 {
  kind: 'radosgw' | 's3rver';
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Ceph's RADOS Gateway when its binaries are installed (it checks what kite signs, as AWS does), else s3rver.
 * `KITE_S3=ceph` insists on radosgw (CI), `KITE_S3=s3rver` chooses s3rver (docs/development.md "Which S3 the tests use").
 */
async function startTestS3(name: string, bucket: string): Promise<TestS3> {
  const wanted = process.env.KITE_S3;
  if (wanted && wanted !== 'ceph' && wanted !== 's3rver') {
    throw new Error(`KITE_S3 must be ceph or s3rver, not ${wanted}`);
  }
  if (wanted === 'ceph' && !cephInstalled()) {
    throw new Error(
      'KITE_S3=ceph needs Ceph: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd',
    );
  }
  if (wanted === 'ceph' || (wanted !== 's3rver' && cephInstalled())) {
    const ceph = await startCeph();
    await ensureBucket({
      endpoint: ceph.url,
      region: 'us-east-1',
      bucket,
      credentials: ceph.credentials,
      allowedOrigins: [TEST_ORIGIN],
    });
    console.info(
      `[${name}] S3: radosgw (Ceph ${ceph.url}, up in ${ceph.readyAfterMs} ms), signatures checked`,
    );
    return { kind: 'radosgw', ...ceph };
  }
  const directory = mkdtempSync(join(tmpdir(), `${name}-s3-`));
  const s3 = await startS3Emulator({ directory, bucket, allowedOrigins: [TEST_ORIGIN] });
  console.info(
    `[${name}] S3: s3rver — signatures and lengths are NOT checked (install radosgw ceph-mon ceph-osd for a real S3)`,
  );
  return {
    kind: 's3rver',
    url: s3.url,
    credentials: EMULATOR_CREDENTIALS,
    stop: async () => {
      await s3.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * What the tests and the benchmarks run against: PostgreSQL (a throwaway cluster unless TEST_DATABASE_URL or
 * DATABASE_URL is set) with a fresh migrated database, an S3 (radosgw or s3rver, see startTestS3) with a bucket,
 * local-aws-sqs with the classify queue and its DLQ.
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

  const bucket = `${options.name}-documents`;
  const s3 = await startTestS3(options.name, bucket);
  const sqs = await startSqsEmulator({});
  const queues = await createClassifyQueues({
    endpoint: sqs.url,
    region: 'us-east-1',
    name: `${options.name}-classify`,
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
  const extractQueues = await createClassifyQueues({
    endpoint: sqs.url,
    region: 'us-east-1',
    name: `${options.name}-extract`,
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });

  return {
    env: {
      DATABASE_URL: databaseUrl,
      S3_BUCKET: bucket,
      CLASSIFY_QUEUE_URL: queues.queueUrl,
      CLASSIFY_DLQ_URL: queues.dlqUrl,
      EXTRACT_QUEUE_URL: extractQueues.queueUrl,
      EXTRACT_DLQ_URL: extractQueues.dlqUrl,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      ALLOWED_ORIGINS: TEST_ORIGIN,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      JWT_SECRET: DEV_ONLY_JWT_SECRET,
      CLASSIFY_MAX_ATTEMPTS: '3',
    },
    postgresServerUrl: postgres.serverUrl,
    s3: s3.kind,
    stop: async () => {
      await Promise.allSettled([s3.stop(), sqs.stop()]);
      await dropDatabase(postgres.serverUrl, databaseName).catch(() => undefined);
      await postgres.stop();
    },
  };
}
