import { type Kysely, sql } from 'kysely';
import { IDEMPOTENCY_KEY_TTL_SECONDS, type IdempotencyClaim } from '../platform/db/idempotency.js';
import type { Database, DocumentRow, NewDocument, ShownDocumentRow } from '../platform/db/schema.js';
import { insertFilenameOnly } from '../platform/db/search-rows.js';
import { tombstoneDeletedKeys } from '../platform/db/tombstones.js';

/**
 * Inserts a pending document only while its claimed size still fits the owner's remaining quota (an early,
 * advisory check: the binding check is at confirm). Returns undefined when it does not fit, or when `claim` names
 * an Idempotency-Key this user already used within the last 24 hours (the caller then reads that key's row).
 *
 * The key and the document are written by one statement: of concurrent requests with one key, the first inserts
 * the key; the others wait on its unique index entry, find it taken and insert nothing. A key older than 24 hours
 * is taken over by the new request. The same statement writes the document's search row, its filename alone in
 * `searchLanguage`: a document is found by name from the start (README "Search").
 */
export async function insertPendingDocumentWithinQuota(
  db: Kysely<Database>,
  doc: Pick<NewDocument, 'id' | 'user_id' | 'filename' | 'content_type' | 'storage_key' | 'part_bytes'>,
  claimedSize: number,
  searchLanguage: string,
  claim?: IdempotencyClaim,
): Promise<DocumentRow | undefined> {
  if (!claim) {
    const result = await sql<DocumentRow>`
      with inserted as (
        insert into documents (id, user_id, filename, content_type, storage_key, status, declared_bytes, part_bytes)
        select ${doc.id}, ${doc.user_id}, ${doc.filename}, ${doc.content_type}, ${doc.storage_key}, 'pending',
          ${claimedSize}, ${doc.part_bytes ?? null}
        from quotas
        where user_id = ${doc.user_id} and used_bytes + ${claimedSize} <= limit_bytes
        returning *
      ), indexed as (
        ${insertFilenameOnly('inserted', searchLanguage)}
      )
      select * from inserted
    `.execute(db);
    return result.rows[0];
  }
  const result = await sql<DocumentRow>`
    with claimed as (
      insert into idempotency_keys (user_id, key, fingerprint, document_id)
      select ${doc.user_id}, ${claim.key}, ${claim.fingerprint}, ${doc.id}
      from quotas
      where user_id = ${doc.user_id} and used_bytes + ${claimedSize} <= limit_bytes
      on conflict (user_id, key) do update
        set fingerprint = excluded.fingerprint, document_id = excluded.document_id, created_at = now()
        where idempotency_keys.created_at <= now() - make_interval(secs => ${IDEMPOTENCY_KEY_TTL_SECONDS})
      returning document_id
    ), inserted as (
      insert into documents (id, user_id, filename, content_type, storage_key, status, declared_bytes, part_bytes)
      select ${doc.id}, ${doc.user_id}, ${doc.filename}, ${doc.content_type}, ${doc.storage_key}, 'pending',
        ${claimedSize}, ${doc.part_bytes ?? null}
      from claimed
      returning *
    ), indexed as (
      ${insertFilenameOnly('inserted', searchLanguage)}
    )
    select * from inserted
  `.execute(db);
  return result.rows[0];
}

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

/** Records kite's hash of a document's bytes; a hash already recorded is kept (the bytes cannot change). */
export async function saveContentHash(db: Kysely<Database>, id: string, sha256: string): Promise<void> {
  await db
    .updateTable('documents')
    .set({ sha256 })
    .where('id', '=', id)
    .where('sha256', 'is', null)
    .execute();
}

