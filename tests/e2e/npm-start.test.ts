import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/postgres.js';
import { describeNpmStart } from './npm-start-spec.js';

// The zero-install path: whatever else the suite runs on, `npm start` keeps being proven on its embedded s3rver.
describeNpmStart('s3rver');

describe('npm start with an unknown SEARCH_LANGUAGE', () => {
  it('stops before ready, naming the setting and the configurations the database has', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kite-e2e-lang-'));
    const [port, pgPort, s3Port, sqsPort, lambdaPort] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      KITE_PG_PORT: String(pgPort),
      KITE_S3_PORT: String(s3Port),
      KITE_SQS_PORT: String(sqsPort),
      KITE_LAMBDA_PORT: String(lambdaPort),
      KITE_DATA_DIR: dataDir,
      SEARCH_LANGUAGE: 'klingon',
    };
    const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, output).toBe(1);
      expect(output).toContain('SEARCH_LANGUAGE: the database has no text search configuration "klingon"');
      expect(output).toMatch(/it has .*english.*simple/);
      expect(output).not.toMatch(/\bready\b/);
    } finally {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('npm start with a configuration the functions cannot run with', () => {
  it('stops before starting anything, listing the problem, instead of printing ready and answering 500', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kite-e2e-config-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      KITE_DATA_DIR: dataDir,
      JWT_SECRET: 'short',
    };
    const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, output).toBe(1);
      expect(output).toContain('JWT_SECRET: JWT_SECRET must be at least 32 characters');
      expect(output).not.toMatch(/\bready\b/);
      expect(output).not.toContain('database:');
    } finally {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
