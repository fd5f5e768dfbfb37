import type { TestProject } from 'vitest/node';
import { ensureWebBuild } from '../../local/web-build.js';
import { startTestStack } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: Record<string, string>;
    postgresServerUrl: string;
    /** radosgw checks signatures and lengths; s3rver does not (tests that need a strict S3 ask for it). */
    testS3: 'radosgw' | 's3rver';
  }
}

/** Starts what the suite needs once: PostgreSQL, the S3 and SQS emulators, a migrated database. */
export default async function setup(project: TestProject) {
  // The browser tests and every npm start the suite runs serve web/dist: build it once here, before they start.
  ensureWebBuild((message) => console.info(message));
  // Visibility 1 s: a message a test received but left alone is back for the test that wants it.
  const stack = await startTestStack({ name: 'kite-test', visibilityTimeoutSeconds: 1 });
  project.provide('testEnv', {
    ...stack.env,
    // In-process tests run many requests at once; a Lambda instance would hold one connection.
    DB_POOL_MAX: '20',
    MAX_UPLOAD_BYTES: String(1024 * 1024),
    DEFAULT_QUOTA_BYTES: String(10 * 1024 * 1024),
    LOG_LEVEL: 'SILENT',
  });
  project.provide('postgresServerUrl', stack.postgresServerUrl);
  project.provide('testS3', stack.s3);
  return stack.stop;
}
