import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Which of these documents the extract stage has not run on yet (docs/operations.md "Text from scans and photos"):
 * they go to the extract queue; the others straight to classification.
 */
export async function unextractedAmong(db: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('documents')
    .select('id')
    .where('id', 'in', [...ids])
    .where('text_source', 'is', null)
    .execute();
  return new Set(rows.map((row) => row.id));
}
