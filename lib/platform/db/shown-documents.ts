import { type Kysely, sql } from 'kysely';
import type { Database, ShownDocumentRow } from './schema.js';

// How every answer that shows a document reads it (uploads, documents, search): its row with `duplicate_of`, and
// its topics. Shared SQL, so no feature reads another's queries (README "Layout").

/**
 * `duplicate_of` of the document aliased `d`: the owner's oldest other document (by created_at, then id) with the
 * same content. Computed when read, so it is decided without a race (whichever order two identical documents are
 * hashed in, the older one is the original) and never dangles: when the original is deleted, the oldest remaining
 * copy becomes the original. One probe of documents_user_sha256_idx.
 */
export const duplicateOfExpression = sql<string | null>`(
  select o.id from documents o
  where o.user_id = d.user_id and o.sha256 = d.sha256 and (o.created_at, o.id) < (d.created_at, d.id)
  order by o.created_at, o.id
  limit 1
)`;
const duplicateOf = duplicateOfExpression.as('duplicate_of');

/** The owner's document with its `duplicate_of`; undefined when it is not theirs or does not exist. */
export async function findDocumentForOwner(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<ShownDocumentRow | undefined> {
  return db
    .selectFrom('documents as d')
    .selectAll('d')
    .select(duplicateOf)
    .where('d.id', '=', id)
    .where('d.user_id', '=', userId)
    .executeTakeFirst();
}

/** A topic as it hangs on a document. */
export interface DocumentTopicRow {
  id: string;
  name: string;
  scope: 'system' | 'user';
  source: 'ai' | 'user';
}

/** The topics of several documents in one query, grouped by document id. */
export async function topicsOfDocuments(
  db: Kysely<Database>,
  documentIds: readonly string[],
): Promise<Map<string, DocumentTopicRow[]>> {
  const grouped = new Map<string, DocumentTopicRow[]>();
  if (documentIds.length === 0) return grouped;
  const rows = await db
    .selectFrom('document_topics')
    .innerJoin('topics', 'topics.id', 'document_topics.topic_id')
    .select([
      'document_topics.document_id',
      'topics.id',
      'topics.name',
      'document_topics.source',
      sql<'system' | 'user'>`case when topics.user_id is null then 'system' else 'user' end`.as('scope'),
    ])
    .where('document_topics.document_id', 'in', documentIds)
    .orderBy('topics.name')
    .execute();
  for (const { document_id, ...topic } of rows) {
    const list = grouped.get(document_id) ?? [];
    list.push(topic);
    grouped.set(document_id, list);
  }
  return grouped;
}
