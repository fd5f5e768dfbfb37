import { readFileSync } from 'node:fs';
import { positionsOf, ready, scoreTopics, termCounts, tokens, train } from '../lib/classify/local/model.js';

const pages = JSON.parse(readFileSync('/tmp/corpus.json', 'utf8')) as {
  text: string;
  label: string;
  test: boolean;
}[];
const tr = pages.filter((p) => !p.test),
  te = pages.filter((p) => p.test);
const runs = Number(process.env.RUNS ?? 3);
const fn = (t: string) =>
  (process.env.X_FN ? `document-${Math.random().toString(16).slice(2, 10)}.txt ` : 'document.txt ') + t;
for (let r = 0; r < runs; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ex = tr.map((p) => ({ terms: termCounts(tokens(fn(p.text))), topicIds: [p.label], weight: 3 }));
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const m = ready(train(ex));
  const t2 = performance.now();
  const c2 = process.cpuUsage(c0);
  const opts = { minDocuments: 4, confidence: 0.5 };
  const vis = new Set(m.topics.map((t) => t.topicId));
  let ok = 0;
  for (const p of te)
    if (scoreTopics(m, positionsOf(tokens('document.txt ' + p.text)), vis, opts)[0]?.topicId === p.label)
      ok++;
  console.log(
    `ok ${ok} tok ${(t1 - t0).toFixed(0)} train ${(t2 - t1).toFixed(0)} cpu tok ${(c1.user / 1000).toFixed(0)} cpu train ${((c2.user - c1.user) / 1000).toFixed(0)}`,
  );
}
