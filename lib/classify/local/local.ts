import type { FilingEvidence } from './local.queries.js';

// kite's own classifier, the `local` provider (docs/operations.md "Filing without an LLM"): one-vs-rest naive Bayes over the
// words of each user's filed documents, computed from the search index at filing time. Nothing is trained ahead
// and nothing is stored but the documents and their topics: a correction teaches the next filing at once, a
// restart loses nothing, and no user's model ever sees another's documents.

export interface LocalOptions {
  /** Below this many training documents the classifier files nothing (no topics, no error). */
  minDocuments: number;
  /** A topic is attached when its confidence reaches this. */
  confidence: number;
}

export interface TopicScore {
  topicId: string;
  /** How sure the classifier is that the whole document fits the topic, 0–1. */
  confidence: number;
  /** The share of the document's parts that fit this topic best (see PART_POSITIONS). */
  share: number;
}

/** Smoothing of the rates: small, so a word seen in two documents of a topic already counts (the bench chose it). */
const ALPHA = 0.01;
/** A topic needs this many labelled documents to be learnt at all. */
const MIN_TOPIC_DOCUMENTS = 2;
/**
 * Naive Bayes treats every word as independent evidence, so a long document's log-odds grow without bound. The
 * evidence is scaled to what about this many independent words would say, whatever the document's length.
 */
const EFFECTIVE_WORDS = 24;
/**
 * A document is also judged in parts of this many word positions, so one that is half a recipe and half a tax
 * letter gets both topics: whole-document naive Bayes would give it to whichever half says more.
 */
const PART_POSITIONS = 40;
/** A part with fewer known words than this says too little to count. */
const PART_MIN_WORDS = 6;
/** A topic that fits this share of the parts (and at least two of them) is attached too. */
const PART_SHARE = 0.3;

/**
 * Each learnt topic's confidence that it fits the document, most likely first. For topic t and the document's words w
 * seen in training: log-odds = log P(t)/P(¬t) + k · Σ_w log P(w|t)/P(w|¬t), where P(w|t) = (df_t(w) + α) /
 * (docs_t + 2α) is the weighted share of t's documents that contain w (the words a document has, not the ones it
 * lacks), and k = min(1, EFFECTIVE_WORDS / |w|) for the confidence (1 for the order).
 */
export function scoreTopics(evidence: FilingEvidence, options: LocalOptions): TopicScore[] {
  if (evidence.count < options.minDocuments || evidence.documents <= 0) return [];
  const topics = evidence.topics.filter((topic) => topic.count >= MIN_TOPIC_DOCUMENTS);
  const ratios = new Map<string, Map<string, number>>();
  const priors = new Map<string, number>();
  for (const topic of topics) {
    const otherDocuments = evidence.documents - topic.documents;
    priors.set(topic.topicId, Math.log((topic.documents + 1) / (otherDocuments + 1)));
    const byWord = new Map<string, number>();
    for (const word of evidence.frequencies) {
      const inTopic = word.byTopic[topic.topicId] ?? 0;
      const elsewhere = Math.max(word.documents - inTopic, 0);
      byWord.set(
        word.word,
        Math.log((inTopic + ALPHA) / (topic.documents + 2 * ALPHA)) -
          Math.log((elsewhere + ALPHA) / (otherDocuments + 2 * ALPHA)),
      );
    }
    ratios.set(topic.topicId, byWord);
  }
  /** The log-odds for a topic over some words; `tempered` scales the evidence for a readable confidence. */
  const logOdds = (topicId: string, words: readonly string[], tempered: boolean) => {
    const byWord = ratios.get(topicId) ?? new Map<string, number>();
    let sum = 0;
    for (const word of words) sum += byWord.get(word) ?? 0;
    const scale = tempered && words.length > 0 ? Math.min(1, EFFECTIVE_WORDS / words.length) : 1;
    return (priors.get(topicId) ?? 0) + scale * sum;
  };
  const confidence = (topicId: string, words: readonly string[]) => sigmoid(logOdds(topicId, words, true));
  const known = evidence.frequencies.map((word) => word.word);
  const wins = new Map<string, number>();
  const parts = partsOf(evidence.positions, new Set(known));
  for (const part of parts) {
    let best: { topicId: string; confidence: number } | undefined;
    for (const topic of topics) {
      const c = confidence(topic.topicId, part);
      if (!best || c > best.confidence) best = { topicId: topic.topicId, confidence: c };
    }
    if (best && best.confidence >= options.confidence)
      wins.set(best.topicId, (wins.get(best.topicId) ?? 0) + 1);
  }
  // Ranked by the untempered log-odds: tempering keeps the confidence readable, not the order right.
  return topics
    .map((topic) => {
      const partWins = wins.get(topic.topicId) ?? 0;
      return {
        topicId: topic.topicId,
        confidence: confidence(topic.topicId, known),
        share: partWins >= 2 && parts.length > 0 ? partWins / parts.length : 0,
        rank: logOdds(topic.topicId, known, false),
      };
    })
    .sort((a, b) => b.rank - a.rank || (a.topicId < b.topicId ? -1 : 1))
    .map(({ rank: _, ...score }) => score);
}

/**
 * The topics to attach, best first: every topic whose confidence over the whole document reaches the threshold,
 * and every topic that fits a good share of its parts (a document may have several topics).
 */
export function chooseTopics(scores: readonly TopicScore[], options: LocalOptions): string[] {
  return scores
    .filter((score) => score.confidence >= options.confidence || score.share >= PART_SHARE)
    .map((score) => score.topicId);
}

/** The document's known words grouped by where they occur, PART_POSITIONS positions a part. */
function partsOf(positions: Record<string, number[]>, known: ReadonlySet<string>): string[][] {
  const parts = new Map<number, string[]>();
  for (const [word, at] of Object.entries(positions)) {
    if (!known.has(word)) continue;
    for (const position of at ?? []) {
      const index = Math.floor((position - 1) / PART_POSITIONS);
      const part = parts.get(index) ?? [];
      part.push(word);
      parts.set(index, part);
    }
  }
  return [...parts.values()].filter((part) => part.length >= PART_MIN_WORDS);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
