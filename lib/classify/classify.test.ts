import { describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.js';
import { AiError, networkErrorCode } from './ai/errors.js';
import { resolveProvider } from './ai/provider.js';
import { planTopics } from './classify.js';

const visible = [
  { id: 'sys-finance', name: 'Finance' },
  { id: 'own-travel', name: 'Travel Plans' },
];

describe('planTopics', () => {
  it('links visible topics matched case-insensitively after normalisation, and nothing else', () => {
    const plan = planTopics(
      { topics: ['finance', '  TRAVEL   plans ', 'Someone Else’s Topic', 'Finance'], newTopics: [] },
      visible,
      3,
    );
    expect(plan).toEqual({ topicIds: ['sys-finance', 'own-travel'], newTopicNames: [] });
  });

  it('normalises new names and drops those that normalise to nothing', () => {
    const plan = planTopics(
      { topics: [], newTopics: ['  Tax   Returns\u0007 ', ' \u0000 ', '', 'x'.repeat(65)] },
      [],
      3,
    );
    expect(plan.newTopicNames).toEqual(['Tax Returns']);
  });

  it('links a suggested name that is already visible instead of creating it', () => {
    const plan = planTopics({ topics: [], newTopics: ['FINANCE', 'Receipts'] }, visible, 3);
    expect(plan).toEqual({ topicIds: ['sys-finance'], newTopicNames: ['Receipts'] });
  });

  it('creates at most maxNew names, each once', () => {
    const plan = planTopics({ topics: [], newTopics: ['B', 'b', 'A', 'C', 'D', 'E'] }, [], 3);
    expect(plan.newTopicNames).toEqual(['A', 'B', 'C']);
  });

  it('creates nothing when maxNew is 0', () => {
    expect(planTopics({ topics: [], newTopics: ['A'] }, [], 0).newTopicNames).toEqual([]);
  });
});

describe('resolveProvider', () => {
  const cfg = loadConfig({
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    S3_BUCKET: 'bucket',
    CLASSIFY_QUEUE_URL: 'http://127.0.0.1:1/q',
    EXTRACT_QUEUE_URL: 'http://127.0.0.1:1/e',
    JWT_SECRET: 'x'.repeat(32),
  });

  it('knows ollama and openai', () => {
    expect(resolveProvider('ollama', cfg).name).toBe('ollama');
    expect(resolveProvider('openai', cfg).name).toBe('openai');
  });

  it('refuses an unknown name with a permanent, readable error', () => {
    let thrown: unknown;
    try {
      resolveProvider('foo', cfg);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AiError);
    expect(thrown).toMatchObject({
      message: "Unknown AI provider 'foo' (known: ollama, openai, local)",
      permanent: true,
    });
  });
});

describe('networkErrorCode', () => {
  it('finds the socket error code in a fetch failure', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(networkErrorCode(new TypeError('fetch failed', { cause }))).toBe('ECONNREFUSED');
  });

  it('finds it inside an AggregateError (happy eyeballs)', () => {
    const inner = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const cause = new AggregateError([inner], 'all failed');
    expect(networkErrorCode(new TypeError('fetch failed', { cause }))).toBe('ECONNREFUSED');
  });

  it('falls back to the message', () => {
    expect(networkErrorCode(new Error('socket hang up'))).toBe('socket hang up');
  });
});
