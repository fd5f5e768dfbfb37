import { abortMultipartUploads } from '../platform/aws/multipart.js';
import { enqueue } from '../platform/aws/queue.js';
import { deleteObjects, ObjectsNotDeletedError } from '../platform/aws/storage.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import { deleteExpiredIdempotencyKeys } from '../platform/db/idempotency.js';
import { unextractedAmong } from '../platform/db/next-stage.js';
import { deleteTombstones, leaseDueTombstones, tombstoneKeys } from '../platform/db/tombstones.js';
import { logger } from '../platform/logger.js';
import { deleteDocumentsPermanently } from '../platform/permanent-delete.js';
import {
  deleteExpiredPendingDocuments,
  findStrandedUploads,
  restorePurgedDocuments,
} from './purge.queries.js';

/** DeleteObjects takes at most 1000 keys: one batch of rows is one S3 call. */
export const PURGE_BATCH_SIZE = 1000;

export interface PurgeOptions {
  /** Pending documents older than this are expired; defaults to PENDING_UPLOAD_TTL_SECONDS. */
  olderThanSeconds?: number;
  batchSize?: number;
  /**
   * Epoch ms after which no new batch is started: a run cut off by the Lambda timeout between a batch's two steps
   * would orphan that batch's objects, so it stops cleanly instead and the next run carries on.
   */
  deadline?: number;
}

/**
 * Deletes expired pending documents (last activity older than the TTL: creation, or a multipart signing) and
 * their objects, and aborts the unfinished multipart uploads under their keys, batch by batch, until none is
 * left; returns how many. Nothing is refunded: pending documents never counted against the quota.
 *
 * Order: each batch's rows are deleted first (one statement, rows claimed with SKIP LOCKED, so concurrent purges
 * take disjoint batches and no row or object is deleted twice), then its objects with one DeleteObjects. If S3
 * fails, the deleted rows are put back from their snapshots, so the state is as before the batch and the next run
 * retries it; the error is rethrown so the invocation is seen to fail. Deleting objects first would also be
 * retryable, but without a lock held across the S3 call two purges would pick, and delete, the same objects.
 * When S3 answers but refuses some keys (a per-key error), the batch counts as purged and only those keys are
 * kept, as tombstones the sweep retries after TOMBSTONE_LEASE_SECONDS (docs/operations.md "Purge"). The one window left is
 * the process dying between the two steps: that batch's objects are orphaned (no row is ever left pointing at a
 * deleted object, and nobody can reach those objects any more).
 */
export async function purgeExpiredUploads(options: PurgeOptions = {}): Promise<number> {
  const olderThan = options.olderThanSeconds ?? config().PENDING_UPLOAD_TTL_SECONDS;
  const batchSize = Math.min(options.batchSize ?? PURGE_BATCH_SIZE, PURGE_BATCH_SIZE);
  let purged = 0;
  for (;;) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) {
      logger.warn('purge: stopping at the deadline; the next run continues', { purged });
      return purged;
    }
    const batch = await deleteExpiredPendingDocuments(
      db(),
      olderThan,
      batchSize,
      config().UPLOAD_URL_TTL_SECONDS,
    );
    if (batch.length === 0) return purged;
    try {
      await abortMultipartUploads(batch.filter((row) => row.multipart).map((row) => row.storage_key));
      await deleteObjects(batch.map((row) => row.storage_key));
    } catch (error) {
      if (error instanceof ObjectsNotDeletedError) {
        // S3 deleted the rest of the batch; the keys it refused go to the tombstones, which later sweeps retry.
        await keepRefusedKeys(error, 'purge');
        purged += batch.length;
        continue;
      }
      await putBack(
        batch.map((row) => row.snapshot),
        batch.map((row) => row.storage_key),
      );
      logger.error('purge: could not delete objects; the batch was restored for the next run', {
        purgedSoFar: purged,
        batch: batch.length,
        error: error as Error,
      });
      throw error;
    }
    purged += batch.length;
  }
}

/**
 * Keys S3 refused to delete (a per-key error in DeleteObjects: a bucket policy, an object lock…) are a standing
 * condition an operator must see, not a reason to fail the whole run or to forget the key.
 */
