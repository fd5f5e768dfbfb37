import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Config, config, sqsEndpoint } from './config.js';

export function createSqsClient(cfg: Config): SQSClient {
  const endpoint = sqsEndpoint(cfg);
  return new SQSClient({ region: cfg.AWS_REGION, ...(endpoint ? { endpoint } : {}) });
}

let shared: SQSClient | undefined;
function sqs(): SQSClient {
  shared ??= createSqsClient(config());
  return shared;
}

export interface ClassifyMessage {
  documentId: string;
}

export async function enqueueClassification(documentId: string): Promise<void> {
  const body: ClassifyMessage = { documentId };
  await sqs().send(
    new SendMessageCommand({ QueueUrl: config().CLASSIFY_QUEUE_URL, MessageBody: JSON.stringify(body) }),
  );
}
