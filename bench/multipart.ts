import { randomUUID } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { handler as confirmHandler } from '../functions/confirm.js';
import { handler as uploadUrlHandler } from '../functions/upload-url.js';
import { createS3Client, deleteObjects } from '../lib/platform/aws/storage.js';
import { config } from '../lib/platform/config.js';
import { createDb } from '../lib/platform/db/client.js';
import { ensureUser } from '../lib/users/users.queries.js';
import { signDevToken } from '../local/token.js';
import { call } from '../tests/helpers/api.js';
import {
  completeXml,
  createMultipartUpload,
  send,
  sign,
  startMultipart,
} from '../tests/helpers/multipart.js';
import type { BenchResult, BenchRow } from './result.js';

const MiB = 1024 * 1024;
const PARALLEL = 4;

/**
 * docs/performance.md "Performance", large files: the same bytes to the same S3 as one presigned PUT (the baseline) and as
 * multipart parts with 4 in flight, in MB/s; then the API's time to sign 1000 parts in one call, against a
 * getSignedUrl per part (what signing each part on its own costs) in the same run. BENCH_MULTIPART_MB sets the
 * size: 256 MB by default, what the tests' radosgw (memstore: objects in 1 GiB of RAM, deleted ones kept until
 * its garbage collection) holds twice over comfortably.
 */
export async function benchMultipart(): Promise<BenchResult> {
  const megabytes = Number(process.env.BENCH_MULTIPART_MB ?? 256);
  const size = megabytes * MiB;
  const userId = `bench-mp-${randomUUID()}`;
  const token = await signDevToken(userId);
  const db = createDb(config().DATABASE_URL, 1);
  try {
    await ensureUser(db, { id: userId, email: null, role: 'user' }, 16 * 1024 * MiB);
    const bytes = Buffer.alloc(size, 7);

    const single = await singlePut(token, bytes);
    await deleteObjects([single.key]);
    const parts = await multipartPut(token, bytes);
    await deleteObjects([parts.key]);
    const signing = await signThousand(token);

    const ratio = single.seconds / parts.seconds;
    const rows: BenchRow[] = [
      {
        part: 'multipart',
        case: `${megabytes} MB, one presigned PUT (baseline)`,
        rows: 1,
        seconds: single.seconds,
        msPerRow: single.seconds * 1000,
        note: `${(megabytes / single.seconds).toFixed(0)} MB/s`,
      },
      {
        part: 'multipart',
        case: `${megabytes} MB in ${parts.partCount} parts of 16 MiB, ${PARALLEL} in parallel`,
        rows: parts.partCount,
        seconds: parts.seconds,
        msPerRow: (parts.seconds * 1000) / parts.partCount,
        note: `${(megabytes / parts.seconds).toFixed(0)} MB/s = ${ratio.toFixed(2)}× the single PUT; create + parts + complete, both confirmed with ${size} bytes`,
      },
      {
        part: 'multipart',
        case: 'sign 1000 parts: getSignedUrl per part (baseline)',
        rows: 1000,
        seconds: signing.baselineSeconds,
        msPerRow: signing.baselineSeconds,
      },
      {
        part: 'multipart',
        case: 'sign 1000 parts: POST …/multipart/sign, one call',
        rows: 1000,
        seconds: signing.seconds,
        msPerRow: signing.seconds,
        note: `${(signing.baselineSeconds / signing.seconds).toFixed(1)}× faster; median of ${signing.runs} calls, whole handler (auth, DB, signing)`,
      },
    ];
    return {
      rows,
      summary: {
        megabytes,
        singlePutMbPerSecond: Number((megabytes / single.seconds).toFixed(1)),
        multipartMbPerSecond: Number((megabytes / parts.seconds).toFixed(1)),
        multipartOverSinglePut: Number(ratio.toFixed(2)),
        sign1000PartsMs: Number((signing.seconds * 1000).toFixed(1)),
        getSignedUrl1000PartsMs: Number((signing.baselineSeconds * 1000).toFixed(1)),
      },
    };
  } finally {
    await db.destroy();
  }
}