async function keepRefusedKeys(error: ObjectsNotDeletedError, step: string): Promise<void> {
  logRefusedKeys(error, step);
  await tombstoneKeys(db(), error.failedKeys, TOMBSTONE_LEASE_SECONDS);
}

function logRefusedKeys(error: ObjectsNotDeletedError, step: string): void {
  logger.error(`purge: S3 refused to delete some objects (${step}); a later run retries them`, {
    refused: error.failed.slice(0, 20),
    count: error.failed.length,
    retryAfterSeconds: TOMBSTONE_LEASE_SECONDS,
  });
}

async function putBack(snapshots: string[], keys: string[]): Promise<void> {
  try {
    await restorePurgedDocuments(db(), snapshots, config().SEARCH_LANGUAGE);
  } catch (error) {
    // Rows gone, objects still there: list them so an operator can delete them by hand.
    logger.error('purge: could not restore rows; these objects are orphaned', {
      keys,
      error: error as Error,
    });
  }
}

export interface ReenqueueOptions {
  /** Uploaded documents confirmed longer ago than this are stranded; defaults to RECLASSIFY_AFTER_SECONDS. */
  olderThanSeconds?: number;
  /** At most this many messages per run, so a backlog is fed gradually rather than flooded. */
  limit?: number;
}

export const REENQUEUE_LIMIT = 100;
const SEND_CONCURRENCY = 10;

/**
 * Sends a message for every `uploaded` document confirmed more than RECLASSIFY_AFTER_SECONDS ago (oldest first,
 * capped per run), so a confirm or an extraction whose SendMessage failed never strands a document: to the extract
 * queue while the extract stage has not run on it, else to the classify queue. A document is
 * sent again on each run while it stays `uploaded`: classification moves it to `classified`, or to `failed` after
 * CLASSIFY_MAX_ATTEMPTS, and the classify function skips a document already classified, so a duplicate is cheap.
 * Returns how many messages were sent; a failed send is logged and left for the next run.
 */
export async function reenqueueStrandedUploads(options: ReenqueueOptions = {}): Promise<number> {
  const olderThan = options.olderThanSeconds ?? config().RECLASSIFY_AFTER_SECONDS;
  const ids = await findStrandedUploads(db(), olderThan, options.limit ?? REENQUEUE_LIMIT);
  // Each to the stage it is stuck before: extraction until that ran, then classification.
  const unextracted = await unextractedAmong(db(), ids);
  let sent = 0;
  const failures: { documentId: string; error: Error }[] = [];
  for (let start = 0; start < ids.length; start += SEND_CONCURRENCY) {
    const chunk = ids.slice(start, start + SEND_CONCURRENCY);
    const results = await Promise.allSettled(
      chunk.map((id) => enqueue(unextracted.has(id) ? 'extract' : 'classify', id)),
    );
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') sent += 1;
      else failures.push({ documentId: chunk[i] ?? '', error: result.reason as Error });
    });
  }
  if (failures.length > 0) {
    logger.warn('purge: some stranded documents could not be re-enqueued; the next run retries them', {
      failed: failures.length,
      first: failures[0],
    });
  }
  return sent;
}

/** How long a sweep holds the tombstones it is working on before another run may retry them. */
export const TOMBSTONE_LEASE_SECONDS = 600;

/**
 * Deletes the objects under tombstoned keys (documents deleted, or pending uploads purged, while their upload URL
 * still worked) once that URL can no longer be used: whatever a client PUT there is unowned and uncounted; under a
 * multipart key, unfinished uploads are aborted too. A missing object is the usual case and fine. Batches of up
 * to 1000 keys are leased, their objects deleted with one DeleteObjects, then the tombstones removed; if S3 fails,
 * the error is rethrown and the lease lets a later run retry. Returns how many keys were swept.
 */
