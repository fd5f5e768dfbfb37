import { type Kysely, sql } from 'kysely';
import type { Database, DocumentRow, NewDocument } from './schema.js';

/**
 * Inserts a pending document only while its claimed size still fits the owner's remaining quota (an early,
 * advisory check: the binding check is at confirm). Returns undefined when it does not fit.
 */
export async function insertPendingDocumentWithinQuota(
  db: Kysely<Database>,
  doc: Omit<NewDocument, 'status' | 'size_bytes'>,
  claimedSize: number,
): Promise<DocumentRow | undefined> {
  const result = await sql<DocumentRow>`
    insert into documents (id, user_id, filename, content_type, storage_key, status)
    select ${doc.id}, ${doc.user_id}, ${doc.filename}, ${doc.content_type}, ${doc.storage_key}, 'pending'
    from quotas
    where user_id = ${doc.user_id} and used_bytes + ${claimedSize} <= limit_bytes
    returning *
  `.execute(db);
  return result.rows[0];
}

export async function findDocumentForOwner(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<DocumentRow | undefined> {
  return db
    .selectFrom('documents')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export type ConfirmOutcome =
  | { kind: 'confirmed'; document: DocumentRow; usedBytes: number; limitBytes: number }
  | { kind: 'not_pending' }
  | { kind: 'quota_exceeded'; usedBytes: number; limitBytes: number };

/**
 * Flips pending → uploaded and adds `sizeBytes` to the owner's usage only if it fits, in one statement (so one
 * implicit transaction, no network call inside it). The document row is locked first, so concurrent confirms of
 * the same document count its bytes once; the quota row's WHERE is re-checked under its lock, so concurrent
 * confirms of different documents never push usage past the limit.
 */
export async function confirmPendingDocument(
  db: Kysely<Database>,
  userId: string,
  id: string,
  sizeBytes: number,
): Promise<ConfirmOutcome> {
  const result = await sql<{
    locked: number;
    used_bytes: number | null;
    limit_bytes: number | null;
    quota_used: number;
    quota_limit: number;
    document: DocumentRow | null;
  }>`
    with target as (
      select id from documents where id = ${id} and user_id = ${userId} and status = 'pending' for update
    ), quota as (
      update quotas set used_bytes = used_bytes + ${sizeBytes}
      where user_id = ${userId} and used_bytes + ${sizeBytes} <= limit_bytes and exists (select 1 from target)
      returning used_bytes, limit_bytes
    ), confirmed as (
      update documents set status = 'uploaded', size_bytes = ${sizeBytes}, confirmed_at = now(), error = null
      where id in (select id from target) and exists (select 1 from quota)
      returning *
    )
    select
      (select count(*)::int from target) as locked,
      (select used_bytes from quota) as used_bytes,
      (select limit_bytes from quota) as limit_bytes,
      q.used_bytes as quota_used,
      q.limit_bytes as quota_limit,
      (select to_jsonb(confirmed) from confirmed) as document
    from quotas q where q.user_id = ${userId}
  `.execute(db);
  const row = result.rows[0];
  if (!row || row.locked === 0) return { kind: 'not_pending' };
  if (!row.document || row.used_bytes === null || row.limit_bytes === null) {
    return { kind: 'quota_exceeded', usedBytes: row.quota_used, limitBytes: row.quota_limit };
  }
  return {
    kind: 'confirmed',
    document: reviveDocument(row.document),
    usedBytes: Number(row.used_bytes),
    limitBytes: Number(row.limit_bytes),
  };
}

/** A row that travelled through to_jsonb: dates are ISO strings and bigints plain numbers. */
function reviveDocument(json: DocumentRow): DocumentRow {
  const toDate = (v: Date | string | null) => (v === null ? null : new Date(v));
  return {
    ...json,
    created_at: new Date(json.created_at),
    confirmed_at: toDate(json.confirmed_at),
    classified_at: toDate(json.classified_at),
  };
}

export interface DocumentTopicRow {
  document_id: string;
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
  for (const row of rows) {
    const list = grouped.get(row.document_id) ?? [];
    list.push(row);
    grouped.set(row.document_id, list);
  }
  return grouped;
}

export type ReprocessOutcome =
  | { kind: 'queued'; document: DocumentRow }
  | { kind: 'pending' }
  | { kind: 'missing' };

/** Puts a confirmed document (uploaded, classified or failed) back to `uploaded` so it is classified again. */
export async function markForReclassification(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<ReprocessOutcome> {
  const updated = await db
    .updateTable('documents')
    .set({ status: 'uploaded', error: null, classified_at: null })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('status', 'in', ['uploaded', 'classified', 'failed'])
    .returningAll()
    .executeTakeFirst();
  if (updated) return { kind: 'queued', document: updated };
  const existing = await findDocumentForOwner(db, userId, id);
  return existing ? { kind: 'pending' } : { kind: 'missing' };
}
