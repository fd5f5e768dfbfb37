import { deleteObjects } from './aws/storage.js';
import { config } from './config.js';
import { db } from './db/client.js';
import { deleteDueTombstones, deletePermanently, type PermanentDeleteScope } from './db/permanent-deletes.js';
import { logger } from './logger.js';

/**
 * A permanent delete (docs/api.md "Editing documents, bulk actions and the trash"): rows, refunds and tombstones in one
 * statement, then the objects. When S3 fails the delete still stands (it was committed): the tombstones make the
 * purge's sweep delete the objects later, so nothing is orphaned and the caller is not asked to retry.
 * Returns the ids deleted by this call (a concurrent call's are not among them).
 */
export async function deleteDocumentsPermanently(scope: PermanentDeleteScope): Promise<string[]> {
  const database = db();
  const gone = await deletePermanently(database, scope, config().UPLOAD_URL_TTL_SECONDS);
  if (gone.length === 0) return [];
  const keys = gone.flatMap((row) =>
    row.thumbnail_key ? [row.storage_key, row.thumbnail_key] : [row.storage_key],
  );
  try {
    await deleteObjects(keys);
    await deleteDueTombstones(database, keys);
  } catch (error) {
    logger.warn('permanent delete: objects left to the purge, which retries them', {
      keys: keys.length,
      error: error as Error,
    });
  }
  logger.info('documents deleted permanently', { count: gone.length });
  return gone.map((row) => row.id);
}
