// The local provider's model (docs/operations.md "Filing without an LLM"), pure functions only: words to tf-idf
// vectors, one linear support vector machine per topic trained by dual coordinate descent (Hsieh et al. 2008, the
// method of liblinear), the scores of a document, the topics to attach, and the model as stored. Over ~300 lines
// because the training, the scoring and the compact serialisation must agree on one representation; local.ts
// decides when to train and where the model lives.

export interface ModelOptions {
  /** Below this many training documents the classifier files nothing (no topics, no error). */
  minDocuments: number;
  /** A topic is attached when its confidence reaches this. */
  confidence: number;
}

/** One filed document as training sees it: its text's term counts, its visible topics, and its weight. */
export interface Example {
  terms: Map<string, number>;
  topicIds: readonly string[];
  /** How much the document counts: more when a person set its topics. */
  weight: number;
}

export interface LocalModel {
  /** The vocabulary, in the order of `idf` and of every topic's weights. */
  terms: string[];
  idf: Float32Array;
  topics: { topicId: string; weights: Float32Array; bias: number }[];
  /** Training documents it was trained on. */
  documents: number;
}

export interface TopicScore {
  topicId: string;
  /** How sure the model is that the whole document fits the topic, 0–1 (0.5 at the decision boundary). */
  confidence: number;
  /** The share of the document's parts that fit this topic best (see PART_POSITIONS). */
  share: number;
}

/** A topic needs this many labelled documents to be learnt at all. */
const MIN_TOPIC_DOCUMENTS = 2;
/**
 * The SVM's cost of a margin violation, per unit of a document's weight: 1.5 for a document a person filed (weight
 * 3), 0.5 for one the model filed. On the bench (docs/performance.md "Filing: local against paperless-ngx") a
 * person-filed cost of 1–9 gives 147–149 of 157 right; below 1 the margin gets too soft (0.6: 143, 0.3: 131).
 */
const COST = 0.5;
/** Passes over the training documents at most; training stops earlier once the solution is within EPSILON. */
const MAX_EPOCHS = 100;
/** The stopping tolerance on the projected gradients, liblinear's default (9–10 passes a topic on the bench). */
const EPSILON = 0.1;
/** A margin of 1 (the SVM's own unit) reads as this confidence: sigmoid(SLOPE · margin). */
const SLOPE = 2;
/**
 * A document is also judged in parts of this many word positions, so one that is half a recipe and half a tax
 * letter gets both topics: the whole document's scores would give it to whichever half says more.
 */
const PART_POSITIONS = 40;
/** A part with fewer known words than this says too little to count. */
const PART_MIN_WORDS = 6;
/** A topic that fits this share of the parts (and at least two of them) is attached too. */
const PART_SHARE = 0.3;

/** Letters, digits and `_` runs, lower-cased: `read_file(2)` gives `read_file` and `2`. */
export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}

/** What the model reads of a document: its filename's words, then its text's, the text cut at `maxChars`. */
export function documentTokens(filename: string, text: string, maxChars: number): string[] {
  return tokens(`${filename}\n${text.slice(0, maxChars)}`);
}

export function termCounts(words: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/** Sublinear tf-idf, L2-normalised: (1 + ln tf) · idf per known term, unknown terms left out. */
function vectorise(counts: Map<string, number>, index: Map<string, number>, idf: ArrayLike<number>) {
  const indices: number[] = [];
  const values: number[] = [];
  let norm = 0;
  for (const [term, count] of counts) {
    const at = index.get(term);
    if (at === undefined) continue;
    const value = (1 + Math.log(count)) * (idf[at] ?? 0);
    indices.push(at);
    values.push(value);
    norm += value * value;
  }
  norm = Math.sqrt(norm) || 1;
  return {
    indices: Int32Array.from(indices),
    values: Float64Array.from(values, (value) => value / norm),
  } satisfies SparseVector;
}

/** The training documents' vectors, one after another (compressed sparse rows): the inner loops read in order. */
interface Rows {
  /** Row i is [offsets[i], offsets[i + 1]). */
  offsets: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Trains one SVM per topic with at least MIN_TOPIC_DOCUMENTS documents (one against the rest, so a document may fit
 * several topics, or none). Deterministic: the same examples give the same model.
 */
export function train(examples: readonly Example[]): LocalModel {
  // The vocabulary in order of first use, each document's terms as indices into it, in one pass.
  const index = new Map<string, number>();
  const documentFrequency: number[] = [];
  const offsets = new Int32Array(examples.length + 1);
  for (let i = 0; i < examples.length; i++)
    offsets[i + 1] = (offsets[i] as number) + (examples[i] as Example).terms.size;
  const indices = new Int32Array(offsets[examples.length] as number);
  const values = new Float64Array(indices.length);
  for (let i = 0, k = 0; i < examples.length; i++) {
    for (const [term, count] of (examples[i] as Example).terms) {
      let at = index.get(term);
      if (at === undefined) {
        at = documentFrequency.length;
        index.set(term, at);
        documentFrequency.push(0);
      }
      documentFrequency[at] = (documentFrequency[at] as number) + 1;
      indices[k] = at;
      values[k] = 1 + Math.log(count);
      k++;
    }
  }
  const n = examples.length;
  // Smoothed idf, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
  const idf = Float32Array.from(documentFrequency, (df) => Math.log((1 + n) / (1 + df)) + 1);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = offsets[i] as number; k < (offsets[i + 1] as number); k++) {
      const value = (values[k] as number) * (idf[indices[k] as number] as number);
      values[k] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm) || 1;
    for (let k = offsets[i] as number; k < (offsets[i + 1] as number); k++)
      values[k] = (values[k] as number) / norm;
  }
  const rows: Rows = { offsets, indices, values };
  const labelled = new Map<string, number>();
  for (const example of examples)
    for (const topicId of new Set(example.topicIds)) labelled.set(topicId, (labelled.get(topicId) ?? 0) + 1);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const costs = Float64Array.from(examples, (example) => COST * example.weight);
  const topics = [...labelled]
    .filter(([, count]) => count >= MIN_TOPIC_DOCUMENTS)
    .map(([topicId]) => topicId)
    .sort()
    .map((topicId) => {
      const labels = Int8Array.from(examples, (example) => (example.topicIds.includes(topicId) ? 1 : -1));
      const { weights, bias } = svm(rows, labels, costs, index.size, order);
      return { topicId, weights: Float32Array.from(weights), bias };
    });
  return { terms: [...index.keys()], idf, topics, documents: n };
}

