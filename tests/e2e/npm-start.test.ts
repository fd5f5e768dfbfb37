import { describe, expect, it } from 'vitest';
import { npmStartUntilExit } from '../helpers/npm-start.js';
import { describeNpmStart } from './npm-start-spec.js';

// The zero-install path: whatever else the suite runs on, `npm start` keeps being proven on its embedded s3rver.
describeNpmStart('s3rver', { prism: true });

describe('npm start with an unknown SEARCH_LANGUAGE', () => {
  it('stops before ready, naming the setting and the configurations the database has', async () => {
    const { code, output } = await npmStartUntilExit({ SEARCH_LANGUAGE: 'klingon' });

    expect(code, output).toBe(1);
    expect(output).toContain('SEARCH_LANGUAGE: the database has no text search configuration "klingon"');
    expect(output).toMatch(/it has .*english.*simple/);
    expect(output).not.toMatch(/\bready\b/);
  }, 180_000);
});

describe('npm start with a configuration the functions cannot run with', () => {
  it('stops before starting anything, listing the problem, instead of printing ready and answering 500', async () => {
    const { code, output } = await npmStartUntilExit({ JWT_SECRET: 'short' });

    expect(code, output).toBe(1);
    expect(output).toContain('JWT_SECRET: JWT_SECRET must be at least 32 characters');
    expect(output).not.toMatch(/\bready\b/);
    expect(output).not.toContain('database:');
  }, 60_000);
});
