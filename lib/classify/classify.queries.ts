import { type Kysely, sql } from 'kysely';
import type { Database, StageDocument } from '../platform/db/schema.js';
import { type SearchText, upsertSearchText } from '../platform/db/search-rows.js';
import { visibleTopicsOf } from '../platform/db/visible-topics.js';
import type { FilingExample } from './ai/prompt.js';

export interface VisibleTopic {
  id: string;
  name: string;
  description: string | null;
  scope: 'system' | 'user';
}

export interface ClassificationInput extends StageDocument {
  /** The text the extract stage saved for search, at most `maxChars`; null before it ran. */
  text: string | null;
  aiProvider: string | null;
  aiModel: string | null;
  /** What the owner sees (GET /api/topics): system topics and their own, an own topic hiding a system namesake. */
  topics: VisibleTopic[];
  /** The owner's documents a person filed most recently (not this one), for the prompt's examples. */
  examples: FilingExample[];
}

/** How many of the owner's corrections a prompt may show (CLASSIFY_EXAMPLES_MAX_CHARS bounds their size). */
const EXAMPLES_MAX = 3;

/**
 * Everything one classification reads, in one round trip: the document, its owner's AI settings and the owner's
 * visible topics (the same ones GET /api/topics lists).
 */
export async function loadClassificationInput(
  db: Kysely<Database>,
  documentId: string,
  maxChars: number,
): Promise<ClassificationInput | undefined> {
  const result = await sql<ClassificationInput>`
    select d.id, d.user_id as "userId", d.filename, d.content_type as "contentType", d.size_bytes as "sizeBytes",
      d.storage_key as "storageKey", d.status, d.sha256, d.text_source as "textSource",
      case when d.text_source is null then null
        else (select left(x.content, ${maxChars}) from document_search x where x.document_id = d.id) end as text,
      u.ai_provider as "aiProvider", u.ai_model as "aiModel",
      coalesce((
        select json_agg(
          json_build_object(
            'id', v.id, 'name', v.name, 'description', v.description,
            'scope', case when v.user_id is null then 'system' else 'user' end
          ) order by lower(v.name), v.name, v.id
        ) from ${visibleTopicsOf(sql.ref<string>('d.user_id'))} v
      ), '[]'::json) as topics,
      coalesce((
        select json_agg(json_build_object('filename', e.filename, 'excerpt', e.excerpt, 'topics', e.topics))
        from (
          select c.filename, left(s.content, 1000) as excerpt,
            (select json_agg(t.name order by lower(t.name)) from document_topics x join topics t on t.id = x.topic_id
              where x.document_id = c.id and x.source = 'user') as topics
          from (
            select o.id, o.filename, max(l.created_at) as corrected_at
            from document_topics l join documents o on o.id = l.document_id
            where l.source = 'user' and o.user_id = d.user_id and o.id <> d.id and o.deleted_at is null
            group by o.id, o.filename
            order by corrected_at desc
            limit ${EXAMPLES_MAX}
          ) c left join document_search s on s.document_id = c.id
          order by c.corrected_at desc
        ) e
      ), '[]'::json) as examples
    from documents d join users u on u.id = d.user_id
    where d.id = ${documentId}
  `.execute(db);
  return result.rows[0];
}

export interface ClassificationResult {
  documentId: string;
  /** Visible topics the model chose; only system topics or the owner's are ever linked. */
  topicIds: readonly string[];
  /** New names for the owner's namespace, normalised, none equal to a visible name. */
  newTopicNames: readonly string[];
  /** The document's text for search, replacing what was stored; absent when the extract stage stored it. */
  search: SearchText | undefined;
}

/**
 * Writes a classification in one statement (so one short transaction, after every network call): the document is
 * flipped uploaded → classified, and only if that happened are the new topics created, the links replaced and the
 * search text stored.
 * A concurrent or repeated classification finds the document no longer `uploaded` and writes nothing.
 *
 * New topics: `on conflict … do update` (a no-op update) returns the existing row when the owner or a concurrent
 * classification created the same name first, so a race links that topic instead of failing. Links: previous
 * `ai` links not chosen again go; `user` links stay whatever the model says, a topic the user already linked keeps
 * source `user`, and a topic a person took off this document (document_topic_rejections) is never linked again.
 * Returns false when the document was not `uploaded` (gone, already classified, or failed meanwhile).
 */
export async function saveClassification(
  db: Kysely<Database>,
  result: ClassificationResult,
): Promise<boolean> {
  const names = [...result.newTopicNames];
  const outcome = await sql<{ classified: number }>`
    with doc as (
      update documents set status = 'classified', classified_at = now(), error = null
      where id = ${result.documentId} and status = 'uploaded'
      returning id, user_id, filename
    ), indexed as (
      ${result.search ? upsertSearchText('doc', result.search) : sql`select 1`}
    ), created as (
      insert into topics (user_id, name)
      select doc.user_id, n.name from doc, unnest(${names}::text[]) with ordinality as n(name, position)
      order by n.position
      on conflict (coalesce(user_id, ''), lower(name)) do update set name = topics.name
      returning id
    ), chosen as (
      select t.id from topics t join doc on t.user_id is null or t.user_id = doc.user_id
      where t.id = any(${[...result.topicIds]}::uuid[])
      union
      select id from created
    ), unlinked as (
      delete from document_topics dt using doc
      where dt.document_id = doc.id and dt.source = 'ai' and dt.topic_id not in (select id from chosen)
    ), linked as (
      insert into document_topics (document_id, topic_id, source)
      select doc.id, chosen.id, 'ai' from doc, chosen
      where not exists (
        select 1 from document_topic_rejections r where r.document_id = doc.id and r.topic_id = chosen.id
      )
      on conflict (document_id, topic_id) do nothing
    )
    select count(*)::int as classified from doc
  `.execute(db);
  return (outcome.rows[0]?.classified ?? 0) > 0;
}

/**
 * Records a failed attempt on a document still `uploaded`: the error (it will be retried), or, on the last attempt
 * or a permanent failure, status `failed` too. When the file was read (the model failed, not the file) its text is
 * stored as well, so the document is found by what it says while it waits for, or without, a working model.
 */
export async function recordClassificationFailure(
  db: Kysely<Database>,
  documentId: string,
  error: string,
  final: boolean,
  search?: SearchText,
): Promise<void> {
  await sql`
    with doc as (
      update documents set ${final ? sql`status = 'failed', ` : sql``}error = ${error}
      where id = ${documentId} and status = 'uploaded'
      returning id, user_id, filename
    )
    ${search ? upsertSearchText('doc', search) : sql`select 1`}
  `.execute(db);
}

/** Records kite's hash of a document's bytes; a hash already recorded is kept (the bytes cannot change). */
export async function saveContentHash(db: Kysely<Database>, id: string, sha256: string): Promise<void> {
  await db
    .updateTable('documents')
    .set({ sha256 })
    .where('id', '=', id)
    .where('sha256', 'is', null)
    .execute();
}
