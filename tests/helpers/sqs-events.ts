import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface RecordOptions {
  body: string | { documentId: string };
  messageId?: string;
  receiveCount?: number;
}

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(options: RecordOptions): SQSRecord {
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const now = String(Date.now());
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `receipt-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: now,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kite-test-classify',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
