import { config } from '../config.js';
import { deadlineSignal } from '../deadline.js';
import { presigner, s3, s3Sdk } from './storage.js';

// Multipart uploads on S3 (docs/api.md "Large files"): the requests kite signs for a client that uploads a large file
// in parts, and the abort of uploads left open under a key. Apart from storage.ts, which single-object routes load.

/** A request the client sends straight to S3, signed by kite (docs/api.md "Large files"). */
export interface PresignedRequest {
  url: string;
  method: 'POST' | 'PUT' | 'GET' | 'DELETE';
  headers: Record<string, string>;
  expiresAt: Date;
}

/** What getSignedUrl needs to sign exactly these headers, and the ticket around the URL it returns. */
async function signer(headers: Record<string, string>) {
  const ttl = config().UPLOAD_URL_TTL_SECONDS;
  const [sdk, { getSignedUrl }, client] = await Promise.all([s3Sdk(), presigner(), s3()]);
  const options = {
    expiresIn: ttl,
    signableHeaders: new Set(Object.keys(headers).map((h) => h.toLowerCase())),
  };
  const ticket = (url: string, method: PresignedRequest['method']): PresignedRequest => ({
    url,
    method,
    headers,
    expiresAt: new Date(Date.now() + ttl * 1000),
  });
  return { sdk, getSignedUrl, client, options, ticket, bucket: config().S3_BUCKET };
}

/** CreateMultipartUpload on the key, with the document's Content-Type signed. */
export async function presignCreateMultipart(key: string, contentType: string): Promise<PresignedRequest> {
  const { sdk, getSignedUrl, client, options, ticket, bucket } = await signer({
    'Content-Type': contentType,
  });
  const command = new sdk.CreateMultipartUploadCommand({
    Bucket: bucket,
    Key: key,
    ContentType: contentType,
  });
  return ticket(await getSignedUrl(client, command, options), 'POST');
}

/**
 * UploadPart URLs, each accepting exactly its part's Content-Length. The SDK serialises and signs the first part
 * (endpoint, addressing style, key encoding, signing region); the others are that same request with their own
 * part number and length, signed by the same SigV4 presigner. That is ~5× faster than a getSignedUrl per part,
 * which runs the whole middleware stack each time (docs/performance.md "Performance": signing 1000 parts).
 */
export async function presignUploadParts(
  key: string,
  uploadId: string,
  parts: readonly { partNumber: number; length: number }[],
  signingDate = new Date(),
): Promise<(PresignedRequest & { partNumber: number })[]> {
  const [first, ...rest] = parts;
  if (!first) return [];
  const ttl = config().UPLOAD_URL_TTL_SECONDS;
  const [sdk, { getSignedUrl, S3RequestPresigner }, client] = await Promise.all([s3Sdk(), presigner(), s3()]);
  const options = { expiresIn: ttl, signableHeaders: new Set(['content-length']), signingDate };
  const ticket = (partNumber: number, length: number, url: string) => ({
    partNumber,
    url,
    method: 'PUT' as const,
    headers: { 'Content-Length': String(length) },
    expiresAt: new Date(signingDate.getTime() + ttl * 1000),
  });
  const firstUrl = await getSignedUrl(
    client,
    new sdk.UploadPartCommand({
      Bucket: config().S3_BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: first.partNumber,
      ContentLength: first.length,
    }),
    options,
  );
  const template = new URL(firstUrl);
  const query = Object.fromEntries([...template.searchParams].filter(([name]) => !name.startsWith('X-Amz-')));
  // X-Amz-Credential is <key id>/<date>/<region>/<service>/aws4_request.
  const [, , signingRegion = '', signingService = 's3'] = (
    template.searchParams.get('X-Amz-Credential') ?? ''
  ).split('/');
  const signer = new S3RequestPresigner({
    ...client.config,
    region: async () => signingRegion,
    signingName: signingService,
  });
  const others = await Promise.all(
    rest.map(async ({ partNumber, length }) => {
      const signed = await signer.presign(
        {
          method: 'PUT',
          protocol: template.protocol,
          hostname: template.hostname,
          ...(template.port ? { port: Number(template.port) } : {}),
          path: template.pathname,
          query: { ...query, partNumber: String(partNumber) },
          headers: { host: template.host, 'content-length': String(length) },
        },
        { ...options, signingRegion, signingService },
      );
      const search = new URLSearchParams(signed.query as Record<string, string>).toString();
      return ticket(partNumber, length, `${template.origin}${template.pathname}?${search}`);
    }),
  );
  return [ticket(first.partNumber, first.length, firstUrl), ...others];
}

/** ListParts, from after `partNumberMarker` when given (S3 answers up to 1000 parts per page). */
export async function presignListParts(
  key: string,
  uploadId: string,
  partNumberMarker?: number,
): Promise<PresignedRequest> {
  const { sdk, getSignedUrl, client, options, ticket, bucket } = await signer({});
  const marker = partNumberMarker === undefined ? {} : { PartNumberMarker: String(partNumberMarker) };
  const command = new sdk.ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, ...marker });
  return ticket(await getSignedUrl(client, command, options), 'GET');
}

export async function presignCompleteMultipart(key: string, uploadId: string): Promise<PresignedRequest> {
  const { sdk, getSignedUrl, client, options, ticket, bucket } = await signer({});
  const command = new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId });
  return ticket(await getSignedUrl(client, command, options), 'POST');
}

export async function presignAbortMultipart(key: string, uploadId: string): Promise<PresignedRequest> {
  const { sdk, getSignedUrl, client, options, ticket, bucket } = await signer({});
  const command = new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId });
  return ticket(await getSignedUrl(client, command, options), 'DELETE');
}

/** Keys listed and aborted at once by abortMultipartUploads. */
const ABORT_CONCURRENCY = 8;

/**
 * Aborts every unfinished multipart upload of these exact keys, found with ListMultipartUploads (so an upload
 * whose id kite never learned goes too); one already gone is fine. Returns how many were aborted.
 */
export async function abortMultipartUploads(keys: readonly string[]): Promise<number> {
  let aborted = 0;
  for (let start = 0; start < keys.length; start += ABORT_CONCURRENCY) {
    const counts = await Promise.all(keys.slice(start, start + ABORT_CONCURRENCY).map(abortUploadsOf));
    aborted += counts.reduce((sum, n) => sum + n, 0);
  }
  return aborted;
}

async function abortUploadsOf(key: string): Promise<number> {
  const bucket = config().S3_BUCKET;
  const [sdk, client] = await Promise.all([s3Sdk(), s3()]);
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: key,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
      { abortSignal: deadlineSignal() },
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== key || !upload.UploadId) continue;
      try {
        await client.send(
          new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }),
          { abortSignal: deadlineSignal() },
        );
        aborted += 1;
      } catch (error) {
        if (!(error instanceof sdk.S3ServiceException && error.name === 'NoSuchUpload')) throw error;
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return aborted;
}
