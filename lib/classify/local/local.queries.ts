import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { visibleTopicsOf } from '../../platform/db/visible-topics.js';

/** The topics the owner sees now, as the SQL fragment `visible`. */
function visibleOf(userId: string) {
  return sql`visible as (select v.id from ${visibleTopicsOf(userId)} v)`;
}

/**
 * The owner's training documents, as one SQL fragment after `visible` (`train`): their newest `maxDocuments`
 * classified documents outside the trash that carry a topic the owner sees now, each weighted (`userWeight` when a
 * person set one of its topics, 1 when only a model did). `d.user_id` is the only way in: another user's filing
 * never teaches, and a deleted or foreign topic is no label.
 */
function trainingSet(userId: string, maxDocuments: number, userWeight: number) {
  return sql`
    train as (
      select d.id, d.filename,
        case when exists (
          select 1 from document_topics p where p.document_id = d.id and p.source = 'user'
        ) then ${userWeight}::float8 else 1::float8 end as w
      from documents d
      where d.user_id = ${userId} and d.status = 'classified' and d.deleted_at is null
        and exists (select 1 from document_topics x where x.document_id = d.id and x.topic_id in (select id from visible))
      order by d.classified_at desc nulls last, d.id
      limit ${maxDocuments}
    )`;
}

export interface TrainingQuestion {
  userId: string;
  /** How much of each document's text counts: the same CLASSIFY_MAX_CHARS an LLM is shown. */
  maxChars: number;
  maxDocuments: number;
  userWeight: number;
}

/** What the stored model was trained on, and what the owner's training set is now: they differ when it is stale. */
export interface ModelState {
  /** Labelled documents now (the training set is the newest `maxDocuments` of them). */
  documents: number;
  /** Of what a person set and took off on them now (see fingerprintOf). */
  personFingerprint: string;
  stored?: {
    version: string;
    /** Labelled documents when it was trained. */
    documents: number;
    personFingerprint: string;
    /** Null when the caller already holds this version. */
    model: string | null;
  };
}

/**
 * The owner's labelled documents (every one, not only the newest `maxDocuments`), as SQL fragments after
 * `visible`: `labelled` has one row per document and visible topic. Their count, and a fingerprint of the
 * topics a person set and took off on them, tell whether a stored model is stale: any correction changes the
 * fingerprint (hashtext sums; a collision would only delay a retraining until the next change).
 */
function labelled(userId: string) {
  return sql`
    labelled as (
      select l.document_id, l.topic_id, l.source
      from documents d join document_topics l on l.document_id = d.id
      where d.user_id = ${userId} and d.status = 'classified' and d.deleted_at is null
        and l.topic_id in (select id from visible)
    )`;
}

function fingerprintOf(userId: string) {
  return sql`(
    select (
      coalesce((select sum(hashtext(p.document_id::text || p.topic_id::text)::bigint)
        from labelled p where p.source = 'user'), 0)
      + coalesce((select sum(hashtext('-' || r.document_id::text || r.topic_id::text)::bigint)
        from document_topic_rejections r join documents d on d.id = r.document_id
        where d.user_id = ${userId} and d.status = 'classified' and d.deleted_at is null), 0)
    )::text
  )`;
}

/**
 * One statement per filing: the training set's size and fingerprint, and the stored model (its text only if
 * `heldVersion` is not it).
 */
export async function modelState(
  db: Kysely<Database>,
  q: TrainingQuestion & { heldVersion: string | null },
): Promise<ModelState> {
  const result = await sql<ModelState>`
    with ${visibleOf(q.userId)}, ${labelled(q.userId)}
    select
      (select count(distinct document_id)::int from labelled) as documents,
      ${fingerprintOf(q.userId)} as "personFingerprint",
      (select json_build_object(
          'version', m.version, 'documents', m.documents, 'personFingerprint', m.person_fingerprint,
          'model', case when m.version::text = ${q.heldVersion} then null else m.model end)
        from local_models m where m.user_id = ${q.userId}) as stored
  `.execute(db);
  const row = result.rows[0];
  return {
    documents: row?.documents ?? 0,
    personFingerprint: row?.personFingerprint ?? '0',
    ...(row?.stored ? { stored: row.stored } : {}),
  };
}

export interface TrainingDocument {
  filename: string;
  /** The first `maxChars` of the text search indexes (what an LLM would be shown). */
  content: string;
  topicIds: string[];
  weight: number;
}

/** The training documents: their filenames, texts (as search keeps them) and labels. */
export async function trainingDocuments(
  db: Kysely<Database>,
  q: TrainingQuestion,
): Promise<{ documents: TrainingDocument[]; labelled: number; personFingerprint: string }> {
  const result = await sql<TrainingDocument & { personFingerprint: string; labelled: number }>`
    with ${visibleOf(q.userId)}, ${trainingSet(q.userId, q.maxDocuments, q.userWeight)}, ${labelled(q.userId)}
    select t.w as weight, t.filename, coalesce(left(s.content, ${q.maxChars}), '') as content,
      array(select l.topic_id::text from document_topics l where l.document_id = t.id
        and l.topic_id in (select id from visible)) as "topicIds",
      ${fingerprintOf(q.userId)} as "personFingerprint",
      (select count(distinct document_id)::int from labelled) as labelled
    from train t left join document_search s on s.document_id = t.id
  `.execute(db);
  return {
    documents: result.rows,
    labelled: result.rows[0]?.labelled ?? 0,
    personFingerprint: result.rows[0]?.personFingerprint ?? '0',
  };
}

/** Stores a user's model; the last training to finish wins (any of them is a correct model). */
export async function saveModel(
  db: Kysely<Database>,
  row: { userId: string; version: string; documents: number; personFingerprint: string; model: string },
): Promise<void> {
  await sql`
    insert into local_models (user_id, version, documents, person_fingerprint, model, trained_at)
    values (${row.userId}, ${row.version}, ${row.documents}, ${row.personFingerprint}, ${row.model}, now())
    on conflict (user_id) do update set version = excluded.version, documents = excluded.documents,
      person_fingerprint = excluded.person_fingerprint, model = excluded.model, trained_at = excluded.trained_at
  `.execute(db);
}
