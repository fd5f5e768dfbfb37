import * as z from 'zod/mini';
import { EXTRACTOR_VERSION, readDocumentText, truncateText } from '../extract/text.js';
import { sha256OfObject } from '../platform/aws/storage.js';
import { config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import type { SearchText } from '../platform/db/search-rows.js';
import { withinDeadline } from '../platform/deadline.js';
import { logger } from '../platform/logger.js';
import { normaliseTopicName, topicNameKey } from '../platform/names.js';
import { searchLanguage } from '../search/search-language.js';
import { AiError } from './ai/errors.js';
import { answerSchema, type ClassificationAnswer, classificationMessages, readAnswer } from './ai/prompt.js';
import { resolveProvider } from './ai/provider.js';
import type { AiProvider } from './ai/types.js';
import {
  type ClassificationInput,
  loadClassificationInput,
  recordClassificationFailure,
  saveClassification,
  saveContentHash,
  type VisibleTopic,
} from './classify.queries.js';
import { fileLocally } from './local/local.js';

/** The classify queue's message body (lib/platform/aws/queue.ts sends it). */
const classifyMessageSchema = z.object({ documentId: z.uuid() });

/** The document id of a message body, or undefined when the body is not `{"documentId": "<uuid>"}`. */
export function parseClassifyMessage(body: string): string | undefined {
  try {
    return classifyMessageSchema.parse(JSON.parse(body)).documentId;
  } catch {
    return undefined;
  }
}

export interface ClassifyAttempt {
  documentId: string;
  /** 1-based: the record's ApproximateReceiveCount. */
  attempt: number;
  /** How long the model may take before the attempt counts as failed. */
  timeoutMs: number;
}

export type ClassifyOutcome =
  | { kind: 'classified'; topicIds: string[]; createdTopics: string[] }
  | { kind: 'skipped'; reason: 'missing' | 'not_uploaded' }
  /** Permanently failed (retrying cannot help): the document is `failed` and the message is done. */
  | { kind: 'failed'; error: string };

/** A failed attempt: the record must be reported as failed so SQS delivers it again (or dead-letters it). */
export class ClassifyAttemptError extends Error {
  override name = 'ClassifyAttemptError';
}

/**
 * Classifies one document: read (one query) → S3 → extract → LLM → one write statement that re-checks the document
 * is still `uploaded` and stores the classification with the search text. No transaction is open across a network
 * call. A failed attempt records its error and throws; on the last attempt (CLASSIFY_MAX_ATTEMPTS) the document
 * becomes `failed` first, keeping its text for search when the file could be read.
 */
export async function classifyDocument({
  documentId,
  attempt,
  timeoutMs,
}: ClassifyAttempt): Promise<ClassifyOutcome> {
  const cfg = config();
  const language = await searchLanguage();
  const maxChars = Math.max(cfg.SEARCH_MAX_CHARS, cfg.CLASSIFY_MAX_CHARS);
  const input = await loadClassificationInput(db(), documentId, maxChars);
  if (!input) return { kind: 'skipped', reason: 'missing' };
  if (input.status !== 'uploaded') return { kind: 'skipped', reason: 'not_uploaded' };

  let search: SearchText | undefined;
  try {
    const signal = withinDeadline(AbortSignal.timeout(timeoutMs));
    const providerName = input.aiProvider || cfg.DEFAULT_AI_PROVIDER;
    // Resolved before the text is read: an unknown provider fails the document without reading it for the model.
    const provider = providerName === 'local' ? undefined : resolveProvider(providerName, cfg);
    // The extract stage saved the text (docs/operations.md "Text from scans and photos"). A document it has not run on (a
    // message sent before it existed) is read here as before it existed: hash and text layer, no OCR.
    let text: string;
    if (input.textSource !== null) {
      text = input.text ?? '';
    } else {
      await hashContent(input, cfg.HASH_MAX_BYTES, signal);
      // Search keeps up to SEARCH_MAX_CHARS; the model sees the first CLASSIFY_MAX_CHARS of the same text.
      text = await documentText(input, maxChars);
      search = { content: truncateText(text, cfg.SEARCH_MAX_CHARS), language, extractor: EXTRACTOR_VERSION };
    }
    const filing: SearchText = search ?? {
      content: truncateText(text, cfg.SEARCH_MAX_CHARS),
      language,
      extractor: EXTRACTOR_VERSION,
    };
    const plan: TopicPlan = provider
      ? planTopics(
          await askModel(provider, input, truncateText(text, cfg.CLASSIFY_MAX_CHARS), signal),
          input.topics,
          cfg.CLASSIFY_MAX_NEW_TOPICS,
        )
      : { topicIds: await fileWithLocalModel(input, filing), newTopicNames: [] };
    const saved = await saveClassification(db(), {
      documentId,
      topicIds: plan.topicIds,
      newTopicNames: plan.newTopicNames,
      search,
    });
    if (!saved) return { kind: 'skipped', reason: 'not_uploaded' };
    return { kind: 'classified', topicIds: plan.topicIds, createdTopics: plan.newTopicNames };
  } catch (error) {
    const permanent = error instanceof AiError && error.permanent;
    const final = permanent || attempt >= cfg.CLASSIFY_MAX_ATTEMPTS;
    const message = readableError(error);
    logger.warn('classification attempt failed', {
      documentId,
      attempt,
      final,
      reason: message,
      error: error as Error,
    });
    await recordClassificationFailure(db(), documentId, message, final, search);
    if (permanent) return { kind: 'failed', error: message };
    throw new ClassifyAttemptError(message, { cause: error });
  }
}

/**
 * The local provider (docs/operations.md "Filing without an LLM"): the owner's own filed documents decide, over the same text
 * search indexes. It attaches existing visible topics only; with too few filed documents it attaches none.
 */
async function fileWithLocalModel(input: ClassificationInput, search: SearchText): Promise<string[]> {
  const cfg = config();
  return fileLocally(db(), {
    userId: input.userId,
    filename: input.filename,
    text: search.content,
    maxChars: cfg.CLASSIFY_MAX_CHARS,
    userWeight: LOCAL_USER_WEIGHT,
    maxDocuments: cfg.LOCAL_MAX_TRAINING_DOCUMENTS,
    visibleTopicIds: input.topics.map((topic) => topic.id),
    options: { minDocuments: cfg.LOCAL_MIN_DOCUMENTS, confidence: cfg.LOCAL_CONFIDENCE },
  });
}

/** A topic a person set says more than one the model chose: such documents count this many times. */
const LOCAL_USER_WEIGHT = 3;

async function askModel(
  provider: AiProvider,
  input: ClassificationInput,
  text: string,
  signal: AbortSignal,
): Promise<ClassificationAnswer> {
  const cfg = config();
  const content = await provider.complete({
    model: input.aiModel || cfg.DEFAULT_AI_MODEL,
    messages: classificationMessages({
      systemPrompt: cfg.SYSTEM_PROMPT,
      topics: input.topics,
      filename: input.filename,
      text,
      maxNewTopics: cfg.CLASSIFY_MAX_NEW_TOPICS,
      examples: input.examples.map((example) => ({ ...example, excerpt: example.excerpt ?? '' })),
      examplesMaxChars: cfg.CLASSIFY_EXAMPLES_MAX_CHARS,
    }),
    schema: answerSchema(input.topics.map((topic) => topic.name)),
    signal,
  });
  return readAnswer(content);
}

/**
 * kite's own SHA-256 of the stored bytes, once per document, before the model is asked: a failed model call keeps
 * the hash, and a retry or a reprocess does not read the object again. Objects over HASH_MAX_BYTES keep a null
 * hash (docs/api.md "Duplicates and retried requests" says why).
 */
async function hashContent(input: ClassificationInput, maxBytes: number, signal: AbortSignal): Promise<void> {
  if (input.sha256 !== null || (input.sizeBytes ?? 0) > maxBytes) return;
  let sha256: string | undefined;
  try {
    sha256 = await sha256OfObject(input.storageKey, signal);
  } catch (error) {
    throw new AiError('Could not read the file from storage', { cause: error });
  }
  if (!sha256) throw new AiError('The uploaded file is missing from storage', { permanent: true });
  await saveContentHash(db(), input.id, sha256);
}

/** The document's text (see readDocumentText), its failures as the classification reports them. */
async function documentText(input: ClassificationInput, maxChars: number): Promise<string> {
  let text: string | undefined;
  try {
    text = await readDocumentText(input, maxChars);
  } catch (error) {
    throw new AiError('Could not read the file from storage', { cause: error });
  }
  if (text === undefined) throw new AiError('The uploaded file is missing from storage', { permanent: true });
  return text;
}

export interface TopicPlan {
  topicIds: string[];
  newTopicNames: string[];
}

/**
 * What an answer may do, whatever the document said: link topics the owner sees (matched case-insensitively after
 * normalisation) and create at most `maxNew` new names in the owner's namespace. A suggested name that matches a
 * visible topic links that topic; a name that normalises to nothing is dropped and does not use up the cap.
 */
export function planTopics(
  answer: ClassificationAnswer,
  visible: readonly Pick<VisibleTopic, 'id' | 'name'>[],
  maxNew: number,
): TopicPlan {
  const byKey = new Map(visible.map((topic) => [topicNameKey(topic.name), topic.id]));
  const topicIds = new Set<string>();
  const newNames = new Map<string, string>();
  for (const name of answer.topics) {
    const id = byKey.get(topicNameKey(name));
    if (id) topicIds.add(id);
  }
  for (const suggestion of answer.newTopics) {
    const name = normaliseTopicName(suggestion);
    if (name === undefined) continue;
    const key = topicNameKey(name);
    const existing = byKey.get(key);
    if (existing) topicIds.add(existing);
    else if (newNames.size < maxNew && !newNames.has(key)) newNames.set(key, name);
  }
  // Sorted by key: concurrent classifications of one owner insert names in the same order, so they cannot deadlock.
  const newTopicNames = [...newNames.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, name]) => name);
  return { topicIds: [...topicIds], newTopicNames };
}

/** What the owner reads in `error`: an AiError's own message; anything else is an internal error (logged). */
function readableError(error: unknown): string {
  if (error instanceof AiError) return error.message;
  return 'Internal error while classifying';
}
