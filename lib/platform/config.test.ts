import { describe, expect, it } from 'vitest';
import { ConfigError, configuredLogLevel, loadConfig } from './config.js';

const REQUIRED = {
  DATABASE_URL: 'postgres://kite@127.0.0.1:5432/kite',
  S3_BUCKET: 'kite-documents',
  CLASSIFY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/kite-classify',
  EXTRACT_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/kite-extract',
  JWT_SECRET: 'a-dev-only-secret-of-at-least-32-characters',
};

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  it('accepts the required variables and fills in the defaults, frozen', () => {
    const cfg = loadConfig(REQUIRED);
    expect(cfg).toMatchObject({
      UPLOAD_URL_TTL_SECONDS: 900,
      PENDING_UPLOAD_TTL_SECONDS: 3600,
      DB_POOL_MAX: 1,
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('lists every problem in one error', () => {
    const message = problems({ JWT_SECRET: 'short', MAX_UPLOAD_BYTES: '-1' });
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('S3_BUCKET');
    expect(message).toContain('CLASSIFY_QUEUE_URL');
    expect(message).toContain('MAX_UPLOAD_BYTES');
  });

  it('needs a JWT secret of at least 32 characters or a JWKS URL', () => {
    const { JWT_SECRET: _, ...withoutSecret } = REQUIRED;
    expect(problems(withoutSecret)).toContain('JWT_SECRET: set JWT_SECRET (HS256) or JWKS_URL (RS256/ES256)');
    expect(problems({ ...REQUIRED, JWT_SECRET: 'too-short' })).toContain(
      'JWT_SECRET must be at least 32 characters',
    );
    expect(
      loadConfig({ ...withoutSecret, JWKS_URL: 'https://issuer.example/.well-known/jwks.json' }).JWKS_URL,
    ).toBe('https://issuer.example/.well-known/jwks.json');
  });
});

describe('search settings', () => {
  it('default to the simple configuration and a million characters of text', () => {
    expect(loadConfig(REQUIRED)).toMatchObject({ SEARCH_LANGUAGE: 'simple', SEARCH_MAX_CHARS: 1_000_000 });
  });

  it('take a configuration name in any case, and refuse what cannot be one', () => {
    expect(loadConfig({ ...REQUIRED, SEARCH_LANGUAGE: ' English ' }).SEARCH_LANGUAGE).toBe('english');
    expect(problems({ ...REQUIRED, SEARCH_LANGUAGE: "english'; drop table documents" })).toContain(
      'SEARCH_LANGUAGE: must name a text search configuration',
    );
    expect(problems({ ...REQUIRED, SEARCH_MAX_CHARS: '0' })).toContain('SEARCH_MAX_CHARS');
  });
});

describe('the logger level', () => {
  it("is config's LOG_LEVEL, read with the same rule: any case, blank means the default", () => {
    expect(configuredLogLevel({ LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(configuredLogLevel({ LOG_LEVEL: '' })).toBe('INFO');
    expect(configuredLogLevel({})).toBe('INFO');
    expect(loadConfig({ ...REQUIRED, LOG_LEVEL: 'warn' }).LOG_LEVEL).toBe(
      configuredLogLevel({ LOG_LEVEL: 'warn' }),
    );
  });

  it('is INFO for a value the configuration refuses, which fails the init', () => {
    expect(configuredLogLevel({ LOG_LEVEL: 'chatty' })).toBe('INFO');
    expect(problems({ ...REQUIRED, LOG_LEVEL: 'chatty' })).toContain('LOG_LEVEL');
  });
});
