import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { forgetHeldModels, scoreLocally, trainLocalModel } from '../lib/classify/local/local.js';
import { chooseTopics } from '../lib/classify/local/model.js';
import { config } from '../lib/platform/config.js';
import { db } from '../lib/platform/db/client.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * `npm run bench -- filing` (docs/operations.md "Filing without an LLM"): the local classifier against paperless-ngx's own
 * recipe (bench/paperless_classifier.py), trained and tested on the same split of a labelled public corpus.
 *
 * The corpus: the Linux man-pages project as Debian ships it (packages `manpages` and `manpages-dev`, GPL-2+
 * and other free licences, see /usr/share/doc/manpages/copyright), each page a document filed under its
 * section: system calls (2), library functions (3), special files (4), file formats (5), overviews (7). The
 * section number is taken out of the text (the .TH line), so only what a page says counts. Install with
 * `apt-get install manpages manpages-dev python3-sklearn`.
 */

const TOPICS: Record<string, string> = {
  '2': 'System calls',
  '3': 'Library functions',
  '4': 'Special files',
  '5': 'File formats',
  '7': 'Overviews',
};
/** Per topic at most this many pages (man3 alone has ~1,000): a household's scale, and the bench stays quick. */
const PER_TOPIC = Number(process.env.BENCH_FILING_PER_TOPIC ?? 150);
/** A page goes to the test set when its hash says so: 30 %, the same pages in every run. */
const TEST_SHARE = 0.3;
const MAX_CHARS = 8000;

interface Page {
  name: string;
  text: string;
  label: string;
  test: boolean;
}

function corpus(): Page[] {
  let listed: string;
  try {
    listed = execFileSync('dpkg', ['-L', 'manpages', 'manpages-dev'], { encoding: 'utf8' });
  } catch {
    throw new Error(
      'the filing bench needs Debian packages: apt-get install manpages manpages-dev python3-sklearn',
    );
  }
  const bySection = new Map<string, Page[]>();
  for (const file of listed.split('\n').sort()) {
    const match = /\/man\/man([23457])\/([^/]+)\.gz$/.exec(file);
    if (!match) continue;
    const [, section = '', name = ''] = match;
    const roff = gunzipSync(readFileSync(file)).toString('utf8');
    if (roff.startsWith('.so ')) continue; // a link to another page
    const text = plainText(roff);
    if (text.length < 200) continue;
    const hash = createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
    const pages = bySection.get(section) ?? [];
    pages.push({ name, text, label: TOPICS[section] ?? section, test: hash < TEST_SHARE });
    bySection.set(section, pages);
  }
  return [...bySection.values()].flatMap((pages) => pages.slice(0, PER_TOPIC));
}

/** roff to words: macros keep their arguments, escapes go, and the .TH line (which names the section) is dropped. */
function plainText(roff: string): string {
  return roff
    .split('\n')
    .filter((line) => !line.startsWith('.TH') && !line.startsWith('.\\"') && !line.startsWith('\'\\"'))
    .map((line) => line.replace(/^\.[A-Za-z]+\s*/, ''))
    .join('\n')
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\\(..|\\\[[^\]]*\]|\\[-e&|^]/g, ' ')
    .replace(/\\./g, '')
    .slice(0, MAX_CHARS);
}

interface Metrics {
  accuracy: number;
  perTopic: Record<string, { precision: number; recall: number }>;
}

/** Top-1 accuracy, and per topic the precision and recall of what was attached. */
function metrics(pages: Page[], top: string[], attached: string[][]): Metrics {
  const accuracy = pages.filter((page, i) => top[i] === page.label).length / pages.length;
  const perTopic: Metrics['perTopic'] = {};
  for (const topic of Object.values(TOPICS)) {
    let truePositive = 0;
    let predicted = 0;
    let actual = 0;
    pages.forEach((page, i) => {
      const got = attached[i]?.includes(topic) ?? false;
      if (got) predicted++;
      if (page.label === topic) actual++;
      if (got && page.label === topic) truePositive++;
    });
    perTopic[topic] = {
      precision: predicted ? truePositive / predicted : 0,
      recall: actual ? truePositive / actual : 0,
    };
  }
  return { accuracy, perTopic };
}

