import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { handler as documentsHandler } from '../functions/documents.js';
import { handler as keysHandler } from '../functions/keys.js';
import { handler as meHandler } from '../functions/me.js';
import { createKeyResolver } from '../lib/keys/keys.js';
import { signDevToken } from '../local/token.js';
import { call } from '../tests/helpers/api.js';
import { percentile, timedInTurn } from './requests.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * docs/api.md "API keys": checking a key costs no more than checking a cached JWT. The same request, in turn, with a
 * session token the instance has already verified (its cache hit: no signature check, no database) and with an API
 * key the instance has looked up within KEY_CACHE_MS (lib/keys/keys.ts). Then the key check alone, a cache hit
 * against a miss (the one indexed lookup by the secret's SHA-256: an instance's first request with a key, then one
 * every KEY_CACHE_MS). Statements counted at the driver.
 */

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = 200;

function row(name: string, samples: number[], note: string): BenchRow {
  const total = samples.reduce((sum, s) => sum + s, 0);
  const p = (q: number) => percentile(samples, q).toFixed(2);
  return {
    part: 'keys',
    case: name,
    rows: samples.length,
    seconds: total / 1000,
    msPerRow: total / samples.length,
    note: `p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms${note ? `; ${note}` : ''}`,
  };
}

let statements = 0;
const originalQuery = pg.Client.prototype.query;

export async function benchKeys(): Promise<BenchResult> {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  try {
    const token = await signDevToken(`bench-keys-${randomUUID()}`);
    const created = await call(keysHandler, {
      method: 'POST',
      path: '/api/keys',
      token,
      body: { name: 'bench', scopes: ['documents:read'] },
    });
    const secret: string = created.body.secret;
    const list = (credential: string) => async () => {
      const result = await call(documentsHandler, {
        method: 'GET',
        path: '/api/documents',
        token: credential,
        query: { limit: '20' },
      });
      if (result.status !== 200) throw new Error(`GET /api/documents answered ${result.status}`);
    };
    const me = (credential: string) => async () => {
      const result = await call(meHandler, { token: credential });
      if (result.status !== 200) throw new Error(`GET /api/me answered ${result.status}`);
    };
    const count = async (fn: () => Promise<void>) => {
      statements = 0;
      await fn();
      return statements;
    };
    const cases = [
      ['GET /api/documents', list],
      ['GET /api/me', me],
    ] as const;
    const rows: BenchRow[] = [];
    const summary: Record<string, number | string> = {};
    for (const [name, request] of cases) {
      const withJwt = request(token);
      const withKey = request(secret);
      await timedInTurn(WARMUP, withJwt, withKey);
      const jwtStatements = await count(withJwt);
      const keyStatements = await count(withKey);
      const [jwtSamples = [], keySamples = []] = await timedInTurn(N, withJwt, withKey);
      const ratio = percentile(keySamples, 50) / percentile(jwtSamples, 50);
      rows.push(
        row(`${name} with a cached JWT`, jwtSamples, `${jwtStatements} SQL statement(s)/request`),
        row(
          `${name} with an API key`,
          keySamples,
          `${keyStatements} SQL statement(s)/request; key/JWT ${ratio.toFixed(2)} (target <= 1.2)`,
        ),
      );
      const label = name === 'GET /api/me' ? 'me' : 'documents';
      summary[`${label}JwtP50Ms`] = Number(percentile(jwtSamples, 50).toFixed(3));
      summary[`${label}KeyP50Ms`] = Number(percentile(keySamples, 50).toFixed(3));
      summary[`${label}KeyOverJwt`] = Number(ratio.toFixed(2));
    }
    // The check alone: a resolver that never remembers (every call a lookup) against one that does.
    const uncached = createKeyResolver({ ttlMs: 0 });
    const cached = createKeyResolver();
    const resolveWith = (resolver: typeof cached) => async () => {
      if (!(await resolver(secret))) throw new Error('the key should resolve');
    };
    await timedInTurn(WARMUP, resolveWith(cached), resolveWith(uncached));
    const missStatements = await count(resolveWith(uncached));
    const [hitSamples = [], missSamples = []] = await timedInTurn(
      N,
      resolveWith(cached),
      resolveWith(uncached),
    );
    rows.push(
      row('key check alone, cache hit', hitSamples, '0 SQL statements'),
      row('key check alone, cache miss', missSamples, `${missStatements} SQL statement(s): the lookup`),
    );
    summary.keyHitP50Ms = Number(percentile(hitSamples, 50).toFixed(4));
    summary.keyMissP50Ms = Number(percentile(missSamples, 50).toFixed(3));
    summary.target = 'a request with an API key <= 1.2x the same request with a cached JWT (p50)';
    return { rows, summary };
  } finally {
    pg.Client.prototype.query = originalQuery;
  }
}
