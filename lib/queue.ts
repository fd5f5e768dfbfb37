import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Config, config, sqsEndpoint } from './config.js';

// Loaded on first send, like the S3 SDK in storage.ts: only confirm, reprocess and purge's re-enqueue send.
type SqsSdk = typeof import('@aws-sdk/client-sqs');
let sdkLoading: Promise<SqsSdk> | undefined;
function sqsSdk(): Promise<SqsSdk> {
  // A failed import is not remembered (the next call retries); a successful one is loaded once per instance.
  sdkLoading ??= import('@aws-sdk/client-sqs').catch((error: unknown) => {
    sdkLoading = undefined;
    throw error;
  });
  return sdkLoading;
}

export async function createSqsClient(cfg: Config): Promise<SQSClient> {
  const { SQSClient } = await sqsSdk();
  const endpoint = sqsEndpoint(cfg);
  return new SQSClient({ region: cfg.AWS_REGION, ...(endpoint ? { endpoint } : {}) });
}

let shared: Promise<SQSClient> | undefined;
function sqs(): Promise<SQSClient> {
  shared ??= createSqsClient(config());
  return shared;
}

export interface ClassifyMessage {
  documentId: string;
}

export async function enqueueClassification(documentId: string): Promise<void> {
  const body: ClassifyMessage = { documentId };
  const [{ SendMessageCommand }, client] = await Promise.all([sqsSdk(), sqs()]);
  await client.send(
    new SendMessageCommand({ QueueUrl: config().CLASSIFY_QUEUE_URL, MessageBody: JSON.stringify(body) }),
  );
}
