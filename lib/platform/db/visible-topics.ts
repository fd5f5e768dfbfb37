import { type RawBuilder, sql } from 'kysely';

/**
 * What a user sees, as a subquery of topic rows: system topics and their own, where an own topic hides the system
 * topic of the same name (names are stored normalised, so comparing lower(name) is the case-insensitive match the
 * index uses). Written once, so the topic list and classification agree on it; `userId` is a value or a column of
 * the outer query (`sql.ref('d.user_id')`). Each half of the union is an index scan on topics
 * (coalesce(user_id, ''), lower(name)).
 */
export function visibleTopicsOf(userId: string | RawBuilder<string>): RawBuilder<unknown> {
  return sql`(
    select t.* from topics t where coalesce(t.user_id, '') = ${userId}
    union all
    select t.* from topics t
    where coalesce(t.user_id, '') = '' and not exists (
      select 1 from topics own where coalesce(own.user_id, '') = ${userId} and lower(own.name) = lower(t.name)
    )
  )`;
}