async function confirmed(token: string, id: string, size: number): Promise<void> {
  const result = await call(confirmHandler, { method: 'POST', token, params: { id } });
  if (result.status !== 200 || result.body.document.sizeBytes !== size) {
    throw new Error(`confirm answered ${result.status}: ${JSON.stringify(result.body)}`);
  }
}

async function singlePut(token: string, bytes: Buffer) {
  const ticket = await call(uploadUrlHandler, {
    method: 'POST',
    token,
    body: { filename: 'single.bin', contentType: 'application/pdf', size: bytes.length },
  });
  if (ticket.status !== 201)
    throw new Error(`upload-url answered ${ticket.status}: ${JSON.stringify(ticket.body)}`);
  const start = performance.now();
  const put = await fetch(ticket.body.upload.url, {
    method: 'PUT',
    headers: ticket.body.upload.headers,
    body: bytes,
  });
  const seconds = (performance.now() - start) / 1000;
  if (!put.ok) throw new Error(`PUT answered ${put.status}: ${await put.text()}`);
  await confirmed(token, ticket.body.document.id, bytes.length);
  return { seconds, key: ticket.body.upload.key as string };
}

async function multipartPut(token: string, bytes: Buffer) {
  const started = await startMultipart(token, {
    filename: 'parts.bin',
    contentType: 'application/pdf',
    size: bytes.length,
    partSize: 16 * MiB,
  });
  if (started.status !== 201)
    throw new Error(`multipart answered ${started.status}: ${JSON.stringify(started.body)}`);
  const ticket = started.body;
  const { id } = ticket.document;
  const { partSize, partCount } = ticket.upload;
  const start = performance.now();
  const uploadId = await createMultipartUpload(ticket);
  const numbers = Array.from({ length: partCount }, (_, i) => i + 1);
  const signed = await sign(token, id, { uploadId, operation: 'uploadPart', partNumbers: numbers });
  const queue = [...signed.body.requests];
  const etags: { partNumber: number; etag: string }[] = [];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let request = queue.shift(); request; request = queue.shift()) {
        const n = request.partNumber;
        const response = await send(request, bytes.subarray((n - 1) * partSize, n * partSize));
        if (!response.ok) throw new Error(`part ${n}: ${response.status} ${await response.text()}`);
        etags.push({ partNumber: n, etag: response.headers.get('etag') ?? '' });
      }
    }),
  );
  const complete = (await sign(token, id, { uploadId, operation: 'complete' })).body.requests[0];
  const done = await send(complete, completeXml(etags.sort((a, b) => a.partNumber - b.partNumber)));
  if (!done.ok) throw new Error(`complete: ${done.status} ${await done.text()}`);
  const seconds = (performance.now() - start) / 1000;
  await confirmed(token, id, bytes.length);
  return { seconds, partCount, key: ticket.upload.key as string };
}

async function signThousand(token: string) {
  const started = await startMultipart(token, {
    filename: 'signing.bin',
    contentType: 'application/pdf',
    size: 1000 * 5 * MiB,
    partSize: 5 * MiB,
  });
  if (started.status !== 201)
    throw new Error(`multipart answered ${started.status}: ${JSON.stringify(started.body)}`);
  const { document, upload } = started.body;
  const numbers = Array.from({ length: 1000 }, (_, i) => i + 1);
  const runs = 7;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const result = await sign(token, document.id, {
      uploadId: 'bench',
      operation: 'uploadPart',
      partNumbers: numbers,
    });
    times.push((performance.now() - start) / 1000);
    if (result.status !== 200 || result.body.requests.length !== 1000)
      throw new Error(`sign answered ${result.status}`);
  }
  const client = await createS3Client(config());
  const baselineTimes: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    for (const partNumber of numbers) {
      await getSignedUrl(
        client,
        new UploadPartCommand({
          Bucket: config().S3_BUCKET,
          Key: upload.key,
          UploadId: 'bench',
          PartNumber: partNumber,
          ContentLength: 5 * MiB,
        }),
        { expiresIn: config().UPLOAD_URL_TTL_SECONDS, signableHeaders: new Set(['content-length']) },
      );
    }
    baselineTimes.push((performance.now() - start) / 1000);
  }
  client.destroy();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return { seconds: median(times), baselineSeconds: median(baselineTimes), runs };
}
