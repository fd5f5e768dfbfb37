import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientTimeouts, type Config, config, sqsEndpoint } from '../config.js';
import { deadlineSignal } from '../deadline.js';
import { once } from '../once.js';

// Loaded on first send, like the S3 SDK in storage.ts: only confirm, reprocess and purge's re-enqueue send.
const sqsSdk = /* @__PURE__ */ once(() => import('@aws-sdk/client-sqs'));

export async function createSqsClient(cfg: Config): Promise<SQSClient> {
  const { SQSClient } = await sqsSdk();
  const endpoint = sqsEndpoint(cfg);
  return new SQSClient({
    region: cfg.AWS_REGION,
    ...awsClientTimeouts(cfg),
    ...(endpoint ? { endpoint } : {}),
  });
}

const sqs = /* @__PURE__ */ once(() => createSqsClient(config()));

export interface ClassifyMessage {
  documentId: string;
}

export async function enqueueClassification(documentId: string): Promise<void> {
  const body: ClassifyMessage = { documentId };
  const [{ SendMessageCommand }, client] = await Promise.all([sqsSdk(), sqs()]);
  await client.send(
    new SendMessageCommand({ QueueUrl: config().CLASSIFY_QUEUE_URL, MessageBody: JSON.stringify(body) }),
    { abortSignal: deadlineSignal() },
  );
}
