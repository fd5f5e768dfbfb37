import { beforeAll, inject } from 'vitest';
import { ensureBucket } from '../../local/bucket.js';

/**
 * Gives this test file a bucket of its own (with the test CORS rules), for tests that change bucket-wide settings
 * such as the policy. It is set in S3_BUCKET before any test runs, which is before lib/ reads its config.
 */
export function useOwnBucket(prefix: string): void {
  beforeAll(async () => {
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
    process.env.S3_BUCKET = bucket;
  });
}
