import { inject } from 'vitest';
import { ensureBucket } from '../../local/bucket.js';
import { configure } from './env.js';

/**
 * Gives this test file a bucket of its own (with the test CORS rules), for tests that change bucket-wide settings
 * such as the policy. It goes in S3_BUCKET, so call it in `vi.hoisted` (tests/helpers/env.ts).
 */
export async function useOwnBucket(prefix: string): Promise<void> {
  const env = inject('testEnv');
  const bucket = `${prefix}-${process.pid}`;
  await ensureBucket({
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? '',
    region: env.AWS_REGION ?? 'us-east-1',
    bucket,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '*').split(','),
  });
  configure({ S3_BUCKET: bucket });
}
