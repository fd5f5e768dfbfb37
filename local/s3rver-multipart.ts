import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import s3Error from 's3rver/lib/models/error.js';
import routes from 's3rver/lib/routes.js';

/*
 * s3rver 3.7 has CreateMultipartUpload, UploadPart and CompleteMultipartUpload, but answers 405 to ListParts and
 * AbortMultipartUpload and NotImplemented to ListMultipartUploads, and completes without checking the parts it
 * is given. `npm start` needs all of them for resumable uploads (docs/api.md "Large files", "s3rver's multipart
 * extension"), so this module adds them to s3rver's own router, over s3rver's own store: an upload is the folder
 * `<bucket>/._S3rver_uploads/<uploadId>/` holding `key`, `metadata`, and each part as `<n>` with `<n>.md5`.
 * The layers are placed right before s3rver's handlers, after its CORS, authentication and bucket checks, so
 * they answer like the rest of s3rver. Written against s3rver 3.7.1 (pinned in package.json) and tested by
 * tests/integration/s3rver-multipart.test.ts.
 */

interface Ctx {
  params: { bucket: string; key?: string; queryMethod?: string };
  query: Record<string, string | undefined>;
  method: string;
  status: number;
  body: unknown;
  req: NodeJS.ReadableStream;
  store: {
    rootDirectory: string;
    putObjectMultipart(
      bucket: string,
      uploadId: string,
      parts: { number: number; etag: string }[],
    ): Promise<{ md5: string; size: number }>;
  };
  href: string;
}
type Next = () => Promise<unknown>;
type Middleware = (ctx: Ctx, next: Next) => Promise<unknown>;
interface Layer {
  path: string;
  methods: string[];
}
interface Router {
  stack: Layer[];
  get(path: string, middleware: Middleware): Router;
  put(path: string, middleware: Middleware): Router;
  post(path: string, middleware: Middleware): Router;
  delete(path: string, middleware: Middleware): Router;
}
type S3ErrorClass = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

// s3rver's internals, as 3.7.1 lays them out (declared loosely in local/s3rver-internals.d.ts).
const router = routes as Router;
const S3Error = s3Error as S3ErrorClass;

const MIN_PART_BYTES = 5 * 1024 * 1024;

const uploadsDir = (ctx: Ctx) => join(ctx.store.rootDirectory, ctx.params.bucket, '._S3rver_uploads');

function noSuchUpload(): Error {
  return new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  );
}

/** The upload's folder, after checking it exists and belongs to the requested key. */
async function uploadDir(ctx: Ctx, uploadId: string): Promise<string> {
  if (!/^[0-9a-f]+$/.test(uploadId)) throw noSuchUpload();
  const dir = join(uploadsDir(ctx), uploadId);
  const key = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
  if (key === undefined || key !== ctx.params.key) throw noSuchUpload();
  return dir;
}

interface StoredPart {
  number: number;
  size: number;
  etag: string;
  lastModified: Date;
}

async function storedParts(dir: string): Promise<StoredPart[]> {
  const names = (await readdir(dir)).filter((name) => /^\d+$/.test(name));
  const parts = await Promise.all(
    names.map(async (name) => {
      const [info, md5] = await Promise.all([
        stat(join(dir, name)),
        readFile(join(dir, `${name}.md5`), 'utf8').catch(() => undefined),
      ]);
      return md5 === undefined
        ? undefined
        : { number: Number(name), size: info.size, etag: md5.trim(), lastModified: info.mtime };
    }),
  );
  return parts.filter((part) => part !== undefined).sort((a, b) => a.number - b.number);
}

function limit(value: string | undefined, fallback: number): number {
  const n = Number(value ?? fallback);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 1000) : fallback;
}

/** GET /:bucket/:key?uploadId — ListParts, paged with max-parts and part-number-marker. */
const listParts: Middleware = async (ctx, next) => {
  if (ctx.params.queryMethod !== 'uploadId' || ctx.method !== 'GET') return next();
  const uploadId = ctx.query.uploadId ?? '';
  const marker = Number(ctx.query['part-number-marker'] ?? 0) || 0;
  const maxParts = limit(ctx.query['max-parts'], 1000);
  const after = (await storedParts(await uploadDir(ctx, uploadId))).filter((part) => part.number > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  ctx.body = {
    ListPartsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: ctx.params.bucket,
      Key: ctx.params.key,
      UploadId: uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.number ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((part) => ({
        PartNumber: part.number,
        LastModified: part.lastModified.toISOString(),
        ETag: JSON.stringify(part.etag),
        Size: part.size,
      })),
    },
  };
};

/** DELETE /:bucket/:key?uploadId — AbortMultipartUpload: the upload and its parts are gone. */
const abortUpload: Middleware = async (ctx, next) => {
  if (ctx.params.queryMethod !== 'uploadId') return next();
  const dir = await uploadDir(ctx, ctx.query.uploadId ?? '');
  await rm(dir, { recursive: true, force: true });
  ctx.status = 204;
  ctx.body = '';
};

/** PUT /:bucket/:key?uploadId&partNumber — UploadPart, refused for an upload that is not (or no longer) there. */
const checkUploadPart: Middleware = async (ctx, next) => {
  if (ctx.params.queryMethod === 'uploadId') {
    const partNumber = Number(ctx.query.partNumber);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        ArgumentName: 'partNumber',
        ArgumentValue: ctx.query.partNumber ?? '',
      });
    }
    await uploadDir(ctx, ctx.query.uploadId ?? '');
  }
  return next();
};

