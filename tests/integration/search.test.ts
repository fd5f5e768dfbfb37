// A specification over 300 lines on purpose: search: syntax, snippets, filters, paging; each case sets up its own data.
import { sql } from 'kysely';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as searchHandler } from '../../functions/search.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { searchPageSchema } from '../../lib/search/search.contract.js';
import { call, lambdaContext } from '../helpers/api.js';
import { buildPdf } from '../helpers/pdf.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { insertTopic } from '../helpers/topics.js';
import { confirm, putBytes, requestUpload, type UploadTicket } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

const fake = await vi.hoisted(async () => (await import('../helpers/fake-llm.js')).useFakeLlm());

afterAll(closeDb);

beforeEach(() => fake.reset());

interface Hit {
  document: { id: string; filename: string; status: string; createdAt: string; topics: { id: string }[] };
  snippet: string;
  highlights: [number, number][];
  rank: number;
}

async function search(token: string, query: Record<string, string>) {
  const result = await call(searchHandler, {
    path: '/api/search',
    query,
    token,
  });
  if (result.status === 200) expect(searchPageSchema.safeParse(result.body).success).toBe(true);
  return result as { status: number; body: { results: Hit[]; nextCursor: string | null; error?: any } };
}

async function foundIds(token: string, q: string, extra: Record<string, string> = {}) {
  const result = await search(token, { q, ...extra });
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return result.body.results.map((hit) => hit.document.id);
}

function classify(documentId: string, receiveCount = 1) {
  return classifyHandler(
    sqsEvent(sqsRecord({ body: { documentId }, receiveCount })),
    lambdaContext('kite-test-classify'),
  );
}

/** upload-url → PUT → confirm → one classification: the document's text is stored. */
async function addDocument(
  token: string,
  content: string | Uint8Array,
  options: { filename?: string; contentType?: string; classified?: boolean } = {},
): Promise<{ id: string; ticket: UploadTicket }> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const ticket = await requestUpload(token, {
    filename: options.filename ?? 'notes.txt',
    contentType: options.contentType ?? 'text/plain',
    size: bytes.length,
  });
  await putBytes(ticket, bytes);
  expect((await confirm(token, ticket.document.id)).status).toBe(200);
  if (options.classified !== false) {
    expect(await classify(ticket.document.id)).toEqual({ batchItemFailures: [] });
  }
  return { id: ticket.document.id, ticket };
}

const highlighted = (hit: Hit) => hit.highlights.map(([start, end]) => hit.snippet.slice(start, end));

