// Over 300 lines on purpose: the `kite` command's table of contents, one commander definition per subcommand with
// its options and help; the work each one does lives in cli/upload.ts, cli/transfer.ts, cli/multipart.ts.
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  type ApiKey,
  createKiteClient,
  type Document,
  KiteApiError,
  type KiteClient,
  type Topic,
  unwrap,
} from '../client/index.js';
import { version } from '../package.json';
import { canonicalUrl, configPath, readLogin, saveLogin } from './config.js';
import { collectFiles } from './files.js';
import { StateStore } from './multipart.js';
import { formatBytes, plainProgress, terminalProgress } from './progress.js';
import { download } from './transfer.js';
import { oneLine, skipNothing, skipSameContent, uploadFiles } from './upload.js';

// `kite`: the command-line client (docs/cli.md "Command-line client"), on the typed client generated from the OpenAPI
// document. Exit codes: 0 done, 1 a request failed, 2 the command line is wrong.

const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The command line is wrong: exit 2. */
class UsageError extends Error {}

/** What was asked cannot be done, found out without an API error body (no such topic, nothing to download): exit 1. */
class Refused extends Error {}

interface GlobalOptions {
  url?: string;
  token?: string;
}

const program = new Command('kite')
  .description('Command-line client for kite, the document store')
  .version(version)
  .addOption(
    new Option('--url <url>', `API base URL (default: $KITE_URL, the saved login's, or ${DEFAULT_URL})`),
  )
  .addOption(
    new Option('--token <token>', "a JWT or an API key (default: $KITE_TOKEN, or the saved login's key)"),
  )
  .showHelpAfterError('(kite --help lists the commands)')
  .exitOverride();

/** Flags first, then KITE_URL / KITE_TOKEN, then what `kite login` saved (read once, after parsing). */
let saved: Awaited<ReturnType<typeof readLogin>>;

const baseUrl = () => program.opts<GlobalOptions>().url ?? process.env.KITE_URL ?? saved?.url ?? DEFAULT_URL;

/** Where interrupted multipart uploads are remembered: $KITE_STATE_DIR, else ~/.kite/uploads. */
const stateDirectory = () => process.env.KITE_STATE_DIR ?? join(homedir(), '.kite', 'uploads');

function client(): KiteClient {
  const url = baseUrl();
  // The saved key goes only to the server it was saved for: pointing --url or KITE_URL at a dev server must not
  // hand it production's key.
  const savedKey = saved && canonicalUrl(saved.url) === canonicalUrl(url) ? saved.key : undefined;
  const token = program.opts<GlobalOptions>().token ?? process.env.KITE_TOKEN ?? savedKey;
  if (!token) {
    const why = saved ? `the saved login is for ${saved.url}, not ${url}` : 'no login is saved';
    throw new UsageError(
      `no token for ${url} (${why}): run kite login, pass --token or set KITE_TOKEN (an API key, or a JWT: npm run token -- <user>)`,
    );
  }
  return createKiteClient({ baseUrl: url, token });
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** 16777216, 16MiB, 16M. */
function byteSize(value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) < 1) {
    throw new InvalidArgumentError('must be a size in bytes, e.g. 16777216, 16MiB or 16M');
  }
  return Number(match[1]) * unit;
}

