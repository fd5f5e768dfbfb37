import { type Kysely, sql } from 'kysely';
import { IDEMPOTENCY_KEY_TTL_SECONDS, type IdempotencyClaim } from '../platform/db/idempotency.js';
import type { Database, DocumentRow, NewDocument } from '../platform/db/schema.js';
import { insertFilenameOnly } from '../platform/db/search-rows.js';

/**
 * Inserts a pending document only while its claimed size still fits the owner's remaining quota (an early,
 * advisory check: the binding check is at confirm). Returns undefined when it does not fit, or when `claim` names
 * an Idempotency-Key this user already used within the last 24 hours (the caller then reads that key's row).
 *
 * The key and the document are written by one statement: of concurrent requests with one key, the first inserts
 * the key; the others wait on its unique index entry, find it taken and insert nothing. A key older than 24 hours
 * is taken over by the new request. The same statement writes the document's search row, its filename alone in
 * `searchLanguage`: a document is found by name from the start (docs/api.md "Search").
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
 * The owner's oldest document with this content, if any: one outside the trash first, else a trashed one (which a
 * client restores instead of uploading the bytes again).
 */
export async function findDocumentWithContent(
  db: Kysely<Database>,
  userId: string,
  sha256: string,
): Promise<{ id: string; trashed: boolean } | undefined> {
  const row = await db
    .selectFrom('documents')
    .select(['id', sql<boolean>`deleted_at is not null`.as('trashed')])
    .where('user_id', '=', userId)
    .where('sha256', '=', sha256)
    .orderBy(sql`deleted_at is not null`)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row;
}

/**
 * Records a signing for the owner's pending multipart document: binds `uploadId` on the first one and moves
 * `last_activity_at` (docs/api.md "Large files"). One UPDATE, so of two first signings with different ids only one
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