describe('finding documents by what they say', () => {
  it('finds a PDF by a word on its third page, with that word highlighted in the snippet', async () => {
    const { token } = await newUser({ label: 'search' });
    const pdf = buildPdf([
      ['Annual statement', 'Page one is about the weather.'],
      ['Page two lists nothing of note.'],
      ['Page three: the zeppelin hangar lease is renewed.'],
    ]);
    const { id } = await addDocument(token, pdf, {
      filename: 'statement.pdf',
      contentType: 'application/pdf',
    });
    await addDocument(token, 'A note about the weather only.');

    const result = await search(token, { q: 'zeppelin' });
    expect(result.status).toBe(200);
    expect(result.body.results.map((hit) => hit.document.id)).toEqual([id]);
    const [hit] = result.body.results as [Hit];
    expect(hit.snippet).toContain('zeppelin hangar lease');
    expect(highlighted(hit)).toEqual(['zeppelin']);
    expect(hit.rank).toBeGreaterThan(0);
    expect(hit.document).toMatchObject({ id, filename: 'statement.pdf', status: 'classified' });
  });

  it('matches a quoted phrase only in that order; unquoted words in any order', async () => {
    const { token } = await newUser({ label: 'search' });
    const inOrder = await addDocument(token, 'The quarterly report for March is attached.');
    const reversed = await addDocument(token, 'Report of the board, quarterly edition.');

    expect(await foundIds(token, '"quarterly report"')).toEqual([inOrder.id]);
    expect((await foundIds(token, 'quarterly report')).sort()).toEqual([inOrder.id, reversed.id].sort());
  });

  it('excludes documents with a -word, and takes either word with or', async () => {
    const { token } = await newUser({ label: 'search' });
    const draft = await addDocument(token, 'Invoice draft, not sent yet.');
    const final = await addDocument(token, 'Invoice final, sent to the customer.');
    const receipt = await addDocument(token, 'Receipt for the coffee machine.');

    expect(await foundIds(token, 'invoice -draft')).toEqual([final.id]);
    expect((await foundIds(token, 'draft or receipt')).sort()).toEqual([draft.id, receipt.id].sort());
  });

  it('does not stem with the simple configuration: "invoices" does not find "invoice"', async () => {
    const { token } = await newUser({ label: 'search' });
    await addDocument(token, 'One invoice for the garden work.');
    expect(await foundIds(token, 'invoices')).toEqual([]);
    expect(await foundIds(token, 'invoice')).toHaveLength(1);
  });

  it('finds a document by its filename from upload on, before it is confirmed or classified', async () => {
    const { token } = await newUser({ label: 'search' });
    const ticket = await requestUpload(token, {
      filename: 'Holiday_photos-2024.png',
      contentType: 'image/png',
      size: 10,
    });

    const result = await search(token, { q: 'holiday' });
    expect(result.body.results.map((hit) => hit.document.id)).toEqual([ticket.document.id]);
    const [hit] = result.body.results as [Hit];
    expect(hit.document.status).toBe('pending');
    expect(hit.snippet).toBe('Holiday_photos-2024.png');
    expect(highlighted(hit)).toEqual(['Holiday']);
    expect(await foundIds(token, 'holiday_photos-2024.png')).toEqual([ticket.document.id]);
    expect(await foundIds(token, 'photos', { status: 'pending' })).toEqual([ticket.document.id]);
    expect(await foundIds(token, 'photos', { status: 'classified' })).toEqual([]);
  });

  it('ranks a match in the filename above one in the text', async () => {
    const { token } = await newUser({ label: 'search' });
    const inText = await addDocument(token, 'This mentions the walrus once.', { filename: 'zoo.txt' });
    const inName = await addDocument(token, 'Nothing here.', { filename: 'walrus.txt' });
    expect(await foundIds(token, 'walrus')).toEqual([inName.id, inText.id]);
  });

  it('finds a document by its text while its classification is failing, and once it has failed', async () => {
    const { token } = await newUser({ label: 'search' });
    const { id } = await addDocument(token, 'The marmalade recipe from grandmother.', { classified: false });
    fake.reply({ status: 500, error: 'model crashed' }, { status: 500, error: 'model crashed' });
    await expect(classify(id, 1)).rejects.toThrow();
    const retrying = await search(token, { q: 'marmalade' });
    expect(retrying.body.results.map((hit) => [hit.document.id, hit.document.status])).toEqual([
      [id, 'uploaded'],
    ]);
    // The last attempt: the record is reported failed (to the dead-letter queue) and the document is `failed`.
    await expect(classify(id, 3)).rejects.toThrow();
    const result = await search(token, { q: 'marmalade' });
    expect(result.body.results.map((hit) => [hit.document.id, hit.document.status])).toEqual([
      [id, 'failed'],
    ]);
  });
});

describe('whose documents', () => {
  it("never returns another user's documents, even when they match better", async () => {
    const alice = await newUser({ label: 'alice' });
    const mallory = await newUser({ label: 'mallory' });
    const own = await addDocument(alice.token, 'Platypus habitat survey.');
    await addDocument(mallory.token, 'Platypus platypus platypus habitat habitat survey.', {
      filename: 'platypus-habitat.txt',
    });
    await requestUpload(mallory.token, { filename: 'platypus.txt', contentType: 'text/plain', size: 3 });

    expect(await foundIds(alice.token, 'platypus habitat')).toEqual([own.id]);
    expect(await foundIds(alice.token, 'platypus', { limit: '100' })).toEqual([own.id]);
    const other = await foundIds(mallory.token, 'platypus');
    expect(other).toHaveLength(2);
    expect(other).not.toContain(own.id);
  });
});

