import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { modelState, saveModel, type TrainingQuestion, trainingDocuments } from './local.queries.js';
import {
  chooseTopics,
  deserialise,
  documentTokens,
  type ModelOptions,
  positionsOf,
  type ReadyModel,
  ready,
  scoreTopics,
  serialise,
  type TopicScore,
  termCounts,
  train,
} from './model.js';

// kite's own classifier, the `local` provider (docs/operations.md "Filing without an LLM"): one linear SVM per topic
// over the tf-idf of each user's filed documents (model.ts), stored per user in Postgres (local_models) and trained
// again, within the filing, when the filing finds it stale. A restart loses nothing (the model and what it was
// trained on are rows), no user's model ever sees another's documents, and a person's correction teaches the next
// filing.

/**
 * The model's own filings teach too, but one more document changes little: the model is trained again when the
 * training set has grown by this share since (a person's correction, or a document leaving it, retrains at once).
 */
const GROWTH_BEFORE_RETRAINING = 0.1;

/** Each user's parsed model, while the function stays warm; the stored version says whether it is current. */
const held = new Map<string, { version: string; model: ReadyModel }>();
/** A warm function keeps the models of this many users at most (the least recently used goes first). */
const HELD_USERS = 16;

function hold(userId: string, version: string, model: ReadyModel): void {
  held.delete(userId);
  held.set(userId, { version, model });
  for (const oldest of held.keys()) {
    if (held.size <= HELD_USERS) break;
    held.delete(oldest);
  }
}

export interface LocalQuestion extends TrainingQuestion {
  filename: string;
  /** The document's text (its first `maxChars` count). */
  text: string;
  /** The topics the owner sees now: only these can be attached. */
  visibleTopicIds: readonly string[];
  options: ModelOptions;
}

/** The topics to attach to a document, best first; none when the owner has filed too few documents. */
export async function fileLocally(db: Kysely<Database>, q: LocalQuestion): Promise<string[]> {
  return chooseTopics(await scoreLocally(db, q), q.options);
}

/** Every visible learnt topic's score for the document (training the model first when it is stale). */
export async function scoreLocally(db: Kysely<Database>, q: LocalQuestion): Promise<TopicScore[]> {
  const state = await modelState(db, { ...q, heldVersion: held.get(q.userId)?.version ?? null });
  if (state.documents < q.options.minDocuments) return [];
  const { stored } = state;
  let model: ReadyModel;
  const stale =
    !stored ||
    stored.personFingerprint !== state.personFingerprint ||
    state.documents < stored.documents ||
    state.documents > stored.documents * (1 + GROWTH_BEFORE_RETRAINING);
  if (stale) model = await trainLocalModel(db, q);
  else if (stored.model === null) {
    const kept = held.get(q.userId);
    model = kept ? kept.model : await trainLocalModel(db, q);
    if (kept) hold(q.userId, kept.version, kept.model);
  } else {
    const parsed = deserialise(stored.model);
    model = parsed ? ready(parsed) : await trainLocalModel(db, q);
    if (parsed) hold(q.userId, stored.version, model);
  }
  const words = positionsOf(documentTokens(q.filename, q.text, q.maxChars));
  return scoreTopics(model, words, new Set(q.visibleTopicIds), q.options);
}

/**
 * Trains the owner's model from their training documents and stores it: one read (their filenames, the first
 * `maxChars` of the text search keeps, their topics), the training in this process, one write. Returns it ready
 * to score.
 */
export async function trainLocalModel(db: Kysely<Database>, q: TrainingQuestion): Promise<ReadyModel> {
  const { documents, filed, personFingerprint } = await trainingDocuments(db, q);
  const model = train(
    documents.map((document) => ({
      terms: termCounts(documentTokens(document.filename, document.content, q.maxChars)),
      topicIds: document.topicIds,
      weight: document.weight,
    })),
  );
  const version = randomUUID();
  await saveModel(db, {
    userId: q.userId,
    version,
    documents: filed,
    personFingerprint,
    model: serialise(model),
  });
  const readyModel = ready(model);
  hold(q.userId, version, readyModel);
  return readyModel;
}

/** Forgets the parsed models (tests: what a cold start sees). */
export function forgetHeldModels(): void {
  held.clear();
}
