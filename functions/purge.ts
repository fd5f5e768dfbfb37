import type { Context } from 'aws-lambda';
import { config } from '../lib/platform/config.js';
import { logger } from '../lib/platform/logger.js';
import { type PurgeCounts, runPurge } from '../lib/purge/purge.js';

// Parsed at init, so a bad setting fails it (docs/operations.md "Configuration").
config();

/** Scheduled (PURGE_SCHEDULE): expired pending uploads go, stranded confirmed uploads are queued again. */
export const handler = async (_event: unknown, context?: Context): Promise<PurgeCounts> => {
  if (context) logger.addContext(context);
  // Leave time for the batch in flight when the deadline passes and for the re-enqueue: 30 s of the 300 s timeout.
  const remaining = context?.getRemainingTimeInMillis();
  const deadline =
    remaining === undefined ? undefined : Date.now() + remaining - Math.min(30_000, remaining / 4);
  const counts = await runPurge({ deadline });
  logger.info('purge finished', { ...counts });
  return counts;
};
