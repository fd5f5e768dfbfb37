import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { userKeySegment } from '../../lib/platform/aws/storage.js';
import { loadConfig } from '../../lib/platform/config.js';

/** A direct view of the suite's database and bucket, past any fault proxy a test put in front of them. */
export interface StateInspector {
  /** Every broken invariant for these users, as readable lines; empty when the state is consistent. */
  violations(userIds: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The invariants every answer must leave true, faults or not:
 * - `used_bytes` is the sum of the user's confirmed document sizes;
 * - every confirmed document has its object;
 * - every object under the user's prefix has a row or a tombstone.
 */
export async function inspectState(): Promise<StateInspector> {
  const env = inject('testEnv');
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 }) }),
  });
  const cfg = loadConfig({ ...process.env, ...env });
  const { createS3Client } = await import('../../lib/platform/aws/storage.js');
  const s3: S3Client = await createS3Client(cfg);

  async function objectsUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: cfg.S3_BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  async function exists(key: string): Promise<boolean> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: cfg.S3_BUCKET, Key: key }));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw error;
    }
  }

  return {
    async violations(userIds) {
      const problems: string[] = [];
      for (const userId of userIds) {
        const quota = await db
          .selectFrom('quotas')
          .select('used_bytes')
          .where('user_id', '=', userId)
          .executeTakeFirst();
        const documents = await db
          .selectFrom('documents')
          .select(['id', 'status', 'size_bytes', 'storage_key'])
          .where('user_id', '=', userId)
          .execute();
        const confirmed = documents.filter((document) => document.status !== 'pending');
        const sum = confirmed.reduce((total, document) => total + Number(document.size_bytes ?? 0), 0);
        if (quota && Number(quota.used_bytes) !== sum) {
          problems.push(`${userId}: used_bytes ${quota.used_bytes} but confirmed documents hold ${sum}`);
        }
        for (const document of confirmed) {
          if (!(await exists(document.storage_key))) {
            problems.push(`${userId}: ${document.status} document ${document.id} has no object`);
          }
        }
        const keys = await objectsUnder(`users/${userKeySegment(userId)}/`);
        const owned = new Set(documents.map((document) => document.storage_key));
        const tombstoned = new Set(
          keys.length === 0
            ? []
            : (
                await db
                  .selectFrom('upload_tombstones')
                  .select('storage_key')
                  .where('storage_key', 'in', keys)
                  .execute()
              ).map((row) => row.storage_key as string),
        );
        for (const key of keys) {
          if (!owned.has(key) && !tombstoned.has(key))
            problems.push(`${userId}: object ${key} has no row or tombstone`);
        }
      }
      return problems;
    },
    async close() {
      s3.destroy();
      await db.destroy();
    },
  };
}
