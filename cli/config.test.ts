import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalUrl } from './config.js';
import { StateStore } from './multipart.js';

const work = mkdtempSync(join(tmpdir(), 'kite-cli-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('canonicalUrl: one server, however its URL is written', () => {
  it('lower-cases scheme and host and drops a default port and trailing slashes', () => {
    expect(canonicalUrl('HTTPS://Kite.Example.com:443/')).toBe('https://kite.example.com');
    expect(canonicalUrl('http://127.0.0.1:3000//')).toBe('http://127.0.0.1:3000');
    expect(canonicalUrl('https://host.example/kite/')).toBe('https://host.example/kite');
  });

  it('keeps apart what may be different servers', () => {
    expect(canonicalUrl('http://localhost:3000')).not.toBe(canonicalUrl('http://127.0.0.1:3000'));
    expect(canonicalUrl('https://kite.example.com')).not.toBe(canonicalUrl('http://kite.example.com'));
    expect(canonicalUrl('https://kite.example.com:8443')).not.toBe(canonicalUrl('https://kite.example.com'));
    expect(canonicalUrl('https://host.example/a')).not.toBe(canonicalUrl('https://host.example/b'));
  });
});

describe('StateStore: an unfinished upload belongs to one server and one version of the file', () => {
  const deep = join(work, 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(deep, { recursive: true });
  const path = join(deep, 'scan.pdf');
  writeFileSync(path, 'x'.repeat(100));
  const file = { path, name: 'scan.pdf', size: 100, contentType: 'application/pdf' };
  const state = { documentId: 'd', uploadId: 'u', partSize: 5, partCount: 20, parts: { 1: '"e"' } };

  it('is not offered to another server, however long the path', () => {
    new StateStore(join(work, 'state'), 'https://kite.example.com').save(file, state);
    expect(new StateStore(join(work, 'state'), 'https://kite.example.org').load(file)).toBeUndefined();
    expect(new StateStore(join(work, 'state'), 'https://KITE.example.com/').load(file)).toEqual(state);
  });
});
