import { isDeepStrictEqual } from 'node:util';

/**
 * The rule the tests rely on: kite parses its configuration once, when a function's module loads (README
 * "Configuration"), as Lambda's init does. A test file's own settings must therefore be in process.env before the
 * file first imports lib/ or functions/ (tests/helpers/api.ts imports functions). Static imports run before the
 * file's own code, so a file sets them in `vi.hoisted`, which vitest runs first, importing what it needs there:
 *
 *   await vi.hoisted(async () => {
 *     const { configure } = await import('./env.js');
 *     configure({ UPLOAD_URL_TTL_SECONDS: '1' });
 *   });
 *
 * A setting made later would be silently ignored; `assertConfigurationUnchanged` (run before every test by
 * tests/helpers/setup-env.ts) fails the test instead.
 */
export function configure(settings: Record<string, string>): void {
  Object.assign(process.env, settings);
}

/** Fails when process.env says something other than the configuration kite parsed: a setting came too late. */
export async function assertConfigurationUnchanged(): Promise<void> {
  const { ConfigError, config, loadConfig } = await import('../../lib/platform/config.js');
  let parsed: Record<string, unknown>;
  try {
    parsed = config();
  } catch (error) {
    if (error instanceof ConfigError) return; // a file about a configuration that fails the init
    throw error;
  }
  const now: Record<string, unknown> = loadConfig(process.env);
  const late = Object.keys(now).filter((key) => !isDeepStrictEqual(parsed[key], now[key]));
  if (late.length > 0) {
    throw new Error(
      `${late.join(', ')} changed after kite parsed its configuration: set it with configure() in vi.hoisted ` +
        '(tests/helpers/env.ts)',
    );
  }
}
