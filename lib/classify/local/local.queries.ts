import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { visibleTopicsOf } from '../../platform/db/visible-topics.js';

/**
 * What the local classifier knows about one document's words, counted over its owner's filed documents (README
 * "Filing without an LLM"). Documents are counted by presence (a word in a document counts once), each weighted: `userWeight` when a person set one of its topics, 1 when only the model did.
 */
export interface FilingEvidence {
  /** Training documents, unweighted. */
  count: number;
  /** Weighted number of training documents. */
  documents: number;
  /** Per visible topic with training documents: weighted documents, and their raw count. */
  topics: { topicId: string; documents: number; count: number }[];
  /** Per word of the new document seen in training: its weighted document frequency, overall and per topic. */
  frequencies: { word: string; documents: number; byTopic: Record<string, number> }[];
  /** Where each word of the new document occurs (tsvector positions), to judge its parts apart. */
  positions: Record<string, number[]>;
}

export interface FilingQuestion {
  userId: string;
  /** The document being filed: never its own evidence. */
  documentId: string;
  filename: string;
  text: string;
  language: string;
  userWeight: number;
  maxDocuments: number;
}

/**
 * One statement: the new document's words (the same tsvector search builds, kite_search_vector), then, over the
 * owner's newest `maxDocuments` classified documents that carry a topic, the counts naive Bayes needs for those
 * words only. The owner's documents alone: `d.user_id` is the only way in, so another user's filing never teaches.
 * Only topics the owner sees now count (a deleted or foreign topic is not a label).
 */
export async function filingEvidence(db: Kysely<Database>, q: FilingQuestion): Promise<FilingEvidence> {
  const result = await sql<FilingEvidence>`
    with query as (
      select u.lexeme, u.positions
      from unnest(kite_search_vector(${q.language}::regconfig, ${q.filename}, ${q.text})) u
    ), visible as (
      select v.id from ${visibleTopicsOf(q.userId)} v
    ), train as (
      select d.id, s.vector,
        case when exists (
          select 1 from document_topics p where p.document_id = d.id and p.source = 'user'
        ) then ${q.userWeight}::float8 else 1::float8 end as w
      from documents d join document_search s on s.document_id = d.id
      where d.user_id = ${q.userId} and d.id <> ${q.documentId} and d.status = 'classified' and d.deleted_at is null
        and exists (select 1 from document_topics x where x.document_id = d.id and x.topic_id in (select id from visible))
      order by d.classified_at desc nulls last, d.id
      limit ${q.maxDocuments}
    ), labels as (
      select t.id as document_id, dt.topic_id, t.w
      from train t join document_topics dt on dt.document_id = t.id
      where dt.topic_id in (select id from visible)
    ), hits as (
      select t.id as document_id, t.w, u.lexeme from train t cross join lateral unnest(t.vector) u
      where u.lexeme in (select lexeme from query)
    ), per_topic as (
      select h.lexeme, l.topic_id, sum(l.w) as df
      from hits h join labels l on l.document_id = h.document_id group by h.lexeme, l.topic_id
    ), by_topic as (
      select lexeme, json_object_agg(topic_id, df) as df from per_topic group by lexeme
    ), per_word as (
      select lexeme, sum(w) as df from hits group by lexeme
    )
    select
      (select count(*)::int from train) as count,
      (select coalesce(sum(w), 0)::float8 from train) as documents,
      coalesce((
        select json_agg(json_build_object('topicId', topic_id, 'documents', docs, 'count', n))
        from (
          select topic_id, sum(w)::float8 as docs, count(*)::int as n
          from labels group by topic_id
        ) x
      ), '[]'::json) as topics,
      coalesce((
        select json_agg(json_build_object('word', w.lexeme, 'documents', w.df, 'byTopic', coalesce(t.df, '{}'::json)))
        from per_word w left join by_topic t on t.lexeme = w.lexeme
      ), '[]'::json) as frequencies,
      coalesce((select json_object_agg(lexeme, positions) from query), '{}'::json) as positions
  `.execute(db);
  const row = result.rows[0];
  return row ?? { count: 0, documents: 0, topics: [], frequencies: [], positions: {} };
}
