import { describe, expect, it } from 'vitest';
import { chooseTopics, scoreTopics } from './local.js';
import type { FilingEvidence } from './local.queries.js';

const options = { minDocuments: 4, confidence: 0.5 };

/** Two topics of three documents each; `cake` and `flour` belong to A, `tax` and `income` to B. */
function evidence(positions: Record<string, number[]>, count = 6): FilingEvidence {
  const rates: Record<string, [number, number]> = {
    cake: [3, 0],
    flour: [3, 0],
    tax: [0, 3],
    income: [0, 3],
    the: [3, 3],
  };
  return {
    count,
    documents: 6,
    topics: [
      { topicId: 'A', documents: 3, count: 3 },
      { topicId: 'B', documents: 3, count: 3 },
    ],
    frequencies: Object.keys(positions)
      .filter((word) => rates[word])
      .map((word) => {
        const [a = 0, b = 0] = rates[word] ?? [];
        return { word, documents: a + b, byTopic: { A: a, B: b } };
      }),
    positions,
  };
}

describe('the local classifier', () => {
  it('files nothing below the minimum of filed documents', () => {
    expect(scoreTopics(evidence({ cake: [1] }, 3), options)).toEqual([]);
  });

  it('puts the topic whose documents share the words first, with a confidence between 0 and 1', () => {
    const scores = scoreTopics(evidence({ cake: [1], flour: [2], the: [3] }), options);
    expect(scores.map((s) => s.topicId)).toEqual(['A', 'B']);
    expect(scores[0]?.confidence).toBeGreaterThan(0.5);
    expect(scores[0]?.confidence).toBeLessThan(1);
    expect(chooseTopics(scores, options)).toEqual(['A']);
  });

  it('does not learn a topic from a single document', () => {
    const single = evidence({ cake: [1], flour: [2] });
    single.topics = [{ topicId: 'A', documents: 1, count: 1 }];
    expect(scoreTopics(single, options)).toEqual([]);
  });

  it('gives a document whose parts fit different topics both topics', () => {
    // Positions 1–40 hold part one (cake, flour), 41–80 part two (tax, income), 81–120 part three (tax, income)...
    const positions: Record<string, number[]> = { cake: [], flour: [], tax: [], income: [] };
    for (let part = 0; part < 4; part++) {
      const [one, two] = part < 2 ? ['cake', 'flour'] : ['tax', 'income'];
      for (let i = 0; i < 4; i++) {
        positions[one ?? '']?.push(part * 40 + 1 + i);
        positions[two ?? '']?.push(part * 40 + 11 + i);
      }
    }
    const chosen = chooseTopics(scoreTopics(evidence(positions), options), options);
    expect(chosen.sort()).toEqual(['A', 'B']);
  });
});
