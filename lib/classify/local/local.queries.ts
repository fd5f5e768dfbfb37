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
  /** The owner's filed documents now (those with a visible topic, the newest `maxDocuments`, are the training set). */
  documents: number;
  /** Of what people changed on them, and of the topics the owner sees (see stateOf). */
  personFingerprint: string;
  stored?: {
    version: string;
    /** Filed documents when it was trained. */
    documents: number;
    personFingerprint: string;
    /** Null when the caller already holds this version. */
    model: string | null;
  };
}

/**
 * Whether a stored model is stale, from the owner's filed documents in one pass over their rows (no join, so it
 * stays cheap with thousands): how many there are, and a fingerprint of what people changed. Every change a person
 * makes to a document (its topics, its name, the trash, a reclassification) adds 1 to its `version`, which the
 * model's own filings leave at 1; the fingerprint sums a hash of (id, version) over the documents a person touched,
 * and of the topics the owner sees, so a correction, a document leaving or entering the trash, or a topic deleted
 * changes it (a hash collision would only delay a retraining until the next change).
 */
function stateOf(userId: string) {
  return sql`
    filed as (
      select count(*)::int as documents,
        coalesce(sum(hashtext(d.id::text || ':' || d.version)::bigint) filter (where d.version > 1), 0) as touched
      from documents d
      where d.user_id = ${userId} and d.status = 'classified' and d.deleted_at is null
    ), fingerprint as (
      select filed.documents,
        (filed.touched + coalesce((select sum(hashtext(v.id::text)::bigint) from visible v), 0))::text as value
      from filed
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
    with ${visibleOf(q.userId)}, ${stateOf(q.userId)}
    select
      (select documents from fingerprint) as documents,
      (select value from fingerprint) as "personFingerprint",
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
): Promise<{ documents: TrainingDocument[]; filed: number; personFingerprint: string }> {
  const result = await sql<TrainingDocument & { personFingerprint: string; filed: number; present: boolean }>`
    with ${visibleOf(q.userId)}, ${trainingSet(q.userId, q.maxDocuments, q.userWeight)}, ${stateOf(q.userId)}
    select f.value as "personFingerprint", f.documents as filed, t.id is not null as present,
      t.w as weight, t.filename, coalesce(left(s.content, ${q.maxChars}), '') as content,
      array(select l.topic_id::text from document_topics l where l.document_id = t.id
        and l.topic_id in (select id from visible)) as "topicIds"
    from fingerprint f
      left join train t on true
      left join document_search s on s.document_id = t.id
  `.execute(db);
  // One row even without training documents (then `present` is false): the state is always read.
  return {
    documents: result.rows.filter((row) => row.present),
    filed: result.rows[0]?.filed ?? 0,
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