function positiveInt(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return number;
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Columns padded to their widest cell; the last one is not padded. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

const documentRow = (d: Document) => [
  d.id,
  d.status,
  d.sizeBytes === null ? '-' : formatBytes(d.sizeBytes),
  d.createdAt.slice(0, 19).replace('T', ' '),
  d.topics.map((t) => t.name).join(', ') || '-',
  d.filename,
];
const DOCUMENT_HEADER = ['ID', 'STATUS', 'SIZE', 'CREATED', 'TOPICS', 'FILENAME'];

/** A topic named by id or by name (case-insensitive), among the topics the caller sees. */
async function findTopic(api: KiteClient, idOrName: string): Promise<Topic> {
  const { topics } = unwrap(await api.GET('/api/topics'));
  const topic =
    topics.find((t) => t.id === idOrName.toLowerCase()) ??
    topics.find((t) => t.name.toLowerCase() === idOrName.trim().toLowerCase());
  if (!topic) throw new Refused(`no topic ${idOrName} among the ones you see`);
  return topic;
}

interface UploadFlags {
  concurrency: number;
  multipartThreshold: number;
  partSize?: number;
  skip: boolean;
  json?: boolean;
}

program
  .command('upload')
  .description('upload files and directories (recursively); content already stored is skipped')
  .argument('<paths...>', 'files or directories')
  .addOption(new Option('-c, --concurrency <n>', 'files in flight at once').default(4).argParser(positiveInt))
  .addOption(
    new Option('--multipart-threshold <size>', 'files this large go in parts, resumably')
      .default(64 * 1024 ** 2, '64MiB')
      .argParser(byteSize),
  )
  .addOption(new Option('--part-size <size>', 'part size (default: the server chooses)').argParser(byteSize))
  .option('--no-skip', 'upload even content already stored')
  .option('--json', 'print the results as JSON instead of progress')

  .action(async (paths: string[], options: UploadFlags) => {
    const api = client();
    const files = await collectFiles(paths).catch((error: Error) => {
      throw new UsageError(oneLine(error));
    });
    const skip = options.skip ? await skipSameContent(api) : skipNothing;
    const onTerminal = !options.json && process.stderr.isTTY === true;
    const results = await uploadFiles(api, files, {
      concurrency: options.concurrency,
      skip,
      multipart: {
        threshold: options.multipartThreshold,
        ...(options.partSize ? { partSize: options.partSize } : {}),
        store: new StateStore(stateDirectory(), baseUrl()),
      },
      progress: (toSend) =>
        onTerminal
          ? terminalProgress({ files: toSend.length, bytes: toSend.reduce((sum, f) => sum + f.size, 0) })
          : plainProgress({ quiet: options.json === true }),
    });
    const count = (status: string) => results.filter((r) => r.status === status).length;
    if (options.json) printJson(results);
    else {
      process.stdout.write(
        `${count('uploaded')} uploaded, ${count('skipped')} skipped, ${count('failed')} failed\n`,
      );
    }
    if (count('failed') > 0) process.exitCode = 1;
  });

program
  .command('ls')
  .description('list your documents, newest first')
  .addOption(
    new Option('--status <status>', 'only documents in this state').choices([
      'pending',
      'uploaded',
      'classified',
      'failed',
    ]),
  )
  .option('--topic <topic>', 'only documents filed under this topic (id or name)')
  .addOption(new Option('-n, --limit <n>', 'at most this many').default(50).argParser(positiveInt))
  .option('--all', 'every document (ignores --limit)')
  .option('--json', 'print the documents as JSON')
  .action(
    async (options: {
      status?: Document['status'];
      topic?: string;
      limit: number;
      all?: boolean;
      json?: boolean;
    }) => {
      const api = client();
      const topicId = options.topic ? (await findTopic(api, options.topic)).id : undefined;
      const documents: Document[] = [];
      let cursor: string | undefined;
      do {
        const want = options.all ? 100 : Math.min(100, options.limit - documents.length);
        const page = unwrap(
          await api.GET('/api/documents', {
            params: {
              query: {
                limit: want,
                ...(options.status ? { status: options.status } : {}),
                ...(topicId ? { topicId } : {}),
                ...(cursor ? { cursor } : {}),
              },
            },
          }),
        );
        documents.push(...page.documents);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && (options.all || documents.length < options.limit));
      if (options.json) printJson(documents);
      else printTable(DOCUMENT_HEADER, documents.map(documentRow));
    },
  );

program
  .command('search')
  .description('find your documents by what they say (and by filename), best match first')
  .argument('<words...>', 'web search syntax: words, "a phrase", -word, or')
  .addOption(
    new Option('--status <status>', 'only documents in this state').choices([
      'pending',
      'uploaded',
      'classified',
      'failed',
    ]),
  )
  .option('--topic <topic>', 'only documents filed under this topic (id or name)')
  .addOption(new Option('-n, --limit <n>', 'at most this many').default(20).argParser(positiveInt))
  .option('--json', 'print the results as JSON')
  .action(
    async (
      words: string[],
      options: { status?: Document['status']; topic?: string; limit: number; json?: boolean },
    ) => {
      const api = client();
      const topicId = options.topic ? (await findTopic(api, options.topic)).id : undefined;
      // As openapi-fetch reads them: the highlight pairs as arrays.
      const results: { document: Document; snippet: string; highlights: number[][]; rank: number }[] = [];
      let cursor: string | undefined;
      do {
        const page = unwrap(
          await api.GET('/api/search', {
            params: {
              query: {
                q: words.join(' '),
                limit: Math.min(100, options.limit - results.length),
                ...(options.status ? { status: options.status } : {}),
                ...(topicId ? { topicId } : {}),
                ...(cursor ? { cursor } : {}),
              },
            },
          }),
        );
        results.push(...page.results);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && results.length < options.limit);
      if (options.json) {
        printJson(results);
        return;
      }
      const mark = process.stdout.isTTY ? ['\u001b[1m', '\u001b[22m'] : ['[', ']'];
      printTable(
        ['ID', 'FILENAME', 'SNIPPET'],
        results.map((r) => [r.document.id, r.document.filename, highlight(r.snippet, r.highlights, mark)]),
      );
    },
  );

/** The snippet with its matched words marked: bold on a terminal, [brackets] otherwise. */
function highlight(snippet: string, highlights: number[][], [open, close]: string[]): string {
  let out = '';
  let at = 0;
  for (const [start = 0, end = 0] of [...highlights].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    if (start < at) continue;
    out += `${snippet.slice(at, start)}${open}${snippet.slice(start, end)}${close}`;
    at = end;
  }
  return (out + snippet.slice(at)).replace(/\s+/g, ' ');
}

program
  .command('get')
  .description("download a document's bytes")
  .argument('<id>', 'document id')
  .option('-o, --output <file>', 'where to write it (- for stdout; default: its filename here)')
  .action(async (id: string, options: { output?: string }) => {
    const api = client();
    const { document, downloadUrl } = unwrap(
      await api.GET('/api/documents/{id}', { params: { path: { id } } }),
    );
    if (!downloadUrl)
      throw new Refused(`${document.filename} has no bytes to download yet (${document.status})`);
    const output = options.output ?? basename(document.filename);
    const destination = output === '-' ? process.stdout : output;
    const size = document.sizeBytes ?? 0;
    const bars =
      output !== '-' && process.stderr.isTTY ? terminalProgress({ files: 1, bytes: size }) : undefined;
    const bar = bars?.file(document.filename, size);
    try {
      await download(downloadUrl, destination, (bytes) => bar?.advance(bytes));
      bar?.finish(`downloaded ${document.filename} ${formatBytes(size)} → ${output}`);
    } finally {
      bars?.stop();
    }
    if (output !== '-' && !bars) process.stdout.write(`${output}\n`);
  });

/** Ids per bulk call (POST /api/documents/bulk takes at most 100). */
const BULK_IDS = 100;

/**
 * One bulk action over any number of ids, 100 per call; prints `<verb> <id>` per done id and a line per id that
 * was not, then fails (exit 1) if any was not.
 */
async function bulkAction(
  ids: string[],
  action: 'trash' | 'restore' | 'deletePermanently',
  verb: string,
): Promise<void> {
  const api = client();
  const failed: string[] = [];
  for (let start = 0; start < ids.length; start += BULK_IDS) {
    const { results } = unwrap(
      await api.POST('/api/documents/bulk', {
        body: { ids: ids.slice(start, start + BULK_IDS), action },
      }),
    );
    for (const { id, outcome } of results) {
      if (outcome === 'ok') process.stdout.write(`${verb} ${id}\n`);
      else
        failed.push(`${id}: ${outcome === 'not_found' ? 'no such document' : 'not possible in its state'}`);
    }
  }
  if (failed.length > 0) throw new Refused(failed.join('; '));
}

program
  .command('rm')
  .description('move documents to the trash (restorable; still counted in your quota)')
  .argument('<ids...>', 'document ids')
  .option('--permanent', 'delete them for good: their bytes too, and the quota is refunded')
  .action(async (ids: string[], options: { permanent?: boolean }) => {
    if (options.permanent) await bulkAction(ids, 'deletePermanently', 'deleted');
    else await bulkAction(ids, 'trash', 'trashed');
  });

program
  .command('restore')
  .description('take documents out of the trash')
  .argument('<ids...>', 'document ids')
  .action(async (ids: string[]) => bulkAction(ids, 'restore', 'restored'));

const trash = program.command('trash').description('your trash: deleted documents, restorable until emptied');

trash
  .command('ls', { isDefault: true })
  .description('list the trash, newest deletion first')
  .option('--json', 'print the documents as JSON')
  .action(async (options: { json?: boolean }) => {
    const api = client();
    const documents: Document[] = [];
    let cursor: string | undefined;
    do {
      const page = unwrap(
        await api.GET('/api/trash', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }),
      );
      documents.push(...page.documents);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (options.json) {
      printJson(documents);
      return;
    }
    printTable(
      ['ID', 'SIZE', 'DELETED', 'FILENAME'],
      documents.map((d) => [
        d.id,
        d.sizeBytes === null ? '-' : formatBytes(d.sizeBytes),
        (d.deletedAt ?? '').slice(0, 19).replace('T', ' '),
        d.filename,
      ]),
    );
  });

trash
  .command('empty')
  .description('delete everything in the trash for good (the quota is refunded)')
  .action(async () => {
    unwrap(await client().DELETE('/api/trash'));
    process.stdout.write('trash emptied\n');
  });

program
  .command('edit')
  .description('rename a document and/or set its topics (the model never takes back what you set)')
  .argument('<id>', 'document id')
  .option('--name <filename>', 'the new filename')
  .option('--topic <topics...>', 'its whole set of topics, by name or id (replaces the current ones)')
  .option('--json', 'print the document as JSON')
  .action(async (id: string, options: { name?: string; topic?: string[]; json?: boolean }) => {
    if (options.name === undefined && options.topic === undefined) {
      throw new UsageError('nothing to change: give --name, --topic or both');
    }
    const api = client();
    const topicIds =
      options.topic === undefined
        ? undefined
        : await Promise.all(options.topic.map(async (t) => (await findTopic(api, t)).id));
    const { document } = unwrap(
      await api.PATCH('/api/documents/{id}', {
        params: { path: { id } },
        body: {
          ...(options.name === undefined ? {} : { filename: options.name }),
          ...(topicIds === undefined ? {} : { topicIds }),
        },
      }),
    );
    if (options.json) printJson(document);
    else printTable(DOCUMENT_HEADER, [documentRow(document)]);
  });

program
  .command('reclassify')
  .description('file documents under topics again')
  .argument('<ids...>', 'document ids')
  .option('--json', 'print the documents as JSON')
  .action(async (ids: string[], options: { json?: boolean }) => {
    const api = client();
    const documents: Document[] = [];
    for (const id of ids) {
      const { document } = unwrap(
        await api.POST('/api/documents/{id}/classify', { params: { path: { id } } }),
      );
      documents.push(document);
      if (!options.json) process.stdout.write(`queued ${document.id} ${document.filename}\n`);
    }
    if (options.json) printJson(documents);
  });

const topics = program.command('topics').description('the topics you see: the system ones and your own');

topics
  .command('ls', { isDefault: true })
  .description('list topics')
  .option('--json', 'print the topics as JSON')
  .action(async (options: { json?: boolean }) => {
    const { topics: list } = unwrap(await client().GET('/api/topics'));
    if (options.json) printJson(list);
    else
      printTable(
        ['ID', 'SCOPE', 'NAME', 'DESCRIPTION'],
        list.map((t) => [t.id, t.scope, t.name, t.description ?? '']),
      );
  });

topics
  .command('add')
  .description('create one of your own topics')
  .argument('<name>', 'topic name')
  .option('-d, --description <text>', 'what belongs under it')
  .option('--json', 'print the topic as JSON')
  .action(async (name: string, options: { description?: string; json?: boolean }) => {
    const { topic } = unwrap(
      await client().POST('/api/topics', {
        body: { name, ...(options.description ? { description: options.description } : {}) },
      }),
    );
    if (options.json) printJson(topic);
    else process.stdout.write(`created ${topic.id} ${topic.name}\n`);
  });

topics
  .command('rm')
  .description('delete one of your own topics (by id or name)')
  .argument('<topic>', 'topic id or name')
  .action(async (idOrName: string) => {
    const api = client();
    const topic = await findTopic(api, idOrName);
    unwrap(await api.DELETE('/api/topics/{id}', { params: { path: { id: topic.id } } }));
    process.stdout.write(`deleted ${topic.id} ${topic.name}\n`);
  });

program
  .command('me')
  .description('who you are, your quota and AI settings')
  .option('--json', 'print it as JSON')
  .action(async (options: { json?: boolean }) => {
    const me = unwrap(await client().GET('/api/me'));
    if (options.json) {
      printJson(me);
      return;
    }
    const { usedBytes, limitBytes } = me.quota;
    printTable(
      ['FIELD', 'VALUE'],
      [
        ['id', me.id],
        ['email', me.email ?? '-'],
        ['role', me.role],
        [
          'quota',
          `${formatBytes(usedBytes)} of ${formatBytes(limitBytes)} used (${((100 * usedBytes) / Math.max(limitBytes, 1)).toFixed(1)}%)`,
        ],
        ['ai', `${me.aiProvider ?? 'default provider'} / ${me.aiModel ?? 'default model'}`],
      ],
    );
  });

program
  .command('login')
  .description(`check an API key and save it with the URL for later commands (${configPath()}, mode 0600)`)
  .option('--key <key>', 'the API key, kite_… (default: asked for, or read from stdin)')
  .action(async (options: { key?: string }) => {
    const key = (options.key ?? (await askFor('API key: '))).trim();
    if (!key) throw new UsageError('no key given');
    const url = baseUrl();
    const me = unwrap(await createKiteClient({ baseUrl: url, token: key }).GET('/api/me'));
    await saveLogin({ url, key });
    process.stdout.write(`logged in to ${url} as ${me.id}; saved to ${configPath()}\n`);
  });

/** One line from piped stdin, or from the terminal after a prompt, not echoed (it is a secret). */
async function askFor(prompt: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = process.stdin.isTTY === true;
  // readline echoes what is typed through its output: this one lets the prompt through and nothing after it.
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const lines = createInterface({ input: process.stdin, ...(terminal ? { output, terminal: true } : {}) });
  try {
    if (!terminal) {
      for await (const line of lines) return line;
      return '';
    }
    const answer = lines.question(prompt);
    muted = true;
    return await answer;
  } finally {
    lines.close();
    if (terminal) process.stderr.write('\n');
  }
}

const keys = program
  .command('keys')
  .description('your API keys (needs a signed-in session token, not a key)');

const keyRow = (k: ApiKey) => [
  k.id,
  k.prefix,
  k.scopes.join(','),
  k.expiresAt?.slice(0, 19).replace('T', ' ') ?? 'never',
  k.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? 'never',
  k.name,
];

keys
  .command('ls', { isDefault: true })
  .description('list your API keys (never their secrets)')
  .option('--json', 'print the keys as JSON')
  .action(async (options: { json?: boolean }) => {
    const { keys: list } = unwrap(await client().GET('/api/keys'));
    if (options.json) printJson(list);
    else printTable(['ID', 'PREFIX', 'SCOPES', 'EXPIRES', 'LAST USED', 'NAME'], list.map(keyRow));
  });

keys
  .command('create')
  .description('create an API key; its secret is printed once, now')
  .argument('<name>', 'what the key is for')
  .addOption(
    new Option('-s, --scope <scope...>', 'what it may do (repeatable)')
      .choices(['documents:read', 'documents:write', 'topics:read', 'topics:write', 'admin'])
      .makeOptionMandatory(),
  )
  .option('--expires <date-time>', 'when it stops working (ISO 8601, e.g. 2027-01-01T00:00:00Z)')
  .option('--json', 'print the key and its secret as JSON')
  .action(async (name: string, options: { scope: ApiKey['scopes']; expires?: string; json?: boolean }) => {
    const created = unwrap(
      await client().POST('/api/keys', {
        body: {
          name,
          scopes: [...new Set(options.scope)],
          ...(options.expires ? { expiresAt: options.expires } : {}),
        },
      }),
    );
    if (options.json) {
      printJson(created);
      return;
    }
    process.stderr.write(`created ${created.key.id} ${created.key.name}; the secret is shown this once:\n`);
    process.stdout.write(`${created.secret}\n`);
  });

keys
  .command('rm')
  .description('revoke API keys (they stop working within 10 seconds)')
  .argument('<ids...>', 'key ids')
  .action(async (ids: string[]) => {
    const api = client();
    for (const id of ids) {
      unwrap(await api.DELETE('/api/keys/{id}', { params: { path: { id } } }));
      process.stdout.write(`revoked ${id}\n`);
    }
  });

/** One readable line on stderr and the exit code: 1 for a failed request, 2 for a wrong command line. */
function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ||
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version'
      ? 0
      : 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`kite: ${error.message}\n`);
    return 2;
  }
  if (error instanceof Refused) {
    process.stderr.write(`kite: ${error.message}\n`);
    return 1;
  }
  if (error instanceof KiteApiError) {
    process.stderr.write(`kite: ${oneLine(error)} (${error.code}, HTTP ${error.status})\n`);
    return 1;
  }
  const url = baseUrl();
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const unreachable = error instanceof TypeError && error.message === 'fetch failed';
  process.stderr.write(
    `kite: ${unreachable ? `cannot reach ${url} (${cause?.code ?? cause?.message ?? 'network error'})` : oneLine(error)}\n`,
  );
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    saved = await readLogin();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return fail(error);
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
