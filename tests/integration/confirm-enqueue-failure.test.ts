import { afterAll, expect, it, vi } from 'vitest';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// This file's worker sends to a queue that does not exist, so every SendMessage fails.
await vi.hoisted(async () =>
  (await import('../helpers/env.js')).configure({
    CLASSIFY_QUEUE_URL: `${process.env.AWS_ENDPOINT_URL_SQS}/000000000000/no-such-queue`,
    EXTRACT_QUEUE_URL: `${process.env.AWS_ENDPOINT_URL_SQS}/000000000000/no-such-queue`,
  }),
);

afterAll(closeDb);

it('a confirm whose SendMessage fails still answers 200 and the document stays uploaded', async () => {
  const { userId, token } = await newUser();
  const ticket = await requestUpload(token, { size: 6 });
  await putBytes(ticket, 'abcdef');

  const result = await confirm(token, ticket.document.id);

  expect(result.status).toBe(200);
  expect(result.body.document.status).toBe('uploaded');
  const row = await db()
    .selectFrom('documents')
    .selectAll()
    .where('id', '=', ticket.document.id)
    .executeTakeFirst();
  expect(row?.status).toBe('uploaded');
  const quota = await db().selectFrom('quotas').selectAll().where('user_id', '=', userId).executeTakeFirst();
  expect(quota?.used_bytes).toBe(6);
});
