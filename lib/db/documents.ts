import { type Kysely, sql } from 'kysely';
import type { Database, DocumentRow, NewDocument, ShownDocumentRow } from './schema.js';
import { insertFilenameOnly } from './search-rows.js';

/** What a retried request is recognised by (README "Duplicates and retried requests"). */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

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

/** How long an Idempotency-Key names its first request's document. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600;

/** The document and fingerprint an Idempotency-Key of this user still names, if any. */
export async function findIdempotencyKey(
  db: Kysely<Database>,
  userId: string,
  key: string,
): Promise<{ fingerprint: string; document_id: string } | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'document_id'])
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${IDEMPOTENCY_KEY_TTL_SECONDS})`)
    .executeTakeFirst();
}

/** Deletes up to `limit` keys past their 24 hours; returns how many went. */
export async function deleteExpiredIdempotencyKeys(db: Kysely<Database>, limit: number): Promise<number> {
  const result = await sql<{ deleted: number }>`
    with gone as (
      delete from idempotency_keys where ctid in (
        select ctid from idempotency_keys
        where created_at <= now() - make_interval(secs => ${IDEMPOTENCY_KEY_TTL_SECONDS})
        limit ${limit}
      )
      returning 1
    )
    select count(*)::int as deleted from gone
  `.execute(db);
  return result.rows[0]?.deleted ?? 0;
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

export type ReprocessOutcome =
  | { kind: 'queued'; document: ShownDocumentRow }
  | { kind: 'pending' }
  | { kind: 'missing' };

/** Puts a confirmed document (uploaded, classified or failed) back to `uploaded` so it is classified again. */
export async function markForReclassification(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<ReprocessOutcome> {
  const updated = await db
    .updateTable('documents as d')
    .set({ status: 'uploaded', error: null, classified_at: null })
    .where('d.id', '=', id)
    .where('d.user_id', '=', userId)
    .where('d.status', 'in', ['uploaded', 'classified', 'failed'])
    .returningAll()
    .returning(duplicateOf)
    .executeTakeFirst();
  if (updated) return { kind: 'queued', document: updated };
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
/**
 * How long after its upload URL expires a deleted document's key stays tombstoned. S3 checks a presigned URL when
 * a PUT starts, so an upload begun just before expiry may still be arriving; the hour also covers clock skew and a
 * lowered UPLOAD_URL_TTL_SECONDS (the window is computed with the current value). Waiting costs nothing.
 */
export const TOMBSTONE_SLACK_SECONDS = 3600;

export async function deleteDocumentWithRefund(
  db: Kysely<Database>,
  userId: string,
  id: string,
  uploadUrlTtlSeconds: number,
): Promise<DeleteOutcome> {
  // While the document's upload URLs may still be in use (see TOMBSTONE_SLACK_SECONDS; the last was signed at its
  // last activity), its key is tombstoned in the same statement, so an object written after the delete is still
  // found and removed by the purge.
  const keepFor = uploadUrlTtlSeconds + TOMBSTONE_SLACK_SECONDS;
  const result = await sql<{ deleted: number; refunded: number }>`
    with gone as (
      delete from documents where id = ${id} and user_id = ${userId}
      returning storage_key, coalesce(last_activity_at, created_at) as active_at, part_bytes is not null as multipart,
        case when status <> 'pending' then coalesce(size_bytes, 0) else 0 end as refund
    ), tombstone as (
      -- A multipart key is always tombstoned: the purge aborts whatever upload is still open under it.
      insert into upload_tombstones (storage_key, delete_after, multipart)
      select storage_key, greatest(active_at + make_interval(secs => ${keepFor}), now()), multipart
      from gone
      where multipart or active_at + make_interval(secs => ${keepFor}) > now()
      on conflict (storage_key) do nothing
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

/** A leased tombstone; a multipart key also has its unfinished uploads aborted. */
export interface DueTombstone {
  storage_key: string;
  multipart: boolean;
}

/**
 * Leases up to `limit` tombstones whose upload window has passed: their `delete_after` moves `leaseSeconds` into
 * the future and their keys are returned. Rows are claimed with SKIP LOCKED, so concurrent purges take disjoint
 * sets; the caller deletes the objects, then the rows (deleteTombstones). If it dies or S3 fails in between, the
 * lease runs out and a later purge retries: a key is never forgotten, and deleting an object twice is harmless.
 */
export async function leaseDueTombstones(
  db: Kysely<Database>,
  limit: number,
  leaseSeconds: number,
): Promise<DueTombstone[]> {
  const result = await sql<DueTombstone>`
    with claimed as materialized (
      select storage_key from upload_tombstones
      where delete_after <= now()
      order by delete_after
      limit ${limit}
      for update skip locked
    )
    update upload_tombstones t set delete_after = now() + make_interval(secs => ${leaseSeconds})
    from claimed
    where t.storage_key = claimed.storage_key
    returning t.storage_key, t.multipart
  `.execute(db);
  return result.rows;
}

export async function deleteTombstones(db: Kysely<Database>, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom('upload_tombstones').where('storage_key', 'in', keys).execute();
}

/**
 * Tombstones keys whose objects S3 refused to delete, due in `afterSeconds` (a tombstone already due later keeps
 * its time), so a later purge's sweep retries them: the key is kept until its object is gone.
 */
export async function tombstoneKeys(
  db: Kysely<Database>,
  keys: readonly string[],
  afterSeconds: number,
): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    insert into upload_tombstones (storage_key, delete_after)
    select key, now() + make_interval(secs => ${afterSeconds}) from unnest(${[...keys]}::text[]) as key
    on conflict (storage_key)
    do update set delete_after = greatest(upload_tombstones.delete_after, excluded.delete_after)
  `.execute(db);
}

export interface PurgedDocument {
  storage_key: string;
  /** It was a multipart upload: unfinished uploads under its key are aborted. */
  multipart: boolean;
  /** The deleted row as JSON text, so it can be put back exactly if its object cannot be deleted. */
  snapshot: string;
}

/**
 * Deletes up to `limit` pending documents last active (created, or signed for) more than `olderThanSeconds` ago
 * and returns their keys. The rows are claimed with FOR UPDATE SKIP LOCKED, so concurrent purges take disjoint
 * batches and never wait on each other (or on a confirm that holds a row); a row a confirm flipped to `uploaded`
 * is re-checked and left alone.
 */
export async function deleteExpiredPendingDocuments(
  db: Kysely<Database>,
  olderThanSeconds: number,
  limit: number,
  uploadUrlTtlSeconds: number,
): Promise<PurgedDocument[]> {
  // A pending upload may expire while its last URL still works (PENDING_UPLOAD_TTL_SECONDS close to, or below,
  // UPLOAD_URL_TTL_SECONDS): its key is tombstoned like a deleted document's, in the same statement.
  const keepFor = uploadUrlTtlSeconds + TOMBSTONE_SLACK_SECONDS;
  const result = await sql<PurgedDocument>`
    with claimed as materialized (
      select id from documents
      where status = 'pending'
        and coalesce(last_activity_at, created_at) < now() - make_interval(secs => ${olderThanSeconds})
      order by coalesce(last_activity_at, created_at)
      limit ${limit}
      for update skip locked
    ), purged as (
      delete from documents d using claimed
      where d.id = claimed.id and d.status = 'pending'
      returning d.storage_key, coalesce(d.last_activity_at, d.created_at) as active_at,
        d.part_bytes is not null as multipart,
        to_jsonb(d)::text as snapshot
    ), tombstone as (
      insert into upload_tombstones (storage_key, delete_after, multipart)
      select storage_key, active_at + make_interval(secs => ${keepFor}), multipart from purged
      where active_at + make_interval(secs => ${keepFor}) > now()
      on conflict (storage_key) do nothing
    )
    select storage_key, multipart, snapshot from purged
  `.execute(db);
  return result.rows;
}

/**
 * Puts purged rows back (after their objects could not be deleted), so the next purge retries them. Rows whose
 * owner has gone meanwhile stay gone; a row that somehow exists again is left as it is.
 */
export async function restorePurgedDocuments(
  db: Kysely<Database>,
  snapshots: readonly string[],
  searchLanguage: string,
): Promise<number> {
  if (snapshots.length === 0) return 0;
  // A restored row's key is live again: the purge must not sweep it (it may yet be confirmed). Its search row went
  // with it (a pending document's is its filename alone) and comes back too.
  const result = await sql<{ restored: number }>`
    with rows as (
      select r.* from jsonb_populate_recordset(null::documents, ${`[${snapshots.join(',')}]`}::jsonb) r
    ), untombed as (
      delete from upload_tombstones where storage_key in (select storage_key from rows)
    ), restored as (
      insert into documents
      select * from rows r where exists (select 1 from users u where u.id = r.user_id)
      on conflict do nothing
      returning id, user_id, filename
    ), indexed as (
      ${insertFilenameOnly('restored', searchLanguage)}
    )
    select count(*)::int as restored from restored
  `.execute(db);
  return result.rows[0]?.restored ?? 0;
}

/**
 * Confirmed documents still waiting for their first (or a requested) classification after `olderThanSeconds`,
 * oldest first. created_at ≤ confirmed_at, so the created_at bound lets the (status, created_at) index narrow
 * the scan before confirmed_at is checked.
 */
export async function findStrandedUploads(
  db: Kysely<Database>,
  olderThanSeconds: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('documents')
    .select('id')
    .where('status', '=', 'uploaded')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .where('confirmed_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
