import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { handler as searchHandler } from '../../functions/search.js';
import { EXTRACTOR_VERSION } from '../../lib/extract/text.js';
import { db } from '../../lib/platform/db/client.js';
import { reindexSearch } from '../../lib/search/reindex.js';
import { call, lambdaContext } from '../helpers/api.js';
import { buildPdf } from '../helpers/pdf.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { confirm, putBytes, requestUpload, uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// The reindex works on whole tables: this file has a database of its own, indexed in English.
await vi.hoisted(async () => (await import('../helpers/own-database.js')).useOwnDatabase('kite_reindex'));
await vi.hoisted(async () =>
  (await import('../helpers/fake-llm.js')).useFakeLlm({ SEARCH_LANGUAGE: 'english' }),
);

async function ids(token: string, q: string): Promise<string[]> {
  const result = await call(searchHandler, { path: '/api/search', query: { q, limit: '100' }, token });
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return result.body.results.map((hit: { document: { id: string } }) => hit.document.id).sort();
}

async function classified(token: string, content: string, filename = 'notes.txt') {
  const id = await uploadDocument(token, content, { filename });
  expect(await classifyHandler(sqsEvent(sqsRecord({ body: { documentId: id } })), lambdaContext())).toEqual({
    batchItemFailures: [],
  });
  return id;
}

/** What a database upgraded from before search looks like: filename-only rows in `simple`, no text. */
async function asBeforeSearch(documentIds: string[]) {
  await sql`
    update document_search s set content = '', extractor = null, language = 'simple',
      vector = kite_search_vector('simple', d.filename, '')
    from documents d where d.id = s.document_id and s.document_id = any(${documentIds}::uuid[])
  `.execute(db());
}

describe('npm run reindex', () => {
  it('gives documents classified before search their text, in SEARCH_LANGUAGE, and resumes after a stop', async () => {
    const { token } = await newUser({ label: 'reindex' });
    const texts = ['The first invoice.', 'A second invoice.', 'Third invoice here.', 'Invoice four.'];
    const docs = [];
    for (const text of texts) docs.push(await classified(token, text));
    const pdf = buildPdf([['Cover page'], ['Page two'], ['Page three mentions invoices too.']]);
    const ticket = await requestUpload(token, {
      filename: 'scan.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
    });
    await putBytes(ticket, pdf);
    await confirm(token, ticket.document.id);
    docs.push(ticket.document.id);
    await asBeforeSearch(docs);
    expect(await ids(token, 'invoices')).toEqual([]);

    // Stopped after its first batch of two, as Ctrl-C would.
    const stop = new AbortController();
    const first = await reindexSearch({
      batchSize: 2,
      signal: stop.signal,
      onBatch: (progress) => {
        if (progress.extracted > 0) stop.abort();
      },
    });
    expect(first).toMatchObject({ extracted: 2, interrupted: true });
    expect(await ids(token, 'invoices')).toHaveLength(2);

    const second = await reindexSearch({ batchSize: 2 });
    expect(second).toMatchObject({ extracted: 3, unreadable: 0, interrupted: false });
    expect(await ids(token, 'invoices')).toEqual([...docs].sort());
    const rows = await db()
      .selectFrom('document_search')
      .select(['language', 'extractor'])
      .where('document_id', 'in', docs)
      .execute();
    expect(rows.every((row) => row.language === 'english' && row.extractor === EXTRACTOR_VERSION)).toBe(true);

    // Nothing left to do: a third run touches nothing.
    expect(await reindexSearch()).toMatchObject({ added: 0, extracted: 0, rebuilt: 0 });
  });

  it('rebuilds vectors of another language from the stored text, without reading S3', async () => {
    const { token } = await newUser({ label: 'reindex' });
    const id = await classified(token, 'Several receipts were scanned.');
    await sql`
      update document_search s set language = 'simple', vector = kite_search_vector('simple', d.filename, s.content)
      from documents d where d.id = s.document_id and s.document_id = ${id}
    `.execute(db());
    expect(await ids(token, 'receipt')).toEqual([]);

    // A text budget smaller than one document: one document per statement, none left out.
    const counts = await reindexSearch({ batchChars: 5 });
    expect(counts).toMatchObject({ extracted: 0, rebuilt: 1 });
    expect(await ids(token, 'receipt')).toEqual([id]);
  });

  it('adds the row of a document that has none, so it is found by name', async () => {
    const { token } = await newUser({ label: 'reindex' });
    const ticket = await requestUpload(token, {
      filename: 'passport-scan.png',
      contentType: 'image/png',
      size: 5,
    });
    await db().deleteFrom('document_search').where('document_id', '=', ticket.document.id).execute();
    expect(await ids(token, 'passport')).toEqual([]);

    expect(await reindexSearch()).toMatchObject({ added: 1 });
    expect(await ids(token, 'passport')).toEqual([ticket.document.id]);
  });
});
