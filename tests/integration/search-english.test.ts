import { afterAll, describe, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { handler as searchHandler } from '../../functions/search.js';
import { closeDb } from '../../lib/platform/db/client.js';
import { call, lambdaContext } from '../helpers/api.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// This file's functions index and search in English.
await vi.hoisted(async () =>
  (await import('../helpers/fake-llm.js')).useFakeLlm({ SEARCH_LANGUAGE: 'english' }),
);

afterAll(closeDb);

async function found(token: string, q: string) {
  const result = await call(searchHandler, { path: '/api/search', query: { q }, token });
  return result;
}

describe('searching with SEARCH_LANGUAGE=english', () => {
  it('stems: "invoices" finds "invoice", and "invoice" finds "invoicing"', async () => {
    const { token } = await newUser({ label: 'english' });
    const single = await uploadDocument(token, 'One invoice for the garden work.');
    const verb = await uploadDocument(token, 'Notes on invoicing customers.', { filename: 'process.txt' });
    for (const id of [single, verb]) {
      await classifyHandler(sqsEvent(sqsRecord({ body: { documentId: id } })), lambdaContext());
    }

    const plural = await found(token, 'invoices');
    expect(plural.status).toBe(200);
    expect(plural.body.results.map((hit: { document: { id: string } }) => hit.document.id).sort()).toEqual(
      [single, verb].sort(),
    );
    const [hit] = plural.body.results.filter((h: { document: { id: string } }) => h.document.id === single);
    expect(hit.highlights.map(([s, e]: [number, number]) => hit.snippet.slice(s, e))).toEqual(['invoice']);
  });

  it('answers 400 to a query of stop words only', async () => {
    const { token } = await newUser({ label: 'english' });
    const result = await found(token, 'the and of');
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body.error.details)).toContain('q has no searchable word');
  });
});
