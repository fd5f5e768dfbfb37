import { CreateBucketCommand, HeadBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * The bucket's CORS rule, the same one serverless.yml gives the AWS bucket (the template test checks they agree), so
 * the browser tests prove what a deployed bucket allows. docs/api.md "Large files": PUT for single uploads and parts, POST
 * to create and complete multipart uploads, GET for downloads and ListParts, DELETE for Abort; the presigned requests
 * sign Content-Type and Content-Length, and uploaders read each part's ETag and the error code when S3 refuses.
 */
export const BUCKET_CORS = {
  methods: ['PUT', 'POST', 'GET', 'HEAD', 'DELETE'],
  headers: ['content-type', 'content-length'],
  exposedHeaders: ['ETag', 'x-amz-error-code'],
  maxAgeSeconds: 3000,
} as const;

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
              AllowedMethods: [...BUCKET_CORS.methods],
              AllowedHeaders: [...BUCKET_CORS.headers],
              ExposeHeaders: [...BUCKET_CORS.exposedHeaders],
              MaxAgeSeconds: BUCKET_CORS.maxAgeSeconds,
            },
          ],
        },
      }),
    );
  } finally {
    s3.destroy();
  }
}