async function readBody(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

function malformed(): Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema.',
  );
}

/** The parts of a CompleteMultipartUpload body: a flat list of `<Part>` with `<PartNumber>` and `<ETag>`. */
function parseCompleteBody(xml: string): { number: number; etag: string }[] {
  const parts = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, inner = '']) => {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(inner)?.[1];
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(inner)?.[1];
    if (number === undefined || etag === undefined) throw malformed();
    return { number: Number(number), etag: etag.replace(/&quot;|"/g, '').trim() };
  });
  if (!/<CompleteMultipartUpload[\s>]/.test(xml) || parts.length === 0) throw malformed();
  return parts;
}

/**
 * POST /:bucket/:key?uploadId — CompleteMultipartUpload, checked as S3 checks it (ascending part numbers, every
 * part uploaded with that ETag, every part but the last at least 5 MiB) before s3rver's store assembles it.
 */
const completeUpload: Middleware = async (ctx, next) => {
  if (ctx.params.queryMethod !== 'uploadId') return next();
  const uploadId = ctx.query.uploadId ?? '';
  const dir = await uploadDir(ctx, uploadId);
  const requested = parseCompleteBody(await readBody(ctx.req));
  const stored = new Map((await storedParts(dir)).map((part) => [part.number, part]));
  requested.forEach((part, i) => {
    const previous = requested[i - 1];
    if (previous && previous.number >= part.number) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order.');
    }
    const held = stored.get(part.number);
    if (!held || held.etag !== part.etag) {
      throw new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
        { UploadId: uploadId, PartNumber: part.number, ETag: part.etag },
      );
    }
  });
  const small = requested.slice(0, -1).find((part) => (stored.get(part.number)?.size ?? 0) < MIN_PART_BYTES);
  if (small) {
    throw new S3Error(
      'EntityTooSmall',
      'Your proposed upload is smaller than the minimum allowed object size.',
      {
        PartNumber: small.number,
        ProposedSize: stored.get(small.number)?.size ?? 0,
        MinSizeAllowed: MIN_PART_BYTES,
      },
    );
  }
  const { md5 } = await ctx.store.putObjectMultipart(ctx.params.bucket, uploadId, requested);
  ctx.body = {
    CompleteMultipartUploadResult: {
      Location: ctx.href.split('?')[0],
      Bucket: ctx.params.bucket,
      Key: ctx.params.key,
      ETag: JSON.stringify(`${md5}-${requested.length}`),
    },
  };
};

/** GET /:bucket?uploads — ListMultipartUploads with prefix, key-marker/upload-id-marker and max-uploads. */
const listUploads: Middleware = async (ctx, next) => {
  if (ctx.params.queryMethod !== 'uploads') return next();
  const prefix = ctx.query.prefix ?? '';
  const keyMarker = ctx.query['key-marker'] ?? '';
  const uploadIdMarker = ctx.query['upload-id-marker'] ?? '';
  const maxUploads = limit(ctx.query['max-uploads'], 1000);
  const ids = await readdir(uploadsDir(ctx)).catch(() => [] as string[]);
  const uploads = (
    await Promise.all(
      ids.map(async (uploadId) => {
        const file = join(uploadsDir(ctx), uploadId, 'key');
        const [key, info] = await Promise.all([
          readFile(file, 'utf8').catch(() => undefined),
          stat(file).catch(() => undefined),
        ]);
        return key === undefined || !info ? undefined : { key, uploadId, initiated: info.mtime };
      }),
    )
  )
    .filter((upload): upload is NonNullable<typeof upload> => upload?.key.startsWith(prefix) === true)
    .sort((a, b) => (a.key === b.key ? a.uploadId.localeCompare(b.uploadId) : a.key < b.key ? -1 : 1))
    .filter(
      (upload) =>
        !keyMarker ||
        upload.key > keyMarker ||
        (upload.key === keyMarker && uploadIdMarker !== '' && upload.uploadId > uploadIdMarker),
    );
  const page = uploads.slice(0, maxUploads);
  const last = page.at(-1);
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: ctx.params.bucket,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: last?.key ?? '',
      NextUploadIdMarker: last?.uploadId ?? '',
      Prefix: prefix,
      MaxUploads: maxUploads,
      IsTruncated: uploads.length > page.length,
      Upload: page.map((upload) => ({
        Key: upload.key,
        UploadId: upload.uploadId,
        Initiated: upload.initiated.toISOString(),
        StorageClass: 'STANDARD',
      })),
    },
  };
};

let installed = false;

/** Adds the operations to s3rver's (module-wide) router; idempotent. Call before the first s3rver starts. */
export function extendS3rverMultipart(): void {
  if (installed) return;
  const additions: [method: 'get' | 'put' | 'post' | 'delete', path: string, middleware: Middleware][] = [
    ['get', '/:bucket', listUploads],
    ['get', '/:bucket/:key+', listParts],
    ['delete', '/:bucket/:key+', abortUpload],
    ['put', '/:bucket/:key+', checkUploadPart],
    ['post', '/:bucket/:key+', completeUpload],
  ];
  for (const [method, path, middleware] of additions) {
    const verb = method.toUpperCase();
    const handlerAt = router.stack.findIndex((layer) => layer.path === path && layer.methods.includes(verb));
    if (handlerAt < 0) throw new Error(`s3rver has no ${verb} ${path} route to extend: is it still 3.7?`);
    router[method](path, middleware);
    const added = router.stack.pop() as Layer;
    router.stack.splice(handlerAt, 0, added);
  }
  installed = true;
}
