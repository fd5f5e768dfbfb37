import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CephS3, startCeph } from '../../local/ceph.js';

function client(ceph: CephS3): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: ceph.url,
    forcePathStyle: true,
    credentials: { ...ceph.credentials },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** local/ceph.ts, what the suite and `KITE_S3=ceph npm start` run on (docs/development.md "Which S3 the tests use"). */
describe.runIf(inject('testS3') === 'radosgw')('a one-host Ceph cluster', () => {
  let kept = '';
  beforeAll(() => {
    kept = mkdtempSync(join(tmpdir(), 'kite-ceph-kept-'));
  });
  afterAll(() => rmSync(kept, { recursive: true, force: true }));

  it('serves S3 for the keys it was given, and stop ends its daemons by pid and removes its directory', async () => {
    const ceph = await startCeph({ accessKeyId: 'TESTKEY', secretAccessKey: 'test-secret-key' });
    console.info(`Ceph (temporary) answered S3 after ${ceph.readyAfterMs} ms`);
    try {
      expect(ceph.credentials).toEqual({ accessKeyId: 'TESTKEY', secretAccessKey: 'test-secret-key' });
      expect(ceph.pids).toHaveLength(3);
      const s3 = client(ceph);
      await s3.send(new CreateBucketCommand({ Bucket: 'kite-ceph-test' }));
      await s3.send(new PutObjectCommand({ Bucket: 'kite-ceph-test', Key: 'a/b.txt', Body: 'stored' }));
      const object = await s3.send(new GetObjectCommand({ Bucket: 'kite-ceph-test', Key: 'a/b.txt' }));
      expect(await object.Body?.transformToString()).toBe('stored');
      s3.destroy();
    } finally {
      await ceph.stop();
    }
    for (const pid of ceph.pids) expect(alive(pid)).toBe(false);
    expect(existsSync(ceph.directory)).toBe(false);
  });

  it('a kept cluster gives back, after a clean stop, what it stored', async () => {
    const first = await startCeph({ directory: kept, persistent: true });
    expect(first.restored).toBe(false);
    try {
      const s3 = client(first);
      await s3.send(new CreateBucketCommand({ Bucket: 'kite-ceph-kept' }));
      await s3.send(new PutObjectCommand({ Bucket: 'kite-ceph-kept', Key: 'kept.txt', Body: 'still here' }));
      s3.destroy();
    } finally {
      await first.stop();
    }
    for (const pid of first.pids) expect(alive(pid)).toBe(false);

    const second = await startCeph({ directory: kept, persistent: true });
    console.info(`Ceph (kept) answered S3 again after ${second.readyAfterMs} ms`);
    try {
      expect(second.restored).toBe(true);
      expect(second.credentials).toEqual(first.credentials);
      const s3 = client(second);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'kite-ceph-kept', Key: 'kept.txt' }));
      expect(await object.Body?.transformToString()).toBe('still here');
      s3.destroy();
    } finally {
      await second.stop();
    }
  });
});