/**
 * A linear SVM with an L1 (hinge) loss and a bias feature of 1, by dual coordinate descent: each document's dual
 * variable in turn, clipped to [0, its cost], until the projected gradients span less than EPSILON.
 */
function svm(
  { offsets, indices, values }: Rows,
  labels: Int8Array,
  costs: Float64Array,
  dimensions: number,
  order: Int32Array,
): { weights: Float64Array; bias: number } {
  const weights = new Float64Array(dimensions);
  let bias = 0;
  const alpha = new Float64Array(labels.length);
  // Q_ii = ||x_i||² + 1 (the bias feature): 2 for a normalised row, 1 for a document with no known words.
  const diagonal = Float64Array.from(labels, (_, i) => {
    const to = offsets[i + 1] as number;
    return (offsets[i] as number) < to ? 2 : 1;
  });
  // liblinear's shrinking: a document whose multiplier sits at a bound and whose gradient says it will stay
  // there leaves the active set; most documents are far from the margin, so later passes visit few.
  let active = Array.from(order);
  let highestBefore = Number.POSITIVE_INFINITY;
  let lowestBefore = Number.NEGATIVE_INFINITY;
  const random = xorshift(0x2545f491);
  for (let epoch = 0; epoch < MAX_EPOCHS; epoch++) {
    // A new order every pass, as liblinear does: it converges in a third of the passes of a fixed order.
    shuffle(active, random);
    let highest = Number.NEGATIVE_INFINITY;
    let lowest = Number.POSITIVE_INFINITY;
    const kept: number[] = [];
    for (const i of active) {
      const y = labels[i] as number;
      const cost = costs[i] as number;
      const from = offsets[i] as number;
      const to = offsets[i + 1] as number;
      const margin = bias + dot(weights, indices, values, from, to);
      const a = alpha[i] as number;
      const gradient = y * margin - 1;
      let projected = gradient;
      if (a === 0) {
        if (gradient > highestBefore) continue;
        projected = Math.min(gradient, 0);
      } else if (a >= cost) {
        if (gradient < lowestBefore) continue;
        projected = Math.max(gradient, 0);
      }
      kept.push(i);
      highest = Math.max(highest, projected);
      lowest = Math.min(lowest, projected);
      if (projected === 0) continue;
      const next = Math.min(Math.max(a - gradient / (diagonal[i] as number), 0), cost);
      const step = (next - a) * y;
      alpha[i] = next;
      addScaled(weights, indices, values, from, to, step);
      bias += step;
    }
    if (highest - lowest < EPSILON) {
      // Converged on the active set: done if that was every document, else once more over all of them.
      if (kept.length === order.length) break;
      active = Array.from(order);
      highestBefore = Number.POSITIVE_INFINITY;
      lowestBefore = Number.NEGATIVE_INFINITY;
      continue;
    }
    active = kept;
    highestBefore = highest > 0 ? highest : Number.POSITIVE_INFINITY;
    lowestBefore = lowest < 0 ? lowest : Number.NEGATIVE_INFINITY;
  }
  return { weights, bias };
}

/** w · x for the sparse x at [from, to) of the flat vectors. */
function dot(
  weights: Float64Array,
  indices: Int32Array,
  values: Float64Array,
  from: number,
  to: number,
): number {
  let sum = 0;
  for (let k = from; k < to; k++) sum += (weights[indices[k] as number] as number) * (values[k] as number);
  return sum;
}

/** w += step · x for the sparse x at [from, to) of the flat vectors. */
function addScaled(
  weights: Float64Array,
  indices: Int32Array,
  values: Float64Array,
  from: number,
  to: number,
  step: number,
): void {
  for (let k = from; k < to; k++) {
    const at = indices[k] as number;
    weights[at] = (weights[at] as number) + step * (values[k] as number);
  }
}