/** The owner's oldest document with this content, if any. */
export async function findDocumentWithContent(
  db: Kysely<Database>,
  userId: string,
  sha256: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('documents')
    .select('id')
    .where('user_id', '=', userId)
    .where('sha256', '=', sha256)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

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

/**
 * Records a signing for the owner's pending multipart document: binds `uploadId` on the first one and moves
 * `last_activity_at` (README "Large files"). One UPDATE, so of two first signings with different ids only one
 * binds. Returns the row, or undefined when nothing matched (the caller finds out why).
 */
export async function touchMultipartDocument(
  db: Kysely<Database>,
  userId: string,
  id: string,
  uploadId: string,
): Promise<DocumentRow | undefined> {
  return db
    .updateTable('documents')
    .set({ upload_id: sql<string>`coalesce(upload_id, ${uploadId})`, last_activity_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .where('part_bytes', 'is not', null)
    .where((eb) => eb.or([eb('upload_id', 'is', null), eb('upload_id', '=', uploadId)]))
    .returningAll()
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
    last_activity_at: toDate(json.last_activity_at),
  };
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

export type ReclassificationOutcome =
  | { kind: 'marked'; document: ShownDocumentRow }
  | { kind: 'pending' }
  | { kind: 'missing' };

/**
 * Puts a confirmed document (uploaded, classified or failed) back to `uploaded` so it is classified again.
 * `marked` says only that the row changed: enqueueing it is the caller's next step.
 */
export async function markForReclassification(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<ReclassificationOutcome> {
  const updated = await db
    .updateTable('documents as d')
    .set({ status: 'uploaded', error: null, classified_at: null })
    .where('d.id', '=', id)
    .where('d.user_id', '=', userId)
    .where('d.status', 'in', ['uploaded', 'classified', 'failed'])
    .returningAll()
    .returning(duplicateOf)
    .executeTakeFirst();
  if (updated) return { kind: 'marked', document: updated };
  const existing = await findDocumentForOwner(db, userId, id);
  return existing ? { kind: 'pending' } : { kind: 'missing' };
}

export interface ListDocumentsFilter {
  status?: DocumentRow['status'] | undefined;
  topicId?: string | undefined;
  sha256?: string | undefined;
  /** Keyset position: only documents strictly after it in (created_at desc, id desc) order. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/** A listed row plus its created_at as text with microseconds, for the next page's cursor. */
export type ListedDocumentRow = ShownDocumentRow & { cursor_created_at: string };

/**
 * The owner's documents, newest first, one keyset page. The row comparison on (created_at, id) walks the
 * documents(user_id, created_at desc, id desc) index, so a deep page costs the same as the first.
 */
export async function listDocumentsForOwner(
  db: Kysely<Database>,
  userId: string,
  filter: ListDocumentsFilter,
): Promise<ListedDocumentRow[]> {
  let query = db
    .selectFrom('documents as d')
    .selectAll('d')
    .select(duplicateOf)
    .select(
      sql<string>`to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_created_at',
      ),
    )
    .where('d.user_id', '=', userId);
  if (filter.status) query = query.where('d.status', '=', filter.status);
  if (filter.sha256) query = query.where('d.sha256', '=', filter.sha256);
  if (filter.topicId) {
    const topicId = filter.topicId;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('document_topics as dt')
          .select('dt.document_id')
          .whereRef('dt.document_id', '=', 'd.id')
          .where('dt.topic_id', '=', topicId),
      ),
    );
  }
  if (filter.after) {
    query = query.where(
      sql<boolean>`(d.created_at, d.id) < (${filter.after.createdAt}::timestamptz, ${filter.after.id}::uuid)`,
    );
  }
  return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(filter.limit).execute();
}

export interface DeleteOutcome {
  deleted: boolean;
  refundedBytes: number;
}

/**
 * Deletes the owner's document and, when it had been confirmed, gives its bytes back to the quota — one statement,
 * so one transaction. The DELETE locks the row: of concurrent deletes only one gets it back from RETURNING, so
 * the refund happens exactly once. `greatest(…, 0)` keeps a drifted counter from blocking deletes forever.
 */
export async function deleteDocumentWithRefund(
  db: Kysely<Database>,
  userId: string,
  id: string,
  uploadUrlTtlSeconds: number,
): Promise<DeleteOutcome> {
  // While the document's upload URLs may still be in use (the last was signed at its last activity), its key is
  // tombstoned in the same statement, so an object written after the delete is still found and removed by the purge.
  const result = await sql<{ deleted: number; refunded: number }>`
    with gone as (
      delete from documents where id = ${id} and user_id = ${userId}
      returning storage_key, coalesce(last_activity_at, created_at) as active_at, part_bytes is not null as multipart,
        case when status <> 'pending' then coalesce(size_bytes, 0) else 0 end as refund
    ), tombstone as (
      -- A multipart key is always tombstoned: the purge aborts whatever upload is still open under it.
      ${tombstoneDeletedKeys('gone', uploadUrlTtlSeconds, { multipartAlways: true })}
    ), refund as (
      update quotas set used_bytes = greatest(used_bytes - (select sum(refund) from gone), 0)
      where user_id = ${userId} and (select sum(refund) from gone) > 0
      returning user_id
    )
    select
      (select count(*)::int from gone) as deleted,
      (select coalesce(sum(refund), 0)::bigint from gone where exists (select 1 from refund)) as refunded
  `.execute(db);
  const row = result.rows[0];
  return { deleted: (row?.deleted ?? 0) > 0, refundedBytes: Number(row?.refunded ?? 0) };
}
