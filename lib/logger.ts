import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured JSON logger (level, message, timestamp, request id, userId where known). */
export const logger = new Logger({
  serviceName: 'kite',
  logLevel: (process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as 'INFO',
});
