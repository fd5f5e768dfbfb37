import { describe, expect, it } from 'vitest';
import { createTopicBody, updateTopicBody } from './topics.contract.js';

describe('topic body schemas', () => {
  it('normalise the name and keep a description', () => {
    expect(createTopicBody.parse({ name: ' Taxes ', description: ' Returns\nand receipts ' })).toEqual({
      name: 'Taxes',
      description: 'Returns\nand receipts',
    });
  });

  it('treat a blank description as none', () => {
    expect(createTopicBody.parse({ name: 'Taxes', description: '   ' })).toEqual({
      name: 'Taxes',
      description: null,
    });
  });

  it('refuse unknown fields, so a client cannot pick a namespace', () => {
    expect(createTopicBody.safeParse({ name: 'Taxes', userId: null }).success).toBe(false);
    expect(createTopicBody.safeParse({ name: 'Taxes', scope: 'system' }).success).toBe(false);
  });

  it('refuse a description over 500 characters or with control characters', () => {
    expect(createTopicBody.safeParse({ name: 'T', description: 'd'.repeat(501) }).success).toBe(false);
    expect(createTopicBody.safeParse({ name: 'T', description: 'a\u0000' }).success).toBe(false);
    expect(createTopicBody.safeParse({ name: 'T', description: 'd'.repeat(500) }).success).toBe(true);
  });

  it('a PATCH must change something', () => {
    expect(updateTopicBody.safeParse({}).success).toBe(false);
    expect(updateTopicBody.parse({ description: null })).toEqual({ description: null });
  });

  it('report a missing name as required', () => {
    const result = createTopicBody.safeParse({});
    expect(result.error?.issues[0]?.message).toBe('name is required');
  });
});
