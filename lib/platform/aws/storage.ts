import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { awsClientTimeouts, type Config, config, s3Endpoint } from '../config.js';
import { deadlineSignal } from '../deadline.js';
import { DependencyFailure } from '../errors.js';
import { stripControlChars } from '../names.js';
import { once } from '../once.js';
import {
  type DirectPresigner,
  directPresigner,
  directTarget,
  envCredentials,
  type ObjectPresign,
} from './presign.js';

/*
 * The S3 SDK is loaded on first use, not at module load: its initialisation is most of a cold start (~80 ms of
 * ~100 ms for the client alone on the benchmark machine, see docs/performance.md "Performance"), and routes such as the
 * document list, or a purge run with nothing to purge, never touch S3.
 */
type S3Sdk = typeof import('@aws-sdk/client-s3');
export const s3Sdk = /* @__PURE__ */ once(() => import('@aws-sdk/client-s3'));
export const presigner = /* @__PURE__ */ once(() => import('@aws-sdk/s3-request-presigner'));

export async function createS3Client(cfg: Config): Promise<S3Client> {
  const { S3Client } = await s3Sdk();
  const endpoint = s3Endpoint(cfg);
  return new S3Client({
    region: cfg.AWS_REGION,
    ...awsClientTimeouts(cfg),
    // Without these the SDK signs the CRC32 of an empty body into every presigned PUT (which S3 then holds the
    // uploaded bytes to, refusing them) and corrupts streamed bodies on emulators.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

/** The instance's S3 client, made on first use. */
export const s3 = /* @__PURE__ */ once(() => createS3Client(config()));

/**
 * The object key for a document: `users/<user segment>/<documentId>/<name>`, where the name keeps only a safe subset
 * of the filename's last path segment, so no filename can climb out of its prefix or smuggle a control character.
 */
export function storageKey(userId: string, documentId: string, filename: string): string {
  const base = stripControlChars(filename).split(/[/\\]/).pop() ?? '';
  const safe = base
    .normalize('NFKC')
    .replace(/[^\w.\- ]+/g, '_')
    .replace(/\s+/g, '_')
    .replace(/^\.+/, '')
    .slice(-200);
  return `users/${userKeySegment(userId)}/${documentId}/${safe || 'file'}`;
}

/**
 * A user id as exactly one key segment, whatever the IdP put in `sub` (docs/api.md "Uploads"): percent-encoded, so
 * `/`, `%` and unicode cannot split or alias it, and the dot segments `.` and `..` with their dots encoded too,
 * because fetch and browsers resolve those in a presigned URL's path and the object would land outside `users/`.
 * Every other id encodes as before, so existing keys stay what they are.
 */
export function userKeySegment(userId: string): string {
  // Authentication refuses an empty `sub`; an empty segment would merge into `users//`.
  if (userId === '') throw new Error('a storage key needs a user id');
  const encoded = encodeURIComponent(userId);
  return /^\.+$/.test(encoded) ? encoded.replaceAll('.', '%2E') : encoded;
}

/**
 * Where a document's thumbnail lives: beside its object, under the document's own prefix, so it goes wherever the
 * document goes. The name starts with a dot, which storageKey strips from filenames: no upload can take it.
 */
export function thumbnailKey(documentKey: string): string {
  return `${documentKey.slice(0, documentKey.lastIndexOf('/'))}/.thumbnail.webp`;
}

/** Stores bytes kite made itself (a thumbnail); S3 errors propagate. */
export async function putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
  const [{ PutObjectCommand }, client] = await Promise.all([s3Sdk(), s3()]);
  await client.send(
    new PutObjectCommand({ Bucket: config().S3_BUCKET, Key: key, Body: body, ContentType: contentType }),
    { abortSignal: deadlineSignal() },
  );
}

export interface PresignedPut {
  url: string;
  headers: { 'Content-Type': string; 'Content-Length': string };
  expiresAt: Date;
}

/** A PUT URL that only accepts this exact Content-Type and Content-Length. */
export async function presignPut(key: string, contentType: string, size: number): Promise<PresignedPut> {
  const ttl = config().UPLOAD_URL_TTL_SECONDS;
  const url = await presignObject({
    method: 'PUT',
    key,
    contentType,
    contentLength: size,
    expiresIn: ttl,
  });
  return {
    url,
    headers: { 'Content-Type': contentType, 'Content-Length': String(size) },
    expiresAt: new Date(Date.now() + ttl * 1000),
  };
}

export async function presignGet(key: string, downloadName: string): Promise<string> {
  return presignObject({
    method: 'GET',
    key,
    responseContentDisposition: contentDisposition(downloadName),
    expiresIn: config().DOWNLOAD_URL_TTL_SECONDS,
  });
}

/** A thumbnail's GET (docs/api.md "Text from scans and photos (OCR) and previews"): stored as image/webp, shown inline. */
export async function presignThumbnail(key: string): Promise<string> {
  return presignObject({ method: 'GET', key, expiresIn: config().DOWNLOAD_URL_TTL_SECONDS });
}

/**
 * A GET that opens the file in the browser instead of saving it (docs/api.md "Text from scans and photos (OCR) and previews"): inline,
 * with the Content-Type forced to `contentType` (one kite chose, never the client's), from the bucket's own origin.
 */
export async function presignPreview(key: string, filename: string, contentType: string): Promise<string> {
  return presignObject({
    method: 'GET',
    key,
    responseContentDisposition: contentDisposition(filename, 'inline'),
    responseContentType: contentType,
    expiresIn: config().DOWNLOAD_URL_TTL_SECONDS,
  });
}

/** Without an S3 client where lib/platform/aws/presign.ts can (docs/performance.md "Performance"), else with the SDK's getSignedUrl. */
const objectPresigner = /* @__PURE__ */ once(async (): Promise<DirectPresigner> => {
  const cfg = config();
  const target = directTarget(cfg);
  const credentials = envCredentials();
  if (target && credentials) return directPresigner(cfg, target, credentials);
  return async (request) => presignWithClient(await s3(), cfg, request);
});

function presignObject(request: ObjectPresign): Promise<string> {
  return objectPresigner().then((presign) => presign(request));
}

/** The SDK's way: getSignedUrl with an S3 client (the fallback, and what the tests compare the direct URLs with). */
export async function presignWithClient(
  client: S3Client,
  cfg: Config,
  request: ObjectPresign,
): Promise<string> {
  const [{ GetObjectCommand, PutObjectCommand }, { getSignedUrl }] = await Promise.all([
    s3Sdk(),
    presigner(),
  ]);
  const command =
    request.method === 'PUT'
      ? new PutObjectCommand({
          Bucket: cfg.S3_BUCKET,
          Key: request.key,
          ContentType: request.contentType,
          ContentLength: request.contentLength,
        })
      : new GetObjectCommand({
          Bucket: cfg.S3_BUCKET,
          Key: request.key,
          ResponseContentDisposition: request.responseContentDisposition,
          ResponseContentType: request.responseContentType,
        });
  return getSignedUrl(client, command, {
    expiresIn: request.expiresIn,
    ...(request.method === 'PUT' ? { signableHeaders: new Set(['content-type', 'content-length']) } : {}),
    ...(request.signingDate ? { signingDate: request.signingDate } : {}),
  });
}

/** RFC 6266 header (attachment unless asked): an ASCII fallback plus the UTF-8 name (RFC 5987). */
export function contentDisposition(
  filename: string,
  disposition: 'attachment' | 'inline' = 'attachment',
): string {
  const clean = stripControlChars(filename);
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function isNotFound({ S3ServiceException }: S3Sdk, error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  );
}

/** The object's real size, or undefined when there is no object. */
export async function headObjectSize(key: string): Promise<number | undefined> {
  const [sdk, client] = await Promise.all([s3Sdk(), s3()]);
  try {
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: config().S3_BUCKET, Key: key }), {
      abortSignal: deadlineSignal(),
    });
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isNotFound(sdk, error)) return undefined;
    throw error;
  }
}

