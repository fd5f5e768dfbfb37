import { expect, it, vi } from 'vitest';

// A configuration no function can run with: a pool of no connections and a log level that does not exist.
await vi.hoisted(async () =>
  (await import('../tests/helpers/env.js')).configure({ DB_POOL_MAX: '0', LOG_LEVEL: 'chatty' }),
);

it.each([
  ['an HTTP function', () => import('./me.js')],
  ['the classify worker', () => import('./classify.js')],
  ['the purge', () => import('./purge.js')],
])('%s fails its init (module load) with every problem listed, not each request', async (_, load) => {
  const failure = load().then(
    () => undefined,
    (error: unknown) => error,
  );
  const error = (await failure) as Error;
  expect(error?.name).toBe('ConfigError');
  expect(error.message).toContain('DB_POOL_MAX:');
  expect(error.message).toContain('LOG_LEVEL:');
});
