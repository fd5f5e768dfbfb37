import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { BUCKET_CORS } from './bucket.js';
import { extendS3rverMultipart } from './s3rver-multipart.js';

/** s3rver only accepts these credentials on signed requests; they are emulator-only and not secret. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface Running {
  url: string;
  stop(): Promise<void>;
}

/** The bucket's CORS rule (BUCKET_CORS, the AWS bucket's) as s3rver's configuration XML. */
export function corsXml(origins: readonly string[]): string {
  const tags = (name: string, values: readonly string[]) =>
    values.map((v) => `<${name}>${v}</${name}>`).join('');
  const rules = origins.map(
    (origin) => `<CORSRule>
    <AllowedOrigin>${origin}</AllowedOrigin>
    ${tags('AllowedMethod', BUCKET_CORS.methods)}
    ${tags('AllowedHeader', BUCKET_CORS.headers)}
    ${tags('ExposeHeader', BUCKET_CORS.exposedHeaders)}
    <MaxAgeSeconds>${BUCKET_CORS.maxAgeSeconds}</MaxAgeSeconds>
  </CORSRule>`,
  );
  return `<CORSConfiguration>${rules.join('')}</CORSConfiguration>`;
}

export async function startS3Emulator(options: {
  port?: number;
  directory: string;
  bucket: string;
  allowedOrigins?: readonly string[];
}): Promise<Running> {
  mkdirSync(options.directory, { recursive: true });
  extendS3rverMultipart();
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket, configs: [corsXml(options.allowedOrigins ?? ['*'])] }],
  });
  const address = (await server.run()) as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, stop: () => server.close() as Promise<void> };
}

export async function startSqsEmulator(options: { port?: number }): Promise<Running> {
  const server = await createSqsServer({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ClassifyQueues {
  queueUrl: string;
  dlqUrl: string;
}

/** The classify queue and its dead-letter queue (redrive after `maxReceiveCount` receives); idempotent. */
export async function createClassifyQueues(options: {
  endpoint: string;
  region: string;
  name: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Promise<ClassifyQueues> {
  const sqs = new SQSClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials ?? EMULATOR_CREDENTIALS,
  });
  try {
    const dlqUrl = await ensureQueue(sqs, `${options.name}-dlq`, { MessageRetentionPeriod: '1209600' });
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueUrl = await ensureQueue(sqs, options.name, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.Attributes?.QueueArn,
        maxReceiveCount: options.maxReceiveCount,
      }),
    });
    return { queueUrl, dlqUrl };
  } finally {
    sqs.destroy();
  }
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  try {
    const existing = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (existing.QueueUrl) return existing.QueueUrl;
  } catch {
    // not there yet
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!created.QueueUrl) throw new Error(`could not create queue ${name}`);
  return created.QueueUrl;
}
