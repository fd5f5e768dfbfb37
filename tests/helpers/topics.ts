import { db } from '../../lib/platform/db/client.js';

/**
 * A topic of the user's written straight to the database, for a test whose subject is not the topics API (whose
 * tests make theirs through it: `createTopic` in tests/integration/topics.test.ts). Returns its id. Users' topics
 * only: a system topic is seen by every user of the suite's shared database, so a file that makes one gives it a
 * unique name or deletes it afterwards.
 */
export async function insertTopic(
  userId: string,
  name: string,
  description: string | null = null,
): Promise<string> {
  const row = await db()
    .insertInto('topics')
    .values({ user_id: userId, name, description })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
