import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.js';
import { bootNpmStart, type NpmStart } from '../helpers/npm-start.js';
import { newUser } from '../helpers/users.js';

// A newcomer's first `npm start` with no model server (docs/operations.md "Filing without an LLM"): nothing
// answers at OLLAMA_HOST, so the local provider files, once a person has filed a few documents by hand.
describe('npm start with no model server', () => {
  let npmStart: NpmStart;
  let api = '';

  beforeAll(async () => {
    npmStart = await bootNpmStart({ OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` });
    api = npmStart.api;
  }, 200_000);

  afterAll(async () => {
    await npmStart?.stop();
  }, 30_000);

  it('says it files with the local provider, and GET /api/me says so too', async () => {
    expect(npmStart.output()).toMatch(/filing: local \(no LLM answered at http:\/\/127\.0\.0\.1:\d+/);
    const { token } = await newUser();
    const me = (await (
      await fetch(`${api}/api/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as any;
    expect(me).toMatchObject({ aiProvider: null, effectiveAiProvider: 'local' });
  });

  it('files a new document after a person has filed a few by hand, and not before', async () => {
    const { token } = await newUser();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
      ).json()) as any;
    const upload = async (text: string) => {
      const ticket = await post('/api/documents/upload-url', {
        filename: 'note.txt',
        contentType: 'text/plain',
        size: Buffer.byteLength(text),
      });
      await fetch(ticket.upload.url, { method: 'PUT', headers: ticket.upload.headers, body: text });
      await post(`/api/documents/${ticket.document.id}/confirm`, {});
      return ticket.document.id as string;
    };
    const filed = async (id: string) => {
      const deadline = Date.now() + 60_000;
      let document: any;
      while (Date.now() < deadline) {
        document = ((await (await fetch(`${api}/api/documents/${id}`, { headers })).json()) as any).document;
        if (document.status !== 'uploaded') return document;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return document;
    };
    const recipes = (await post('/api/topics', { name: 'Recipes' })).topic.id;
    const taxes = (await post('/api/topics', { name: 'Taxes' })).topic.id;
    const examples: [string, string][] = [
      ['Pancakes: whisk flour, milk and eggs, rest the batter, fry in butter until golden.', recipes],
      ['Bread: knead flour, water, yeast and salt; let the dough rise, bake in a hot oven.', recipes],
      ['Tax return: income from employment, deductions for commuting, the refund is due.', taxes],
      ['Notice of assessment: the tax office assessed your income tax; pay the balance.', taxes],
    ];
    for (const [text, topicId] of examples) {
      const id = await upload(text);
      // Too few filed documents yet: classified, with no topic and no error.
      expect(await filed(id)).toMatchObject({ status: 'classified', topics: [], error: null });
      const patched = await fetch(`${api}/api/documents/${id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ topicIds: [topicId] }),
      });
      expect(patched.status).toBe(200);
    }

    const next = await upload(
      'Risotto: toast rice in butter with onion, add stock, stir in parmesan and flour.',
    );
    const document = await filed(next);
    expect(document.status).toBe('classified');
    expect(document.topics).toEqual([
      expect.objectContaining({ id: recipes, name: 'Recipes', source: 'ai' }),
    ]);
  }, 120_000);
});
