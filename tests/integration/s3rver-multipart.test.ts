import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type Running, startS3Emulator } from '../../local/emulators.js';

/*
 * `npm start`'s embedded S3 is s3rver 3.7 extended by local/s3rver-multipart.ts (docs/operations.md "s3rver's multipart
 * extension"): these run the operations it adds, through the AWS SDK, against a fresh s3rver.
 */
const BUCKET = 'multipart-ext';
const MiB = 1024 * 1024;
let dir = '';
let server: Running;
let s3: S3Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's3rver-multipart-'));
  server = await startS3Emulator({ directory: dir, bucket: BUCKET });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: server.url,
    forcePathStyle: true,
    credentials: EMULATOR_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function create(key: string): Promise<string> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  return created.UploadId ?? '';
}

async function part(key: string, uploadId: string, partNumber: number, bytes: Uint8Array) {
  const result = await s3.send(
    new UploadPartCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: bytes,
    }),
  );
  return { PartNumber: partNumber, ETag: result.ETag ?? '' };
}

const filled = (size: number, byte: number) => new Uint8Array(size).fill(byte);

describe("s3rver's multipart extension", () => {
  it('lists the parts an upload holds, page by page, with their sizes and ETags', async () => {
    const key = 'users/u/doc-1/file.bin';
    const uploadId = await create(key);
    const sent = [await part(key, uploadId, 1, filled(10, 1)), await part(key, uploadId, 3, filled(20, 3))];
    const all = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 10, sent[0]?.ETag],
      [3, 20, sent[1]?.ETag],
    ]);
    expect(all.IsTruncated).toBe(false);
    const first = await s3.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MaxParts: 1 }),
    );
    expect(first.Parts?.map((p) => p.PartNumber)).toEqual([1]);
    expect(first.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListPartsCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: first.NextPartNumberMarker,
      }),
    );
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([3]);
  });

  it('lists unfinished uploads under a prefix, and aborts them so they are gone', async () => {
    const key = 'users/u/doc-2/file.bin';
    const ids = [await create(key), await create(key)];
    await create('users/u/doc-3/other.bin');
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId]).sort()).toEqual(ids.map((id) => [key, id]).sort());

    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: ids[0] }));
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(after.Uploads?.map((u) => u.UploadId)).toEqual([ids[1]]);
    await expect(
      s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: ids[0] })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(part(key, ids[0] ?? '', 1, filled(1, 0))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(
      s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: ids[0] })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('pages the upload listing with key and upload-id markers', async () => {
    const prefix = 'users/u/doc-4/';
    const ids = [await create(`${prefix}a`), await create(`${prefix}b`), await create(`${prefix}c`)];
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: BUCKET,
          Prefix: prefix,
          MaxUploads: 2,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      seen.push(...(page.Uploads ?? []).map((u) => u.UploadId ?? ''));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    expect(seen).toEqual(ids);
  });

  it('completes only with parts it holds, in order, each but the last at least 5 MiB', async () => {
    const key = 'users/u/doc-5/file.bin';
    const uploadId = await create(key);
    const parts = [
      await part(key, uploadId, 1, filled(5 * MiB, 1)),
      await part(key, uploadId, 2, filled(3, 2)),
    ];
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts },
        }),
      );
    await expect(complete([...parts, { PartNumber: 3, ETag: '"0"' }])).rejects.toMatchObject({
      name: 'InvalidPart',
    });
    await expect(complete([{ PartNumber: 1, ETag: '"wrong"' }])).rejects.toMatchObject({
      name: 'InvalidPart',
    });
    await expect(complete([...parts].reverse())).rejects.toMatchObject({ name: 'InvalidPartOrder' });

    await complete(parts);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    expect(bytes?.length).toBe(5 * MiB + 3);
    expect(bytes?.[0]).toBe(1);
    expect(bytes?.at(-1)).toBe(2);
    await expect(
      s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('refuses to complete when a part but the last is under 5 MiB', async () => {
    const key = 'users/u/doc-6/file.bin';
    const uploadId = await create(key);
    const parts = [await part(key, uploadId, 1, filled(10, 1)), await part(key, uploadId, 2, filled(10, 2))];
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
  });
});
