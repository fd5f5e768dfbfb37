import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database, TopicRow } from '../platform/db/schema.js';
import { visibleTopicsOf } from '../platform/db/visible-topics.js';

/** Whose topics: a user id, or null for the system namespace (admins' topics every user sees). */
export type TopicOwner = string | null;

export interface TopicChanges {
  name?: string;
  description?: string | null;
}

/** A write the per-namespace unique name index may refuse; the refusal is an outcome, not an exception. */
export type TopicWrite = { kind: 'written'; topic: TopicRow } | { kind: 'name_taken' };

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: string }).code === UNIQUE_VIOLATION;
}

/**
 * `coalesce(user_id, '') = owner`: the same expression the unique index `(coalesce(user_id, ''), lower(name))`
 * starts with, so namespace lookups can use that index. User ids are never empty (auth refuses an empty `sub`).
 */
function inNamespace(eb: ExpressionBuilder<Database, 'topics'>, owner: TopicOwner): Expression<SqlBool> {
  return eb(sql`coalesce(topics.user_id, '')`, '=', owner ?? '');
}

const byName = sql`lower(name)`;

/** GET /api/topics: the topics the user sees, by name case-insensitively. */
export async function visibleTopics(db: Kysely<Database>, userId: string): Promise<TopicRow[]> {
  const result = await sql<TopicRow>`
    select v.* from ${visibleTopicsOf(userId)} v order by lower(v.name), v.name, v.id
  `.execute(db);
  return result.rows;
}

/** One namespace's topics, by name case-insensitively. */
export async function topicsOf(db: Kysely<Database>, owner: TopicOwner): Promise<TopicRow[]> {
  return db
    .selectFrom('topics')
    .selectAll()
    .where((eb) => inNamespace(eb, owner))
    .orderBy(byName)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function findTopic(db: Kysely<Database>, id: string): Promise<TopicRow | undefined> {
  return db.selectFrom('topics').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The unique index decides a duplicate name, so concurrent creates of one name yield exactly one topic. */
export async function insertTopic(
  db: Kysely<Database>,
  topic: { owner: TopicOwner; name: string; description: string | null },
): Promise<TopicWrite> {
  try {
    const row = await db
      .insertInto('topics')
      .values({ user_id: topic.owner, name: topic.name, description: topic.description })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { kind: 'written', topic: row };
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: 'name_taken' };
    throw error;
  }
}

/** Updates a topic of `owner`'s namespace; undefined when that namespace has no topic with this id. */
export async function updateTopicInNamespace(
  db: Kysely<Database>,
  owner: TopicOwner,
  id: string,
  changes: TopicChanges,
): Promise<TopicWrite | undefined> {
  try {
    const row = await db
      .updateTable('topics')
      .set(changes)
      .where('id', '=', id)
      .where((eb) => inNamespace(eb, owner))
      .returningAll()
      .executeTakeFirst();
    return row && { kind: 'written', topic: row };
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: 'name_taken' };
    throw error;
  }
}

/** Deletes a topic of `owner`'s namespace (its document links go with it, by cascade); false when there is none. */
export async function deleteTopicInNamespace(
  db: Kysely<Database>,
  owner: TopicOwner,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('topics')
    .where('id', '=', id)
    .where((eb) => inNamespace(eb, owner))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
