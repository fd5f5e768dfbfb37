import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database, ShownDocumentRow } from '../platform/db/schema.js';
import { duplicateOfExpression } from '../platform/db/shown-documents.js';
import { visibleTopicsOf } from '../platform/db/visible-topics.js';

// What people change on their documents (docs/api.md "Editing documents, bulk actions and the trash"): edits, the trash
// and bulk actions. Every statement here takes a set of ids, so a bulk call of 100 ids costs what one of 1 does.

/** Which of these topic ids the user sees (system topics and their own); the rest are unknown or another's. */
export async function visibleTopicIds(
  db: Kysely<Database>,
  userId: string,
  topicIds: readonly string[],
): Promise<Set<string>> {
  if (topicIds.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    select v.id from ${visibleTopicsOf(userId)} v where v.id = any(${[...topicIds]}::uuid[])
  `.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

export interface DocumentEdit {
  filename?: string | undefined;
  /** The whole new set: links not in it go (and are remembered as rejected), new ones are `user` links. */
  topicIds?: readonly string[] | undefined;
  /** Only if the document is still at this version (If-Match). */
  version?: number | undefined;
}

/**
 * PATCH in one statement: the row is updated (version + 1) only if it is the owner's, outside the trash, and at
 * `version` when given; only then do the topic links change. Two concurrent edits with the same If-Match: the
 * second waits for the first's row lock, re-reads the row, finds another version and changes nothing.
 * Undefined when nothing was updated (the caller finds out why).
 */
export async function editDocument(
  db: Kysely<Database>,
  userId: string,
  id: string,
  edit: DocumentEdit,
): Promise<ShownDocumentRow | undefined> {
  const topics = edit.topicIds === undefined ? undefined : [...edit.topicIds];
  const topicChanges =
    topics === undefined
      ? sql``
      : sql`, previous as (
          select dt.topic_id from document_topics dt join doc on dt.document_id = doc.id
        ), unlinked as (
          delete from document_topics dt using doc
          where dt.document_id = doc.id and not (dt.topic_id = any(${topics}::uuid[]))
        ), linked as (
          insert into document_topics (document_id, topic_id, source)
          select doc.id, t.id, 'user' from doc join topics t on t.id = any(${topics}::uuid[])
          on conflict (document_id, topic_id) do update set source = 'user', created_at = now()
        ), rejected as (
          insert into document_topic_rejections (document_id, topic_id)
          select doc.id, p.topic_id from doc, previous p where not (p.topic_id = any(${topics}::uuid[]))
          on conflict do nothing
        ), unrejected as (
          delete from document_topic_rejections r using doc
          where r.document_id = doc.id and r.topic_id = any(${topics}::uuid[])
        )`;
  const renamed =
    edit.filename === undefined
      ? sql``
      : sql`, renamed as (
          update document_search s
          set vector = kite_search_vector(s.language::regconfig, doc.filename, s.content), updated_at = now()
          from doc where s.document_id = doc.id
        )`;
  const result = await sql<ShownDocumentRow>`
    with doc as (
      update documents d set version = d.version + 1
        ${edit.filename === undefined ? sql`` : sql`, filename = ${edit.filename}`}
      where d.id = ${id} and d.user_id = ${userId} and d.deleted_at is null
        ${edit.version === undefined ? sql`` : sql`and d.version = ${edit.version}`}
      returning d.*, ${duplicateOfExpression} as duplicate_of
    )${topicChanges}${renamed}
    select * from doc
  `.execute(db);
  return result.rows[0];
}

export type BulkOutcome = 'ok' | 'not_found' | 'conflict';
export interface BulkResultRow {
  id: string;
  outcome: BulkOutcome;
}

/**
 * One bulk statement: `change` (data-modifying CTEs that see `owned`, the owner's rows among the ids, one of them
 * named `changed` returning the ids it changed) runs once for the whole set, and every id is answered in the order given: not the
 * owner's → not_found; owned but not changed → conflict.
 */
async function runBulk(
  db: Kysely<Database>,
  userId: string,
  ids: readonly string[],
  change: RawBuilder<unknown>,
): Promise<BulkResultRow[]> {
  const result = await sql<BulkResultRow>`
    with input as (
      select i.id, i.position from unnest(${[...ids]}::uuid[]) with ordinality as i(id, position)
    ), owned as materialized (
      select d.id, d.status, d.deleted_at from documents d
      where d.id = any(${[...ids]}::uuid[]) and d.user_id = ${userId}
    ), ${change}
    select input.id,
      case when not exists (select 1 from owned where owned.id = input.id) then 'not_found'
           when exists (select 1 from changed where changed.id = input.id) then 'ok'
           else 'conflict' end as outcome
    from input order by input.position
  `.execute(db);
  return result.rows;
}

/**
 * Moves confirmed documents to the trash (version + 1). One already in the trash stays there and counts as done;
 * a pending one is not moved (`pending`, outcome ok): it has nothing to restore, so the caller deletes it for good.
 */
export async function trashDocuments(
  db: Kysely<Database>,
  userId: string,
  ids: readonly string[],
): Promise<(BulkResultRow & { pending: boolean })[]> {
  const result = await sql<BulkResultRow & { pending: boolean }>`
    with input as (
      select i.id, i.position from unnest(${[...ids]}::uuid[]) with ordinality as i(id, position)
    ), owned as materialized (
      select d.id, d.status, d.deleted_at from documents d
      where d.id = any(${[...ids]}::uuid[]) and d.user_id = ${userId}
    ), moved as (
      update documents d set deleted_at = now(), version = d.version + 1
      from owned where d.id = owned.id and d.deleted_at is null and d.status <> 'pending'
      returning d.id
    )
    select input.id,
      case when owned.id is null then 'not_found'
           when owned.deleted_at is not null or owned.status = 'pending'
             or exists (select 1 from moved where moved.id = input.id) then 'ok'
           else 'conflict' end as outcome,
      coalesce(owned.status = 'pending' and owned.deleted_at is null, false) as pending
    from input left join owned on owned.id = input.id
    order by input.position
  `.execute(db);
  return result.rows;
}

/** Takes documents out of the trash (version + 1); one not in the trash is a conflict. */
export function restoreDocuments(db: Kysely<Database>, userId: string, ids: readonly string[]) {
  return runBulk(
    db,
    userId,
    ids,
    sql`changed as (
      update documents d set deleted_at = null, version = d.version + 1
      from owned where d.id = owned.id and d.deleted_at is not null
      returning d.id
    )`,
  );
}

/** The bulk topic edits' first step: the caller's documents outside the trash, their version + 1, as `changed`. */
const changedOutsideTrash = sql`changed as (
  update documents d set version = d.version + 1
  from owned where d.id = owned.id and d.deleted_at is null
  returning d.id
)`;

/**
 * Adds topics (already checked visible) as `user` links to documents outside the trash, and forgets them as
 * rejected; version + 1. A trashed document is a conflict.
 */
export function addTopicsToDocuments(
  db: Kysely<Database>,
  userId: string,
  ids: readonly string[],
  topicIds: readonly string[],
) {
  const topics = [...topicIds];
  return runBulk(
    db,
    userId,
    ids,
    sql`${changedOutsideTrash}, linked as (
      insert into document_topics (document_id, topic_id, source)
      select c.id, t.id, 'user' from changed c join topics t on t.id = any(${topics}::uuid[])
      on conflict (document_id, topic_id) do update set source = 'user', created_at = now()
    ), unrejected as (
      delete from document_topic_rejections r using changed c
      where r.document_id = c.id and r.topic_id = any(${topics}::uuid[])
    )`,
  );
}

/** Takes topics off documents outside the trash and remembers them as rejected; version + 1. */
export function removeTopicsFromDocuments(
  db: Kysely<Database>,
  userId: string,
  ids: readonly string[],
  topicIds: readonly string[],
) {
  const topics = [...topicIds];
  return runBulk(
    db,
    userId,
    ids,
    sql`${changedOutsideTrash}, unlinked as (
      delete from document_topics dt using changed c
      where dt.document_id = c.id and dt.topic_id = any(${topics}::uuid[])
    ), rejected as (
      insert into document_topic_rejections (document_id, topic_id)
      select c.id, t.id from changed c join topics t on t.id = any(${topics}::uuid[])
      on conflict do nothing
    )`,
  );
}

/** Puts confirmed documents outside the trash back to `uploaded` (version + 1); pending or trashed: conflict. */
export function markManyForReclassification(db: Kysely<Database>, userId: string, ids: readonly string[]) {
  return runBulk(
    db,
    userId,
    ids,
    sql`changed as (
      update documents d set status = 'uploaded', error = null, classified_at = null, version = d.version + 1
      from owned where d.id = owned.id and d.deleted_at is null and d.status in ('uploaded', 'classified', 'failed')
      returning d.id
    )`,
  );
}