export async function sweepTombstones(
  options: Pick<PurgeOptions, 'deadline' | 'batchSize'> = {},
): Promise<number> {
  const batchSize = Math.min(options.batchSize ?? PURGE_BATCH_SIZE, PURGE_BATCH_SIZE);
  let swept = 0;
  for (;;) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) return swept;
    const due = await leaseDueTombstones(db(), batchSize, TOMBSTONE_LEASE_SECONDS);
    if (due.length === 0) return swept;
    const keys = due.map((tombstone) => tombstone.storage_key);
    try {
      await abortMultipartUploads(due.filter((tombstone) => tombstone.multipart).map((t) => t.storage_key));
      await deleteObjects(keys);
    } catch (error) {
      if (error instanceof ObjectsNotDeletedError) {
        // The refused keys stay leased, so a run after the lease retries them; the rest are done.
        const refused = new Set(error.failedKeys);
        const deleted = keys.filter((key) => !refused.has(key));
        logRefusedKeys(error, 'sweep');
        await deleteTombstones(db(), deleted);
        swept += deleted.length;
        continue;
      }
      logger.error('purge: could not delete tombstoned objects; a later run retries them', {
        keys: keys.length,
        retryAfterSeconds: TOMBSTONE_LEASE_SECONDS,
        error: error as Error,
      });
      throw error;
    }
    await deleteTombstones(db(), keys);
    swept += keys.length;
  }
}

export interface PurgeCounts {
  purged: number;
  /** Documents in the trash for longer than TRASH_RETENTION_DAYS, deleted for good. */
  trashed: number;
  reenqueued: number;
  /** Tombstoned keys of deleted documents whose objects were deleted (see sweepTombstones). */
  tombstones: number;
  /** Idempotency-Keys past their 24 hours, deleted. */
  idempotencyKeys: number;
}

/** One scheduled run: every job, each even when an earlier one fails (then the first failure is rethrown). */
export async function runPurge(options: Pick<PurgeOptions, 'deadline'> = {}): Promise<PurgeCounts> {
  let purged = 0;
  let trashed = 0;
  let tombstones = 0;
  let failure: unknown;
  try {
    purged = await purgeExpiredUploads(options);
  } catch (error) {
    failure = error;
  }
  try {
    trashed = await purgeExpiredTrash(options);
  } catch (error) {
    failure ??= error;
  }
  try {
    tombstones = await sweepTombstones(options);
  } catch (error) {
    failure ??= error;
  }
  let idempotencyKeys = 0;
  try {
    idempotencyKeys = await purgeExpiredIdempotencyKeys(options);
  } catch (error) {
    failure ??= error;
  }
  const reenqueued = await reenqueueStrandedUploads();
  if (failure !== undefined) throw failure;
  return { purged, trashed, reenqueued, tombstones, idempotencyKeys };
}

/**
 * Deletes for good what has been in the trash longer than TRASH_RETENTION_DAYS (docs/api.md "Editing documents, bulk
 * actions and the trash"), batch by batch, through the same statement as every permanent delete: rows, refunds and
 * tombstones at once (rows claimed with SKIP LOCKED, so concurrent purges take disjoint batches), then the
 * objects; when S3 fails the tombstones stay and the sweep below (or a later run) deletes the objects.
 */
export async function purgeExpiredTrash(
  options: Pick<PurgeOptions, 'deadline' | 'batchSize'> & { olderThanDays?: number } = {},
): Promise<number> {
  const days = options.olderThanDays ?? config().TRASH_RETENTION_DAYS;
  const batchSize = Math.min(options.batchSize ?? PURGE_BATCH_SIZE, PURGE_BATCH_SIZE);
  let deleted = 0;
  for (;;) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) return deleted;
    const gone = await deleteDocumentsPermanently({ kind: 'expired', days, limit: batchSize });
    deleted += gone.length;
    if (gone.length < batchSize) return deleted;
  }
}

/** Deletes Idempotency-Keys older than 24 hours, in batches, until none is left or the deadline passes. */
export async function purgeExpiredIdempotencyKeys(
  options: Pick<PurgeOptions, 'deadline' | 'batchSize'> = {},
): Promise<number> {
  const batchSize = Math.min(options.batchSize ?? PURGE_BATCH_SIZE, PURGE_BATCH_SIZE);
  let deleted = 0;
  for (;;) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) return deleted;
    const gone = await deleteExpiredIdempotencyKeys(db(), batchSize);
    deleted += gone;
    if (gone < batchSize) return deleted;
  }
}
