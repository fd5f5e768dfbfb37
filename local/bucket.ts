import { CreateBucketCommand, HeadBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';

/** Creates the documents bucket if missing and sets the CORS browsers need to upload and download; idempotent. */
export async function ensureBucket(options: {
  endpoint: string;
  region: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  allowedOrigins: readonly string[];
}): Promise<void> {
  const s3 = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: true,
    credentials: options.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: options.bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: options.bucket }));
    }
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: options.bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [...options.allowedOrigins],
              // README "Large files": POST creates and completes multipart uploads, DELETE aborts them.
              AllowedMethods: ['PUT', 'POST', 'GET', 'HEAD', 'DELETE'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag', 'x-amz-error-code'],
              MaxAgeSeconds: 3000,
            },
          ],
        },
      }),
    );
  } finally {
    s3.destroy();
  }
}