/** A fixed sequence of pseudo-random numbers (xorshift32): training is reproducible. */
function xorshift(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

/** Fisher–Yates, in place. */
function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random() % (i + 1);
    const swap = items[i] as number;
    items[i] = items[j] as number;
    items[j] = swap;
  }
}

/** A model ready to score: its term index built once (a warm function keeps it). */
export interface ReadyModel extends LocalModel {
  index: Map<string, number>;
}

export function ready(model: LocalModel): ReadyModel {
  return { ...model, index: new Map(model.terms.map((term, i) => [term, i])) };
}

/** Words in reading order as a document's word positions (1-based, as a tsvector has them). */
export function positionsOf(words: readonly string[]): Record<string, number[]> {
  const positions: Record<string, number[]> = {};
  words.forEach((word, i) => {
    const at = positions[word] ?? [];
    at.push(i + 1);
    positions[word] = at;
  });
  return positions;
}

/**
 * Every learnt topic in `visible` with its confidence for the document's words (each with its positions), highest
 * first, and the share of the document's parts it fits best. Nothing when the model learnt from fewer than
 * `minDocuments` documents.
 */
export function scoreTopics(
  model: ReadyModel,
  words: Readonly<Record<string, readonly number[]>>,
  visible: ReadonlySet<string>,
  options: ModelOptions,
): TopicScore[] {
  if (model.documents < options.minDocuments) return [];
  const topics = model.topics.filter((topic) => visible.has(topic.topicId));
  if (topics.length === 0) return [];
  const margins = (counts: Map<string, number>) => {
    const vector = vectorise(counts, model.index, model.idf);
    return topics.map((topic) => {
      let margin = topic.bias;
      for (let k = 0; k < vector.indices.length; k++)
        margin += (topic.weights[vector.indices[k] as number] as number) * (vector.values[k] as number);
      return margin;
    });
  };
  const whole = new Map<string, number>();
  const parts = new Map<number, Map<string, number>>();
  for (const [word, at] of Object.entries(words)) {
    whole.set(word, Math.max(at.length, 1));
    if (!model.index.has(word)) continue;
    for (const position of at) {
      const part = Math.floor((position - 1) / PART_POSITIONS);
      const counts = parts.get(part) ?? new Map<string, number>();
      counts.set(word, (counts.get(word) ?? 0) + 1);
      parts.set(part, counts);
    }
  }
  const wholeMargins = margins(whole);
  const wins = new Array<number>(topics.length).fill(0);
  let judged = 0;
  for (const counts of parts.values()) {
    let known = 0;
    for (const count of counts.values()) known += count;
    if (known < PART_MIN_WORDS) continue;
    judged++;
    const scores = margins(counts);
    let best = 0;
    for (let t = 1; t < scores.length; t++) if ((scores[t] as number) > (scores[best] as number)) best = t;
    if (sigmoid(SLOPE * (scores[best] as number)) >= options.confidence) wins[best] = (wins[best] ?? 0) + 1;
  }
  return topics
    .map((topic, t) => {
      const partWins = wins[t] ?? 0;
      return {
        topicId: topic.topicId,
        confidence: sigmoid(SLOPE * (wholeMargins[t] as number)),
        share: partWins >= 2 && judged > 0 ? partWins / judged : 0,
      };
    })
    .sort((a, b) => b.confidence - a.confidence || (a.topicId < b.topicId ? -1 : 1));
}

/**
 * The topics to attach, best first: every topic whose confidence over the whole document reaches the threshold,
 * and every topic that fits a good share of its parts (a document may have several topics).
 */
export function chooseTopics(scores: readonly TopicScore[], options: ModelOptions): string[] {
  return scores
    .filter((score) => score.confidence >= options.confidence || score.share >= PART_SHARE)
    .map((score) => score.topicId);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The model as stored: JSON with the vocabulary as one string and the numbers as base64 float32, quick to parse. */
interface StoredModel {
  format: 1;
  documents: number;
  terms: string;
  idf: string;
  topics: { topicId: string; weights: string; bias: number }[];
}

export function serialise(model: LocalModel): string {
  const stored: StoredModel = {
    format: 1,
    documents: model.documents,
    terms: model.terms.join('\n'),
    idf: base64(model.idf),
    topics: model.topics.map((topic) => ({
      topicId: topic.topicId,
      weights: base64(topic.weights),
      bias: topic.bias,
    })),
  };
  return JSON.stringify(stored);
}

/** The stored model, or undefined when it is of another format (it is then trained again). */
export function deserialise(text: string): LocalModel | undefined {
  const stored = JSON.parse(text) as StoredModel;
  if (stored.format !== 1) return undefined;
  return {
    documents: stored.documents,
    terms: stored.terms === '' ? [] : stored.terms.split('\n'),
    idf: floats(stored.idf),
    topics: stored.topics.map((topic) => ({
      topicId: topic.topicId,
      weights: floats(topic.weights),
      bias: topic.bias,
    })),
  };
}

function base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function floats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  // Copied into an aligned buffer: a Buffer's pooled memory may start at any offset.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
