import { enqueueMany } from './aws/queue.js';
import { db } from './db/client.js';
import { unextractedAmong } from './db/next-stage.js';

/**
 * Queues documents waiting for processing at the stage they need next: extraction when it has not run on them
 * (documents from before the extract stage, or whose extraction was lost), else classification. Reprocessing
 * therefore never runs OCR again, and no document is stranded between the stages.
 */
export async function enqueueNextStage(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const unextracted = await unextractedAmong(db(), ids);
  await Promise.all([
    enqueueMany(
      'extract',
      ids.filter((id) => unextracted.has(id)),
    ),
    enqueueMany(
      'classify',
      ids.filter((id) => !unextracted.has(id)),
    ),
  ]);
}
