import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientTimeouts, type Config, config, sqsEndpoint } from '../config.js';
import { deadlineSignal } from '../deadline.js';
import { DependencyFailure } from '../errors.js';
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

/**
 * The two stages a confirmed document goes through, each with its own queue (docs/operations.md "Text from scans and
 * photos"): `extract` (hash, text, OCR, thumbnail), which then queues `classify`. Both take `{"documentId"}`.
 */
export type Stage = 'extract' | 'classify';

function queueUrl(stage: Stage): string {
  const cfg = config();
  return stage === 'extract' ? cfg.EXTRACT_QUEUE_URL : cfg.CLASSIFY_QUEUE_URL;
}

export async function enqueue(stage: Stage, documentId: string): Promise<void> {
  const body: ClassifyMessage = { documentId };
  const [{ SendMessageCommand }, client] = await Promise.all([sqsSdk(), sqs()]);
  await client.send(
    new SendMessageCommand({ QueueUrl: queueUrl(stage), MessageBody: JSON.stringify(body) }),
    {
      abortSignal: deadlineSignal(),
    },
  );
}

export const enqueueClassification = (documentId: string) => enqueue('classify', documentId);
export const enqueueExtraction = (documentId: string) => enqueue('extract', documentId);

/** SendMessageBatch takes at most 10 entries. */
const SEND_BATCH = 10;

/**
 * Enqueues many documents with SendMessageBatch, 10 per call, the calls in parallel. An entry SQS refuses is an
 * error (like a failed send: the documents stay `uploaded`, which the purge's re-enqueue picks up).
 */
export async function enqueueMany(stage: Stage, documentIds: readonly string[]): Promise<void> {
  if (documentIds.length === 0) return;
  const [{ SendMessageBatchCommand }, client] = await Promise.all([sqsSdk(), sqs()]);
  const batches: string[][] = [];
  for (let start = 0; start < documentIds.length; start += SEND_BATCH) {
    batches.push(documentIds.slice(start, start + SEND_BATCH));
  }
  await Promise.all(
    batches.map(async (batch) => {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl(stage),
          Entries: batch.map((documentId, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({ documentId } satisfies ClassifyMessage),
          })),
        }),
        { abortSignal: deadlineSignal() },
      );
      if ((result.Failed ?? []).length > 0) {
        throw new DependencyFailure(
          `SQS refused ${result.Failed?.length} of ${batch.length} ${stage} messages`,
        );
      }
    }),
  );
}

export const enqueueClassifications = (documentIds: readonly string[]) =>
  enqueueMany('classify', documentIds);
