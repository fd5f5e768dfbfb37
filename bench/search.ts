import pg from 'pg';
import { handler as searchHandler } from '../functions/search.js';
import { config } from '../lib/platform/config.js';
import { signDevToken } from '../local/token.js';
import { call } from '../tests/helpers/api.js';
import { percentile } from './requests.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * Full-text search at scale: DOCUMENTS documents of ~2 KB generated text spread over USERS users, then a two-word
 * search for one user through the handler in-process (JWT, middy, the three queries, snippets), against the same
 * question answered by ILIKE '%word%' over the same rows (the user's rows, through the same user_id index), in
 * turn in the same run.
 */

const DOCUMENTS = Number(process.env.BENCH_SEARCH_DOCUMENTS ?? 100_000);
const USERS = 100;
const WORDS_PER_DOCUMENT = 300; // ~2 KB with this vocabulary's word lengths
const VOCABULARY = 20_000;
const SAMPLES = Number(process.env.BENCH_SEARCH_SAMPLES ?? 300);
const BATCH = 1_000;

/** mulberry32: the same data in every run. */
function seeded(start: number): () => number {
  let seed = start;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pronounceable made-up words, all distinct. */
function vocabulary(size: number): string[] {
  const random = seeded(0x6b697465);
  const onsets = [
    'b',
    'd',
    'f',
    'g',
    'k',
    'l',
    'm',
    'n',
    'p',
    'r',
    's',
    't',
    'v',
    'z',
    'br',
    'st',
    'tr',
    'pl',
  ];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 2 + Math.floor(random() * 2);
    let word = '';
    for (let i = 0; i < syllables; i++) {
      word +=
        onsets[Math.floor(random() * onsets.length)] + (vowels[Math.floor(random() * vowels.length)] ?? '');
    }
    words.add(word);
  }
  return [...words];
}

function row(name: string, samples: number[], note: string): BenchRow {
  const total = samples.reduce((sum, s) => sum + s, 0);
  return {
    part: 'search',
    case: name,
    rows: samples.length,
    seconds: total / 1000,
    msPerRow: total / samples.length,
    note: `p50 ${percentile(samples, 50).toFixed(2)} ms, p95 ${percentile(samples, 95).toFixed(2)} ms${note ? `; ${note}` : ''}`,
  };
}

export async function benchSearch(): Promise<BenchResult> {
  const cfg = config();
  const raw = new pg.Client({ connectionString: cfg.DATABASE_URL });
  await raw.connect();
  try {
    const words = vocabulary(VOCABULARY);
    const userIds = Array.from({ length: USERS }, (_, i) => `bench-search-${i}`);
    await raw.query(`insert into users (id) select unnest($1::text[]) on conflict do nothing`, [userIds]);
    await raw.query(
      `insert into quotas (user_id, limit_bytes) select unnest($1::text[]), 1e12 on conflict do nothing`,
      [userIds],
    );

    // Word ranks follow Zipf's law (rank k is drawn with probability ~1/k), as in natural text.
    const random = seeded(0x5ea4c4);
    const text = () =>
      Array.from(
        { length: WORDS_PER_DOCUMENT },
        () => words[Math.min(VOCABULARY, Math.floor(Math.exp(random() * Math.log(VOCABULARY + 1)))) - 1],
      ).join(' ');
    const loadStart = performance.now();
    for (let from = 0; from < DOCUMENTS; from += BATCH) {
      const numbers = Array.from({ length: Math.min(BATCH, DOCUMENTS - from) }, (_, i) => from + i);
      await raw.query(
        `with input as (
           select * from unnest($1::int[], $2::text[]) as t(n, content)
         ), docs as (
           insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status,
             created_at, confirmed_at, classified_at)
           select gen_random_uuid(), 'bench-search-' || (n % ${USERS}), 'document-' || n || '.txt', 'text/plain',
             octet_length(content), 'bench-search/' || n, 'classified', t, t, t
           from input, lateral (select now() - make_interval(secs => n)) c(t)
           returning id, user_id, filename, storage_key
         )
         insert into document_search (document_id, user_id, content, vector, language, extractor)
         select docs.id, docs.user_id, input.content, kite_search_vector('simple', docs.filename, input.content),
           'simple', 1
         from docs join input on docs.storage_key = 'bench-search/' || input.n`,
        [numbers, numbers.map(text)],
      );
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await raw.query('vacuum analyze documents');
    await raw.query('vacuum analyze document_search');

    const sizes = await raw.query<{ index: string; table: string; average: string }>(
      `select pg_relation_size('document_search_user_vector_idx') as index,
         pg_total_relation_size('document_search') as table,
         (select avg(length(content)) from document_search where user_id like 'bench-search-%') as average`,
    );
    const indexBytes = Number(sizes.rows[0]?.index);
    const tableBytes = Number(sizes.rows[0]?.table);
    const averageChars = Number(sizes.rows[0]?.average);

    // Mid-frequency words (ranks 150–600: each in roughly 5–20 % of documents), two at a time.
    const pairs = Array.from({ length: 20 }, (_, i) => [words[149 + i * 11], words[300 + i * 13]] as const);
    const userId = 'bench-search-7';
    const token = await signDevToken(userId);

    const search = async (i: number) => {
      const [a, b] = pairs[i % pairs.length] ?? [];
      const result = await call(searchHandler, { path: '/api/search', query: { q: `${a} ${b}` }, token });
      if (result.status !== 200) throw new Error(`search answered ${result.status}`);
      return result.body.results.length as number;
    };
    const ilike = async (i: number) => {
      const [a, b] = pairs[i % pairs.length] ?? [];
      const result = await raw.query(
        `select d.* from document_search s join documents d on d.id = s.document_id
         where s.user_id = $1 and (s.content ilike $2 or d.filename ilike $2) and (s.content ilike $3 or d.filename ilike $3)
         order by d.created_at desc, d.id desc limit 20`,
        [userId, `%${a}%`, `%${b}%`],
      );
      return result.rowCount ?? 0;
    };

    // Diagnostic: the page query's matching and ranking alone (no snippets, no topics), as the handler sends it.
    const matchOnly = async (i: number) => {
      const [a, b] = pairs[i % pairs.length] ?? [];
      await raw.query(
        `select d.*, ts_rank(s.vector, websearch_to_tsquery('simple', $2)) as rank
         from document_search s join documents d on d.id = s.document_id
         where s.user_id = $1 and d.user_id = $1 and s.vector @@ websearch_to_tsquery('simple', $2)
         order by rank desc, d.created_at desc, d.id desc limit 21`,
        [userId, `${a} ${b}`],
      );
    };

    let hits = 0;
    for (let i = 0; i < 30; i++) {
      hits += await search(i);
      await ilike(i);
    }
    const searchSamples: number[] = [];
    const ilikeSamples: number[] = [];
    const matchSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      let start = performance.now();
      await search(i);
      searchSamples.push(performance.now() - start);
      start = performance.now();
      await ilike(i);
      ilikeSamples.push(performance.now() - start);
      start = performance.now();
      await matchOnly(i);
      matchSamples.push(performance.now() - start);
    }
    for (const samples of [searchSamples, ilikeSamples, matchSamples]) samples.sort((x, y) => x - y);
    const p50 = percentile(searchSamples, 50);
    const baselineP50 = percentile(ilikeSamples, 50);
    const speedup = baselineP50 / p50;
    const perDocument = indexBytes / DOCUMENTS;

    return {
      rows: [
        {
          part: 'search',
          case: `load ${DOCUMENTS.toLocaleString('en')} documents (~${Math.round(averageChars)} chars) for ${USERS} users`,
          rows: DOCUMENTS,
          seconds: loadSeconds,
          msPerRow: (loadSeconds * 1000) / DOCUMENTS,
          note: `GIN index ${(indexBytes / 1024 ** 2).toFixed(1)} MiB = ${Math.round(perDocument)} B/document; table with text ${(tableBytes / 1024 ** 2).toFixed(0)} MiB`,
        },
        row(
          'GET /api/search, two words, one user (handler in-process)',
          searchSamples,
          `${(hits / 30).toFixed(1)} results a query; target p50 ≤ 20 ms`,
        ),
        row(
          "baseline: the same question by ILIKE '%word%' over the same rows",
          ilikeSamples,
          `search is ${speedup.toFixed(1)}× faster at p50 (target ≥ 20×)`,
        ),
        row(
          'diagnostic: the page query without snippets and topics (raw pg)',
          matchSamples,
          `${(baselineP50 / percentile(matchSamples, 50)).toFixed(1)}× faster than the baseline at p50`,
        ),
      ],
      summary: {
        documents: DOCUMENTS,
        searchP50Ms: Number(p50.toFixed(2)),
        searchP95Ms: Number(percentile(searchSamples, 95).toFixed(2)),
        ilikeP50Ms: Number(baselineP50.toFixed(2)),
        ilikeP95Ms: Number(percentile(ilikeSamples, 95).toFixed(2)),
        speedup: Number(speedup.toFixed(1)),
        matchOnlyP50Ms: Number(percentile(matchSamples, 50).toFixed(2)),
        indexBytesPerDocument: Math.round(perDocument),
      },
    };
  } finally {
    await raw.end();
  }
}