describe('snippets', () => {
  it('come back as plain text: markup in a document is text, with offsets that point at the match', async () => {
    const { token } = await newUser({ label: 'search' });
    const content = '😀 Naïve <script>alert("kite")</script> <b>bold</b> &amp; the pelican invoice, 𝄞 due.';
    await addDocument(token, content);

    const [hit] = (await search(token, { q: 'pelican' })).body.results as [Hit];
    // The whole text is one fragment (ts_headline leaves out the final full stop).
    expect(hit.snippet).toBe(content.slice(0, -1));
    expect(highlighted(hit)).toEqual(['pelican']);
    const start = content.indexOf('pelican');
    expect(hit.highlights).toEqual([[start, start + 'pelican'.length]]);
  });

  it('are at most 300 characters around the match in a long text', async () => {
    const { token } = await newUser({ label: 'search' });
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler${i}`).join(' ');
    await addDocument(token, `${filler(400)} the narwhal arrives ${filler(400)}`);

    const [hit] = (await search(token, { q: 'narwhal' })).body.results as [Hit];
    expect(hit.snippet.length).toBeLessThanOrEqual(300);
    expect(highlighted(hit)).toEqual(['narwhal']);
  });
});

describe('the life of a document in the index', () => {
  it('a trashed document vanishes from results; deleted for good, its text leaves the database', async () => {
    const { token } = await newUser({ label: 'search' });
    const { id } = await addDocument(token, 'The albatross migration log.');
    expect(await foundIds(token, 'albatross')).toEqual([id]);
    const textRows = () =>
      db().selectFrom('document_search').select('document_id').where('document_id', '=', id).execute();

    const trashed = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      params: { id },
      token,
    });
    expect(trashed.status).toBe(204);
    expect(await foundIds(token, 'albatross')).toEqual([]);
    // Kept while it can be restored: restoring finds it again.
    expect(await textRows()).toEqual([{ document_id: id }]);
    const restored = await call(documentsHandler, {
      method: 'POST',
      path: `/api/documents/${id}/restore`,
      params: { id },
      token,
    });
    expect(restored.status).toBe(200);
    expect(await foundIds(token, 'albatross')).toEqual([id]);

    const deleted = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      params: { id },
      query: { permanent: 'true' },
      token,
    });
    expect(deleted.status).toBe(204);
    expect(await foundIds(token, 'albatross')).toEqual([]);
    expect(await textRows()).toEqual([]);
  });

  it('a reprocessed document is found by its new text only', async () => {
    const { token } = await newUser({ label: 'search' });
    const { id, ticket } = await addDocument(token, 'Version one mentions the iguana.');
    expect(await foundIds(token, 'iguana')).toEqual([id]);

    // The upload URL is still valid: new bytes at the same key, then reprocess.
    await putBytes(ticket, 'Version two mentions the ocelot.');
    const reprocess = await call(documentsHandler, {
      method: 'POST',
      path: `/api/documents/${id}/classify`,
      params: { id },
      token,
    });
    expect(reprocess.status).toBe(202);
    expect(await classify(id)).toEqual({ batchItemFailures: [] });

    expect(await foundIds(token, 'ocelot')).toEqual([id]);
    expect(await foundIds(token, 'iguana')).toEqual([]);
  });

  it('indexes what fits of a text whose words overflow a tsvector, rather than failing the statement', async () => {
    // ~1.5 MB of distinct words: more than one tsvector (1 MB of lexemes) holds.
    const result = await sql<{ first: boolean; early: boolean; last: boolean; name: boolean }>`
      with text as (
        select 'gazelle ' || string_agg(md5(i::text) || 'x' || i, ' ' order by i) as content
        from generate_series(1, 40000) i
      ), indexed as (select kite_search_vector('simple', 'big.txt', content) as vector from text)
      select vector @@ 'gazelle'::tsquery as first,
        vector @@ to_tsquery('simple', md5('10') || 'x10') as early,
        vector @@ to_tsquery('simple', md5('40000') || 'x40000') as last,
        vector @@ 'big'::tsquery as name
      from indexed
    `.execute(db());
    // The beginning and the filename are searchable; the words past what fits are not.
    expect(result.rows).toEqual([{ first: true, early: true, last: false, name: true }]);
  });
});

describe('filters and pages', () => {
  it('filters by status and topic', async () => {
    const { userId, token } = await newUser({ label: 'search' });
    const filed = await addDocument(token, 'The heron nests by the lake.');
    const topicId = await insertTopic(userId, 'Birds');
    // Not classified yet: found by its filename (its text is stored when it is classified).
    const unfiled = await addDocument(token, 'A heron was seen.', {
      classified: false,
      filename: 'heron-sighting.txt',
    });
    await db()
      .insertInto('document_topics')
      .values({ document_id: filed.id, topic_id: topicId, source: 'user' })
      .execute();

    expect(await foundIds(token, 'heron', { topicId })).toEqual([filed.id]);
    expect(await foundIds(token, 'heron', { status: 'uploaded' })).toEqual([unfiled.id]);
    expect(await foundIds(token, 'heron', { topicId: '00000000-0000-4000-8000-000000000000' })).toEqual([]);
    const [hit] = (await search(token, { q: 'heron', topicId })).body.results as [Hit];
    expect(hit.document.topics.map((t) => t.id)).toEqual([topicId]);
  });

  it('pages through every match once, best first, then newest, without repeating or skipping', async () => {
    const { token } = await newUser({ label: 'search' });
    // Ranks differ by how often the word occurs; several documents share each rank, so the tie order matters.
    const ids: string[] = [];
    for (const times of [1, 3, 1, 2, 3, 1, 2, 1]) {
      ids.push((await addDocument(token, `${'lemur '.repeat(times)}end`)).id);
    }
    const all = (await search(token, { q: 'lemur', limit: '100' })).body.results;
    expect(all.map((hit) => hit.document.id).sort()).toEqual([...ids].sort());
    for (let i = 1; i < all.length; i++) {
      const [previous, current] = [all[i - 1] as Hit, all[i] as Hit];
      expect(previous.rank).toBeGreaterThanOrEqual(current.rank);
      if (previous.rank === current.rank) {
        expect(previous.document.createdAt >= current.document.createdAt).toBe(true);
      }
    }
    expect(new Set(all.map((hit) => hit.rank)).size).toBe(3);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { q: 'lemur', limit: '3', ...(cursor ? { cursor } : {}) };
      const page = await search(token, query);
      expect(page.status).toBe(200);
      expect(page.body.results.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.results.map((hit) => hit.document.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((hit) => hit.document.id));
  });
});

describe('bad queries', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['no q', {}, 'q is required'],
    ['an empty q', { q: '' }, 'q must not be empty'],
    ['a blank q', { q: '   ' }, 'q must not be empty'],
    ['a q over 200 characters', { q: 'a'.repeat(201) }, 'q must be at most 200 characters'],
    ['a q with a control character', { q: 'a\u0000b' }, 'q must not contain control characters'],
    ['punctuation only', { q: '!!! ---' }, 'q has no searchable word'],
    ['only an excluded word', { q: '-draft' }, 'q only excludes words'],
    ['a limit over 100', { q: 'x', limit: '101' }, 'limit must be at most 100'],
    ['a cursor we did not issue', { q: 'x', cursor: 'bm9wZQ' }, 'invalid'],
  ];
  for (const [name, query, message] of cases) {
    it(`answers 400 to ${name}`, async () => {
      const { token } = await newUser({ label: 'search' });
      const result = await search(token, query);
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      expect(JSON.stringify(result.body.error.details)).toContain(message);
    });
  }

  it('answers 400 to a document list cursor', async () => {
    const { token } = await newUser({ label: 'search' });
    for (let i = 0; i < 2; i++) await requestUpload(token, { filename: `page${i}.txt`, size: 1 });
    const list = await call(documentsHandler, { path: '/api/documents', query: { limit: '1' }, token });
    const result = await search(token, { q: 'page0', cursor: list.body.nextCursor });
    expect(result.status).toBe(400);
  });

  it('answers 401 without a token', async () => {
    const result = await call(searchHandler, { path: '/api/search', query: { q: 'x' } });
    expect(result.status).toBe(401);
  });
});
