import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { extractDocument, parseExtractMessage } from '../lib/extract/extract.js';
import { checkOcrConfig, terminateOcr } from '../lib/extract/ocr.js';
import { config } from '../lib/platform/config.js';
import { withDeadline } from '../lib/platform/deadline.js';
import { logger } from '../lib/platform/logger.js';

// Parsed at init, with the OCR languages' data: a bad setting or a missing language fails the init
// (docs/operations.md "Configuration").
checkOcrConfig(config());

// Time kept after the last page's OCR to save the result and answer; a page may take OCR_PAGE_TIMEOUT_SECONDS.
const SAVE_MARGIN_MS = 15_000;
const DEADLINE_MARGIN_MS = 2_000;

/**
 * SQS → the extract stage (docs/operations.md "Text from scans and photos"): hash, text layer or OCR, page count and
 * thumbnail, then the document is queued for classification. Records one after another (OCR is CPU-bound and one
 * worker serves the instance). A failed record is reported in `batchItemFailures` and redelivered, then
 * dead-lettered; `npm start`'s consumer (local/queue-consumer.ts) honours the same answer.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  const cfg = config();
  const ocrDeadline =
    Date.now() + context.getRemainingTimeInMillis() - cfg.OCR_PAGE_TIMEOUT_SECONDS * 1000 - SAVE_MARGIN_MS;
  const processor = new BatchProcessor(EventType.SQS);
  return withDeadline(context, DEADLINE_MARGIN_MS, () =>
    processPartialResponse(event, (record: SQSRecord) => extractRecord(record, ocrDeadline), processor, {
      context,
      processInParallel: false,
    }),
  );
};

async function extractRecord(record: SQSRecord, deadline: number): Promise<void> {
  const documentId = parseExtractMessage(record.body);
  if (!documentId) {
    logger.error('extract: malformed message dropped', { messageId: record.messageId, body: record.body });
    return;
  }
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const outcome = await extractDocument({ documentId, attempt, deadline });
  logger.info('extract: done', { messageId: record.messageId, documentId, attempt, ...outcome });
}

// Lambda sends SIGTERM before it shuts an instance down (with an extension; locally, the process's own stop): the
// OCR worker thread is ended cleanly rather than killed mid-page.
process.once('SIGTERM', () => {
  void terminateOcr().finally(() => process.exit(0));
});
