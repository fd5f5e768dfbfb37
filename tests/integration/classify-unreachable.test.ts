import { afterAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/classify.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { lambdaContext } from '../helpers/api.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// No LLM anywhere: both providers point at a port nobody listens on.
const closedHost = await vi.hoisted(async () => {
  const closedHost = `http://127.0.0.1:${await (await import('../../local/ports.js')).freePort()}`;
  (await import('../helpers/env.js')).configure({
    OLLAMA_HOST: closedHost,
    OPENAI_BASE_URL: `${closedHost}/v1`,
  });
  return closedHost;
});

afterAll(closeDb);

function deliver(documentId: string, receiveCount: number) {
  return handler(
    sqsEvent(sqsRecord({ body: { documentId }, receiveCount })),
    lambdaContext('kite-test-classify'),
  );
}

function documentRow(id: string) {
  return db().selectFrom('documents').select(['status', 'error']).where('id', '=', id).executeTakeFirst();
}

describe('no model server running', () => {
  it('keeps the document uploaded with the reason, then fails it on the last attempt', async () => {
    const { token } = await newUser({ label: 'unreachable' });
    const documentId = await uploadDocument(token, 'text', { filename: 'doc.txt' });
    const reason = `Ollama unreachable at ${closedHost}: ECONNREFUSED`;

    await expect(deliver(documentId, 1)).rejects.toThrow();
    expect(await documentRow(documentId)).toEqual({ status: 'uploaded', error: reason });

    await expect(deliver(documentId, 2)).rejects.toThrow();
    expect(await documentRow(documentId)).toEqual({ status: 'uploaded', error: reason });

    await expect(deliver(documentId, 3)).rejects.toThrow();
    expect(await documentRow(documentId)).toEqual({ status: 'failed', error: reason });
  });

  it('says the same for an unreachable OpenAI-compatible endpoint', async () => {
    const { userId, token } = await newUser({ label: 'unreachable' });
    const documentId = await uploadDocument(token, 'text', { filename: 'doc.txt' });
    await db()
      .updateTable('users')
      .set({ ai_provider: 'openai', ai_model: 'gpt-x' })
      .where('id', '=', userId)
      .execute();

    await expect(deliver(documentId, 3)).rejects.toThrow();

    expect(await documentRow(documentId)).toEqual({
      status: 'failed',
      error: `OpenAI-compatible endpoint unreachable at ${closedHost}/v1: ECONNREFUSED`,
    });
  });
});