async function kiteLocal(train: Page[], test: Page[]) {
  const database = db();
  const cfg = config();
  const userId = `bench-filing-${randomUUID()}`;
  await database.insertInto('users').values({ id: userId, email: null, role: 'user' }).execute();
  await database
    .insertInto('quotas')
    .values({ user_id: userId, limit_bytes: 1024 ** 4, used_bytes: 0 })
    .execute();
  const topics = await database
    .insertInto('topics')
    .values(Object.values(TOPICS).map((name) => ({ user_id: userId, name })))
    .returning(['id', 'name'])
    .execute();
  const idOf = new Map(topics.map((t) => [t.name, t.id]));
  const nameOf = new Map(topics.map((t) => [t.id, t.name]));

  // Storing the filed documents (their rows, search vectors and topics) is what kite does for every document,
  // whichever provider files it: timed apart, not as training.
  const storeStart = performance.now();
  for (const page of train) {
    const id = randomUUID();
    await sql`
      with doc as (
        insert into documents (id, user_id, filename, content_type, storage_key, status, size_bytes, classified_at)
        values (${id}, ${userId}, ${`document-${id.slice(0, 8)}.txt`}, 'text/plain', ${`bench/${id}`},
          'classified', ${page.text.length}, now())
        returning id, user_id, filename
      ), indexed as (
        insert into document_search (document_id, user_id, content, vector, language)
        select doc.id, doc.user_id, ${page.text}, kite_search_vector(${cfg.SEARCH_LANGUAGE}::regconfig, doc.filename,
          ${page.text}), ${cfg.SEARCH_LANGUAGE} from doc
      )
      insert into document_topics (document_id, topic_id, source) select doc.id, ${idOf.get(page.label)}::uuid, 'user' from doc
    `.execute(database);
  }
  const storeMs = performance.now() - storeStart;

  // Training: all the provider does to be ready to file, from a cold process: read the training documents' texts
  // and topics, train, store the model.
  const question = {
    userId,
    userWeight: 3,
    maxDocuments: cfg.LOCAL_MAX_TRAINING_DOCUMENTS,
    maxChars: cfg.CLASSIFY_MAX_CHARS,
  };
  forgetHeldModels();
  const trainStart = performance.now();
  await trainLocalModel(database, question);
  const trainMs = performance.now() - trainStart;
  forgetHeldModels();

  const options = { minDocuments: cfg.LOCAL_MIN_DOCUMENTS, confidence: cfg.LOCAL_CONFIDENCE };
  const top: string[] = [];
  const attached: string[][] = [];
  let firstFileMs = 0;
  const fileStart = performance.now();
  for (const page of test) {
    const started = performance.now();
    // What the classify function does: one statement (the words, the training set's fingerprint, the stored
    // model unless this process holds it), then the scoring; the first filing parses the stored model.
    const scores = await scoreLocally(database, {
      ...question,
      filename: 'document.txt',
      text: page.text,
      visibleTopicIds: topics.map((topic) => topic.id),
      options,
    });
    if (top.length === 0) firstFileMs = performance.now() - started;
    top.push(nameOf.get(scores[0]?.topicId ?? '') ?? '');
    attached.push(chooseTopics(scores, options).map((id) => nameOf.get(id) ?? ''));
  }
  const fileMs = performance.now() - fileStart;
  await database.deleteFrom('users').where('id', '=', userId).execute();
  return { ...metrics(test, top, attached), storeMs, trainMs, fileMs, firstFileMs };
}

function paperless(train: Page[], test: Page[]) {
  const input = JSON.stringify({
    train: train.map((p) => ({ text: p.text, label: p.label })),
    test: test.map((p) => ({ text: p.text, label: p.label })),
  });
  const result = spawnSync('/usr/bin/python3', ['bench/paperless_classifier.py'], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`paperless baseline failed: ${result.stderr}`);
  const out = JSON.parse(result.stdout) as {
    top: string[];
    attached: string[][];
    trainSeconds: number;
    predictSeconds: number;
  };
  return {
    ...metrics(test, out.top, out.attached),
    trainMs: out.trainSeconds * 1000,
    fileMs: out.predictSeconds * 1000,
  };
}

export async function benchFiling(): Promise<BenchResult> {
  const pages = corpus();
  const train = pages.filter((p) => !p.test);
  const test = pages.filter((p) => p.test);
  const ours = await kiteLocal(train, test);
  const theirs = paperless(train, test);
  const perTopic = (m: Metrics) =>
    Object.entries(m.perTopic)
      .map(([topic, { precision, recall }]) => `${topic} P ${precision.toFixed(2)} R ${recall.toFixed(2)}`)
      .join('; ');
  const rows: BenchRow[] = [
    {
      part: 'filing',
      case: `baseline: paperless-ngx recipe (CountVectorizer 1-2 grams + MLP), train`,
      rows: train.length,
      seconds: theirs.trainMs / 1000,
      msPerRow: theirs.trainMs / train.length,
      note: `${train.length} man pages in ${Object.keys(TOPICS).length} sections`,
    },
    {
      part: 'filing',
      case: 'baseline: paperless-ngx recipe, file',
      rows: test.length,
      seconds: theirs.fileMs / 1000,
      msPerRow: theirs.fileMs / test.length,
      note: `accuracy ${(theirs.accuracy * 100).toFixed(1)} %; ${perTopic(theirs)}`,
    },
    {
      part: 'filing',
      case: 'kite: store the training documents (every provider; not training)',
      rows: train.length,
      seconds: ours.storeMs / 1000,
      msPerRow: ours.storeMs / train.length,
      note: 'rows, search text and vectors, topics',
    },
    {
      part: 'filing',
      case: 'local: train (read the texts, SVM per topic, store the model)',
      rows: train.length,
      seconds: ours.trainMs / 1000,
      msPerRow: ours.trainMs / train.length,
      note: `${(ours.trainMs / theirs.trainMs).toFixed(2)}x the baseline's training time`,
    },
    {
      part: 'filing',
      case: 'local: file (one SQL statement + scoring)',
      rows: test.length,
      seconds: ours.fileMs / 1000,
      msPerRow: ours.fileMs / test.length,
      note: `accuracy ${(ours.accuracy * 100).toFixed(1)} %; ${perTopic(ours)}; first (parses the stored model) ${ours.firstFileMs.toFixed(1)} ms`,
    },
  ];
  return {
    rows,
    summary: {
      corpus: 'Linux man-pages (Debian manpages, manpages-dev), by section',
      trainDocuments: train.length,
      testDocuments: test.length,
      localAccuracy: Number(ours.accuracy.toFixed(3)),
      paperlessAccuracy: Number(theirs.accuracy.toFixed(3)),
      localTrainMsPerDocument: Number((ours.trainMs / train.length).toFixed(2)),
      storeMsPerDocument: Number((ours.storeMs / train.length).toFixed(2)),
      paperlessTrainMsPerDocument: Number((theirs.trainMs / train.length).toFixed(2)),
      trainingTimeRatio: Number((ours.trainMs / theirs.trainMs).toFixed(3)),
      localFileMsPerDocument: Number((ours.fileMs / test.length).toFixed(2)),
      paperlessFileMsPerDocument: Number((theirs.fileMs / test.length).toFixed(2)),
    },
  };
}
