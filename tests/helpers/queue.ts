import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** The same for the extract queue, where confirm sends every document first. */
export const awaitExtractMessage = (documentId: string) => awaitClassifyMessage(documentId, 'extract');

/**
 * Reads the classify (or extract) queue until a message for `documentId` shows up and deletes it; undefined after 10 s. Other
 * test files share the queue, so other messages are left alone (they reappear after the visibility timeout).
 */
export async function awaitClassifyMessage(
  documentId: string,
  queue: 'classify' | 'extract' = 'classify',
): Promise<unknown> {
  const queueUrl = queue === 'extract' ? process.env.EXTRACT_QUEUE_URL : process.env.CLASSIFY_QUEUE_URL;
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_SQS });
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of received.Messages ?? []) {
        const body = JSON.parse(message.Body ?? '{}');
        if (body.documentId === documentId) {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          return body;
        }
      }
    }
    return undefined;
  } finally {
    sqs.destroy();
  }
}