/** The object's bytes (only the first `maxBytes` when given: a ranged GET), or undefined when there is no object. */
export async function getObjectBytes(key: string, maxBytes?: number): Promise<Uint8Array | undefined> {
  const [sdk, client] = await Promise.all([s3Sdk(), s3()]);
  try {
    const range = maxBytes === undefined ? {} : { Range: `bytes=0-${Math.max(maxBytes, 1) - 1}` };
    const object = await client.send(
      new sdk.GetObjectCommand({ Bucket: config().S3_BUCKET, Key: key, ...range }),
      { abortSignal: deadlineSignal() },
    );
    return object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
  } catch (error) {
    if (isNotFound(sdk, error)) return undefined;
    throw error;
  }
}

/**
 * kite's SHA-256 of a stored object (lowercase hex), streamed: memory stays at the SDK's chunk size whatever the
 * object's size. Undefined when there is no object.
 */
export async function sha256OfObject(key: string, signal?: AbortSignal): Promise<string | undefined> {
  const [sdk, client] = await Promise.all([s3Sdk(), s3()]);
  let object: import('@aws-sdk/client-s3').GetObjectCommandOutput;
  try {
    object = await client.send(new sdk.GetObjectCommand({ Bucket: config().S3_BUCKET, Key: key }), {
      abortSignal: signal ?? deadlineSignal(),
    });
  } catch (error) {
    if (isNotFound(sdk, error)) return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  if (object.Body) {
    for await (const chunk of object.Body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  }
  return hash.digest('hex');
}

const DELETE_BATCH = 1000;

/**
 * S3 answered a DeleteObjects but refused some keys (AccessDenied from a bucket policy, an object lock, …); the
 * other keys of the call were deleted. `failedKeys` lists the refused ones, so no caller loses a key it still owes.
 */
export class ObjectsNotDeletedError extends DependencyFailure {
  constructor(readonly failed: readonly { key: string; code: string }[]) {
    super(`S3 could not delete ${failed.length} object(s), first: ${failed[0]?.key}: ${failed[0]?.code}`);
  }

  get failedKeys(): string[] {
    return this.failed.map((f) => f.key);
  }
}

/**
 * Deletes keys with DeleteObjects, 1000 per call; a missing key is fine. Throws ObjectsNotDeletedError (after every
 * batch was tried) if S3 refused some keys, or S3's error if a call failed as a whole.
 */
export async function deleteObjects(keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const bucket = config().S3_BUCKET;
  const [{ DeleteObjectsCommand }, client] = await Promise.all([s3Sdk(), s3()]);
  const failed: { key: string; code: string }[] = [];
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const result = await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
      { abortSignal: deadlineSignal() },
    );
    for (const error of result.Errors ?? []) {
      if (error.Code !== 'NoSuchKey') failed.push({ key: error.Key ?? '', code: error.Code ?? 'unknown' });
    }
  }
  if (failed.length > 0) throw new ObjectsNotDeletedError(failed);
}
