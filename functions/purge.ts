import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger.js';
import { type PurgeCounts, runPurge } from '../lib/purge.js';

/** Scheduled (PURGE_SCHEDULE): expired pending uploads go, stranded confirmed uploads are queued again. */
export const handler = async (_event: unknown, context?: Context): Promise<PurgeCounts> => {
  if (context) logger.addContext(context);
  const counts = await runPurge();
  logger.info('purge finished', { ...counts });
  return counts;
};
