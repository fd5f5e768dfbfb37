import { Logger } from '@aws-lambda-powertools/logger';
import { configuredLogLevel } from './config.js';

/** The one structured JSON logger (level, message, timestamp, request id, userId where known). */
export const logger = new Logger({ serviceName: 'kite', logLevel: configuredLogLevel() });
