import { describe, expect, it } from 'vitest';
import {
  chooseTopics,
  deserialise,
  documentTokens,
  type Example,
  positionsOf,
  ready,
  scoreTopics,
  serialise,
  termCounts,
  tokens,
  train,
} from './model.js';

const options = { minDocuments: 4, confidence: 0.5 };

const RECIPES = [
  'whisk flour milk and eggs, fry the batter in butter',
  'knead flour water yeast and salt, bake the dough in the oven',
  'simmer tomatoes with garlic and onion, season with basil and salt',
];
const TAXES = [
  'income tax return, deductions for commuting, refund due',
  'the tax office assessed your income tax, pay the balance',
  'property tax bill on the assessed value of the house',
];

function example(text: string, topicIds: string[], weight = 3): Example {
  return { terms: termCounts(tokens(text)), topicIds, weight };
}

function examples(): Example[] {
  return [...RECIPES.map((t) => example(t, ['A'])), ...TAXES.map((t) => example(t, ['B']))];
}

const both = new Set(['A', 'B']);
const score = (model: ReturnType<typeof ready>, text: string, visible = both) =>
  scoreTopics(model, positionsOf(tokens(text)), visible, options);

describe('the local model', () => {
  it('reads lower-cased runs of letters, digits and _ in any script', () => {
    expect(tokens('Read_File(2) Überweisung: 12,50 €')).toEqual([
      'read_file',
      '2',
      'überweisung',
      '12',
      '50',
    ]);
    expect(documentTokens('tax-2025.pdf', 'Income TAX and more', 10)).toEqual([
      'tax',
      '2025',
      'pdf',
      'income',
      'tax',
    ]);
  });

  it('puts the topic whose documents share the words first, with a confidence between 0 and 1', () => {
    const model = ready(train(examples()));
    const scores = score(model, 'bake bread: flour, yeast, salt and butter');
    expect(scores.map((s) => s.topicId)).toEqual(['A', 'B']);
    expect(scores[0]?.confidence).toBeGreaterThan(0.5);
    expect(scores[0]?.confidence).toBeLessThan(1);
    expect(scores[1]?.confidence).toBeLessThan(0.5);
    expect(chooseTopics(scores, options)).toEqual(['A']);
    expect(chooseTopics(score(model, 'the tax office wants income tax'), options)).toEqual(['B']);
  });

  it('files nothing below the minimum of training documents', () => {
    const model = ready(train(examples().slice(2, 5)));
    expect(score(model, 'flour and salt')).toEqual([]);
  });

  it('does not learn a topic from a single document', () => {
    const model = ready(train([...examples(), example('a parking ticket', ['C'])]));
    expect(model.topics.map((t) => t.topicId)).toEqual(['A', 'B']);
  });

  it('scores only the topics the owner sees now', () => {
    const model = ready(train(examples()));
    expect(score(model, 'flour and salt', new Set(['B'])).map((s) => s.topicId)).toEqual(['B']);
    expect(score(model, 'flour and salt', new Set())).toEqual([]);
  });

  it('learns a document under several topics for each of them', () => {
    const model = ready(
      train([...examples(), example('tax deductions for the bakery flour and oven', ['A', 'B'])]),
    );
    expect(model.topics.map((t) => t.topicId)).toEqual(['A', 'B']);
  });

  it('gives a document whose parts fit different topics both topics', () => {
    const model = ready(train(examples()));
    // Four parts of 40 words: two about recipes, two about taxes.
    const part = (words: string) => Array.from({ length: 40 }, (_, i) => words.split(' ')[i % 8]).join(' ');
    const text = [
      part('flour yeast salt butter oven dough basil garlic'),
      part('whisk eggs milk batter fry tomatoes onion bake'),
      part('income tax return refund deductions commuting office balance'),
      part('property tax bill assessed value house pay income'),
    ].join(' ');
    expect(chooseTopics(score(model, text), options).sort()).toEqual(['A', 'B']);
  });

  it('weighs a document more when a person filed it', () => {
    // The same words filed under A by a person and under B by the model: the person wins.
    const text = 'quarterly statement of the allotment association';
    const model = ready(
      train([
        ...examples(),
        example(text, ['A'], 3),
        example(`${text} again`, ['A'], 3),
        example(text, ['B'], 1),
        example(`${text} again`, ['B'], 1),
      ]),
    );
    const scores = score(model, text);
    expect(scores[0]?.topicId).toBe('A');
  });

  it('trains the same model from the same documents, and stores it without changing a score', () => {
    const first = train(examples());
    expect(serialise(train(examples()))).toBe(serialise(first));
    const stored = deserialise(serialise(first));
    expect(stored).toBeDefined();
    const text = 'bake bread with flour and pay the income tax';
    const again = score(ready(stored as NonNullable<typeof stored>), text);
    expect(again).toEqual(score(ready(first), text));
  });

  it('reads a model of another format as none (it is trained again)', () => {
    expect(deserialise(JSON.stringify({ format: 2 }))).toBeUndefined();
  });
});
