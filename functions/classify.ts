import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { classifyDocument, parseClassifyMessage } from '../lib/classify/classify.js';
import { config } from '../lib/platform/config.js';
import { withDeadline } from '../lib/platform/deadline.js';
import { logger } from '../lib/platform/logger.js';

// Parsed at init, so a bad setting fails it (docs/operations.md "Configuration").
config();

// Leaves time to record a failed attempt before Lambda's own timeout would cut the whole batch off.
const SAFETY_MARGIN_MS = 5_000;
// After this, nothing more is sent to Postgres, S3 or SQS (docs/operations.md "Timeouts and faults"): the batch's answer is due.
const DEADLINE_MARGIN_MS = 2_000;

/**
 * SQS → classification, one record at a time (in parallel within a batch). A failed record is reported in
 * `batchItemFailures`, so SQS redelivers only it and dead-letters it after maxReceiveCount receives. When every
 * record failed, Powertools throws (FullBatchFailureError), which fails the whole batch the same way. `npm start`'s
 * consumer (local/classify-consumer.ts) honours both.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  // One processor per invocation: it holds the batch's state, and tests invoke the handler concurrently.
  const processor = new BatchProcessor(EventType.SQS);
  return withDeadline(context, DEADLINE_MARGIN_MS, () =>
    processPartialResponse(event, (record: SQSRecord) => classifyRecord(record, deadline), processor, {
      context,
    }),
  );
};

async function classifyRecord(record: SQSRecord, deadline: number): Promise<void> {
  const documentId = parseClassifyMessage(record.body);
  if (!documentId) {
    // Redelivering a malformed body cannot fix it: log it and acknowledge it.
    logger.error('classify: malformed message dropped', { messageId: record.messageId, body: record.body });
    return;
  }
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const timeoutMs = Math.max(deadline - Date.now(), 1_000);
  const outcome = await classifyDocument({ documentId, attempt, timeoutMs });
  logger.info('classify: done', { messageId: record.messageId, documentId, attempt, ...outcome });
}
