// A specification over 300 lines on purpose: the kite CLI against a running API, one case per command; each case sets up its own data.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootNpmStart, type NpmStart } from '../helpers/npm-start.js';
import { buildPdf } from '../helpers/pdf.js';
import { newUser } from '../helpers/users.js';

/** The built `kite` CLI run as a user runs it, against one `npm start`. */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: NpmStart;
let work = '';

/** `undefined` in `env` leaves that variable unset; the config directory is the suite's own, never the user's. */
function kite(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const vars: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    XDG_CONFIG_HOME: join(work, 'config'),
    KITE_URL: stack.api,
    ...env,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/kite.cjs', ...args],
      {
        cwd: process.cwd(),
        env: Object.fromEntries(Object.entries(vars).filter(([, value]) => value !== undefined)),
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** 50 files of the kinds kite accepts, in nested directories, of varied sizes. */
function mixedDirectory(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  for (let i = 0; i < 50; i++) {
    const dir = ['', 'letters', 'letters/2026', 'scans'][i % 4] as string;
    const kind = i % 5;
    const name = `${dir ? `${dir}/` : ''}file-${String(i).padStart(2, '0')}.${['txt', 'md', 'csv', 'pdf', 'png'][kind]}`;
    const body =
      kind === 3
        ? Buffer.from(buildPdf([[`Invoice number ${i}`, 'Total due: 42 EUR']]))
        : kind === 4
          ? Buffer.concat([png, Buffer.alloc(1000 + i * 997, i)])
          : Buffer.from(`${'line of text '.repeat(i * 40 + 1)}#${i}\n`);
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, name), body);
    files.set(name, body);
  }
  return files;
}

beforeAll(async () => {
  execFileSync('npm', ['run', '-s', 'build:cli'], { stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'kite-cli-'));
  // On the suite's S3: radosgw checks that every PUT carries exactly what kite signed (docs/development.md "Which S3 the tests
  // use"), so the CLI is proven to send it.
  stack = await bootNpmStart(inject('testS3') === 'radosgw' ? { KITE_S3: 'ceph' } : {});
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('kite CLI against npm start', () => {
  it('prints its help and exits 0; a wrong command line exits 2', async () => {
    const help = await kite(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'upload',
      'ls',
      'search',
      'get',
      'rm',
      'restore',
      'trash',
      'edit',
      'reclassify',
      'topics',
      'me',
      'login',
      'keys',
    ]) {
      expect(help.stdout).toContain(command);
    }
    expect((await kite(['frobnicate'])).code).toBe(2);
    expect((await kite(['upload', '--concurrency', 'zero', 'x'], { KITE_TOKEN: 'x' })).code).toBe(2);
    const noToken = await kite(['me']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^kite: no token/);
  });

  it('uploads 50 mixed files 4 at a time, every one confirmed with its size; a second run uploads nothing', async () => {
    const { token } = await newUser({ label: 'cli-bulk', email: 'bulk@example.test' });
    const root = join(work, 'bulk');
    const files = mixedDirectory(root);

    const first = await kite(['upload', root, '--concurrency', '4'], { KITE_TOKEN: token });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('uploaded  '))).toHaveLength(50);
    expect(lines.at(-1)).toBe('50 uploaded, 0 skipped, 0 failed');

    const listed = await kite(['ls', '--all', '--json'], { KITE_TOKEN: token });
    expect(listed.code).toBe(0);
    const documents = JSON.parse(listed.stdout) as { filename: string; sizeBytes: number; status: string }[];
    expect(documents).toHaveLength(50);
    for (const [name, body] of files) {
      const document = documents.find((d) => d.filename === name);
      expect(document, name).toBeDefined();
      expect(document?.sizeBytes, name).toBe(body.length);
      expect(document?.status, name).not.toBe('pending');
    }

    const second = await kite(['upload', root, '--concurrency', '4', '--json'], { KITE_TOKEN: token });
    expect(second.code).toBe(0);
    const results = JSON.parse(second.stdout) as { status: string }[];
    expect(results).toHaveLength(50);
    expect(results.every((r) => r.status === 'skipped')).toBe(true);
    const after = JSON.parse((await kite(['ls', '--all', '--json'], { KITE_TOKEN: token })).stdout);
    expect(after).toHaveLength(50);
  });

  it('takes the type of a file whose name says nothing from its bytes', async () => {
    const { token } = await newUser({ label: 'cli-sniff', email: 'sniff@example.test' });
    const root = join(work, 'scans-without-extensions');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'scan_0042'), Buffer.from(buildPdf([['Scanned letter']])));
    writeFileSync(join(root, 'IMG_0007'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    writeFileSync(join(root, 'notes'), 'Shopping list: milk, bread\n');
    writeFileSync(join(root, 'blob'), Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]));

    const run = await kite(['upload', root, '--json'], { KITE_TOKEN: token });

    const results = JSON.parse(run.stdout) as { file: string; status: string; error?: string }[];
    const byName = Object.fromEntries(results.map((r) => [r.file.split('/').pop(), r]));
    expect(byName.blob?.status).toBe('failed');
    expect(byName.blob?.error).toContain('Content type application/octet-stream is not accepted');
    const listed = JSON.parse((await kite(['ls', '--all', '--json'], { KITE_TOKEN: token })).stdout) as {
      filename: string;
      contentType: string;
    }[];
    expect(Object.fromEntries(listed.map((d) => [d.filename, d.contentType]))).toEqual({
      scan_0042: 'application/pdf',
      IMG_0007: 'image/png',
      notes: 'text/plain',
    });
  });

  it('skips content already stored under another name, by its SHA-256', async () => {
    const { token } = await newUser({ label: 'cli-hash', email: 'hash@example.test' });
    const original = join(work, 'report.txt');
    writeFileSync(original, 'quarterly report, final version\n');
    const [first] = JSON.parse((await kite(['upload', original, '--json'], { KITE_TOKEN: token })).stdout);
    expect(first.status).toBe('uploaded');
    // kite hashes the stored bytes just after confirm (docs/api.md "Duplicates and retried requests").
    const deadline = Date.now() + 60_000;
    let hashed = false;
    while (!hashed && Date.now() < deadline) {
      const [document] = JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout);
      hashed = typeof document?.sha256 === 'string';
      if (!hashed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(hashed).toBe(true);

    const copy = join(work, 'copy-of-report.txt');
    writeFileSync(copy, readFileSync(original));
    const again = await kite(['upload', copy], { KITE_TOKEN: token });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`skipped   copy-of-report.txt (already stored: ${first.documentId})`);
    expect(JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout)).toHaveLength(1);
    const forced = JSON.parse(
      (await kite(['upload', copy, '--no-skip', '--json'], { KITE_TOKEN: token })).stdout,
    );
    expect(forced[0].status).toBe('uploaded');
  });

  it('search finds a document by a word in it, marked in its snippet', async () => {
    const { token } = await newUser({ label: 'cli-search', email: 'search@example.test' });
    const file = join(work, 'minutes.txt');
    writeFileSync(
      file,
      'Minutes of the meeting: the committee approved the zeppelin budget for next year.\n',
    );
    const [uploaded] = JSON.parse((await kite(['upload', file, '--json'], { KITE_TOKEN: token })).stdout);
    // The text is indexed when the document is classified (docs/api.md "Search").
    const deadline = Date.now() + 60_000;
    let results: { document: { id: string }; snippet: string }[] = [];
    while (results.length === 0 && Date.now() < deadline) {
      const found = await kite(['search', 'zeppelin', '--json'], { KITE_TOKEN: token });
      expect(found.code).toBe(0);
      results = JSON.parse(found.stdout);
      if (results.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(results.map((r) => r.document.id)).toEqual([uploaded.documentId]);
    const table = await kite(['search', 'zeppelin', 'budget'], { KITE_TOKEN: token });
    expect(table.stdout).toMatch(/^ID\s+FILENAME\s+SNIPPET\n/);
    expect(table.stdout).toContain('[zeppelin] [budget]');
    const bad = await kite(['search', '-n', '5', ' '], { KITE_TOKEN: token });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^kite: [^\n]+ \(validation_error, HTTP 400\)\n$/);
  });

  it('resumes a killed multipart upload without sending the parts storage already holds', async () => {
    const { token } = await newUser({ label: 'cli-resume', email: 'resume@example.test' });
    const stateDir = join(work, 'state');
    const file = join(work, 'big.txt');
    const MiB = 1024 * 1024;
    const bytes = Buffer.alloc(60 * MiB);
    for (let i = 0; i < bytes.length; i += 64) bytes.write(`${i.toString(36).padStart(12, '0')} `, i);
    writeFileSync(file, bytes);
    const args = [
      'upload',
      file,
      '--multipart-threshold',
      '5MiB',
      '--part-size',
      '5MiB',
      '--concurrency',
      '1',
    ];
    const env = {
      PATH: process.env.PATH ?? '',
      KITE_URL: stack.api,
      KITE_TOKEN: token,
      KITE_STATE_DIR: stateDir,
    };

    // Killed (SIGKILL: no cleanup) once the state file records three finished parts.
    const child = spawn(process.execPath, ['bin/kite.cjs', ...args], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const recorded = () => {
      try {
        const [name] = readdirSync(stateDir).filter((f) => f.endsWith('.json'));
        return name ? Object.keys(JSON.parse(readFileSync(join(stateDir, name), 'utf8')).parts).length : 0;
      } catch {
        return 0;
      }
    };
    while (recorded() < 3 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGKILL');
    expect(await exited).toBeNull(); // killed, not finished
    const done = recorded();
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(12);

    const again = await kite([...args, '--json'], { KITE_TOKEN: token, KITE_STATE_DIR: stateDir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const [result] = JSON.parse(again.stdout);
    expect(result).toMatchObject({ status: 'uploaded', sizeBytes: bytes.length });
    expect(result.resumedParts).toBeGreaterThanOrEqual(done);
    expect(result.sentBytes).toBe(bytes.length - result.resumedParts * 5 * MiB);
    expect(readdirSync(stateDir).filter((f) => f.endsWith('.json'))).toEqual([]);

    const out = join(work, 'big-copy.txt');
    expect((await kite(['get', result.documentId, '-o', out], { KITE_TOKEN: token })).code).toBe(0);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    const listed = JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout);
    expect(listed).toHaveLength(1);
  });

  it('get returns the same bytes, to a file or to stdout', async () => {
    const { token } = await newUser({ label: 'cli-get', email: 'get@example.test' });
    const file = join(work, 'photo.png');
    const bytes = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300_000, 7)]);
    writeFileSync(file, bytes);
    const uploaded = JSON.parse((await kite(['upload', file, '--json'], { KITE_TOKEN: token })).stdout);
    const id = uploaded[0].documentId as string;

    const out = join(work, 'photo-copy.png');
    const got = await kite(['get', id, '-o', out], { KITE_TOKEN: token });
    expect(got.code).toBe(0);
    expect(readFileSync(out).equals(bytes)).toBe(true);

    const piped = await new Promise<Buffer>((resolve, reject) => {
      execFile(
        process.execPath,
        ['bin/kite.cjs', 'get', id, '-o', '-'],
        { env: { PATH: process.env.PATH ?? '', KITE_URL: stack.api, KITE_TOKEN: token }, encoding: 'buffer' },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(piped.equals(bytes)).toBe(true);
  });

  it('a bad token prints one readable line from the error body and exits 1', async () => {
    for (const args of [['me'], ['ls'], ['upload', join(work, 'photo.png')]]) {
      const result = await kite(args, { KITE_TOKEN: 'not-a-jwt' });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(/^kite: [^\n]+ \(unauthorized, HTTP 401\)\n$/);
    }
  });

  it('uses an API key end to end: keys create, login (0600), upload and ls with the saved key, revoke', async () => {
    const { token } = await newUser({ label: 'cli-key' });
    const created = await kite(
      ['keys', 'create', 'cli', '--scope', 'documents:read', '--scope', 'documents:write'],
      { KITE_TOKEN: token },
    );
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^kite_[0-9A-Za-z]{43}$/);
    const listed = await kite(['keys', 'ls'], { KITE_TOKEN: token });
    expect(listed.stdout).toMatch(/^ID\s+PREFIX\s+SCOPES/);
    expect(listed.stdout).toContain(secret.slice(0, 8));
    expect(listed.stdout).not.toContain(secret);

    const config = join(work, 'login-config');
    const bad = await kite(['login', '--key', 'kite_nope'], { XDG_CONFIG_HOME: config });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\(unauthorized, HTTP 401\)\n$/);
    const login = await kite(['login', '--key', secret], { XDG_CONFIG_HOME: config });
    expect(login.code, login.stderr).toBe(0);
    const file = join(config, 'kite', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: stack.api, key: secret });

    // No flag, no KITE_URL, no KITE_TOKEN: the saved login is used.
    const saved = { XDG_CONFIG_HOME: config, KITE_URL: undefined };
    const note = join(work, 'keyed.txt');
    writeFileSync(note, 'uploaded with an API key');
    const upload = await kite(['upload', note, '--json'], saved);
    expect(upload.code, upload.stderr).toBe(0);
    const [result] = JSON.parse(upload.stdout);
    const ls = JSON.parse((await kite(['ls', '--json'], saved)).stdout);
    expect(ls.map((d: { id: string }) => d.id)).toEqual([result.documentId]);
    const slash = await kite(['ls', '--json', '--url', `${stack.api}/`], saved);
    expect(JSON.parse(slash.stdout), slash.stderr).toEqual(ls);

    // The saved key goes only to the server it was saved for: another URL, by flag or by KITE_URL, gets nothing.
    const heard: (string | undefined)[] = [];
    const elsewhere = createServer((request, response) => {
      heard.push(request.headers.authorization);
      response.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    try {
      for (const env of [{ ...saved, KITE_URL: other }, saved]) {
        const args = env.KITE_URL ? ['me'] : ['me', '--url', other];
        const leaked = await kite(args, env);
        expect(leaked.code, args.join(' ')).toBe(2);
        expect(leaked.stderr).toBe(
          `kite: no token for ${other} (the saved login is for ${stack.api}, not ${other}): run kite login, pass --token or set KITE_TOKEN (an API key, or a JWT: npm run token -- <user>)\n`,
        );
      }
    } finally {
      elsewhere.close();
    }
    expect(heard).toEqual([]);

    const refused = await kite(['keys', 'ls'], saved);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kite: .*session.* \(forbidden, HTTP 403\)\n$/);

    const [key] = JSON.parse((await kite(['keys', 'ls', '--json'], { KITE_TOKEN: token })).stdout);
    const revoke = await kite(['keys', 'rm', key.id], { KITE_TOKEN: token });
    const revokedAt = Date.now();
    expect(revoke.stdout).toBe(`revoked ${key.id}\n`);
    // The documents function is another instance than the keys one: it may trust the key it has just seen for a
    // few seconds more, never 10 (docs/api.md "API keys").
    let revoked = await kite(['ls'], saved);
    while (revoked.code === 0 && Date.now() - revokedAt < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      revoked = await kite(['ls'], saved);
    }
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toBe('kite: Invalid API key (unauthorized, HTTP 401)\n');
  });

  it('kite login on a terminal asks for the key without echoing it', async () => {
    const { token } = await newUser({ label: 'cli-login-tty' });
    const created = await kite(['keys', 'create', 'typed', '--scope', 'documents:read'], {
      KITE_TOKEN: token,
    });
    const secret = created.stdout.trim();
    const config = join(work, 'typed-config');
    // util-linux script(1) gives kite a pseudo-terminal; the key is typed only once the prompt is drawn, as a person
    // would (typed earlier, the terminal itself would echo it before kite turns echo off).
    const child = spawn('script', ['-qefc', `'${process.execPath}' bin/kite.cjs login`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', KITE_URL: stack.api, XDG_CONFIG_HOME: config },
    });
    let drawn = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const before = drawn;
      drawn += chunk.toString('utf8');
      if (!before.includes('API key: ') && drawn.includes('API key: ')) child.stdin.write(`${secret}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, drawn).toBe(0);
    expect(drawn).toContain(`logged in to ${stack.api}`);
    expect(drawn).not.toContain(secret.slice(5));
    expect(JSON.parse(readFileSync(join(config, 'kite', 'config.json'), 'utf8'))).toEqual({
      url: stack.api,
      key: secret,
    });
  });

  it('--json output parses; topics, reclassify, edit, rm, restore and the trash work end to end', async () => {
    const { token } = await newUser({ label: 'cli-json', email: 'json@example.test' });
    const me = await kite(['me', '--json'], { KITE_TOKEN: token });
    expect(JSON.parse(me.stdout)).toMatchObject({ email: 'json@example.test', quota: { usedBytes: 0 } });

    const added = JSON.parse(
      (await kite(['topics', 'add', 'Receipts', '-d', 'Till slips', '--json'], { KITE_TOKEN: token })).stdout,
    );
    expect(added).toMatchObject({ name: 'Receipts', description: 'Till slips', scope: 'user' });
    const topics = JSON.parse((await kite(['topics', 'ls', '--json'], { KITE_TOKEN: token })).stdout);
    expect(topics.map((t: { name: string }) => t.name)).toContain('Receipts');
    const table = await kite(['topics'], { KITE_TOKEN: token });
    expect(table.stdout).toMatch(/^ID\s+SCOPE\s+NAME/);
    expect((await kite(['topics', 'rm', 'receipts'], { KITE_TOKEN: token })).code).toBe(0);
    const missing = await kite(['topics', 'rm', 'receipts'], { KITE_TOKEN: token });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('kite: no topic receipts among the ones you see\n');

    const file = join(work, 'note.txt');
    writeFileSync(file, 'a note to reclassify');
    const [uploaded] = JSON.parse((await kite(['upload', file, '--json'], { KITE_TOKEN: token })).stdout);
    const queued = JSON.parse(
      (await kite(['reclassify', uploaded.documentId, '--json'], { KITE_TOKEN: token })).stdout,
    );
    expect(queued[0]).toMatchObject({ id: uploaded.documentId, status: 'uploaded' });
    const ls = await kite(['ls'], { KITE_TOKEN: token });
    expect(ls.stdout).toMatch(/^ID\s+STATUS\s+SIZE\s+CREATED\s+TOPICS\s+FILENAME\n/);
    expect(ls.stdout).toContain('note.txt');
    const id = uploaded.documentId;
    expect((await kite(['rm', id], { KITE_TOKEN: token })).stdout).toBe(`trashed ${id}\n`);
    expect(JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout)).toEqual([]);
    expect((await kite(['rm', '--permanent', id], { KITE_TOKEN: token })).stdout).toBe(`deleted ${id}\n`);
    const gone = await kite(['get', id], { KITE_TOKEN: token });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(not_found, HTTP 404\)\n$/);
  });

  it('edit, rm, restore and the trash work end to end', async () => {
    const { token } = await newUser({ label: 'cli-trash' });
    const file = join(work, 'letter.txt');
    writeFileSync(file, 'a letter to edit');
    const [uploaded] = JSON.parse((await kite(['upload', file, '--json'], { KITE_TOKEN: token })).stdout);
    const id = uploaded.documentId;
    await kite(['topics', 'add', 'Letters'], { KITE_TOKEN: token });
    const edited = JSON.parse(
      (
        await kite(['edit', id, '--name', 'renamed.txt', '--topic', 'letters', '--json'], {
          KITE_TOKEN: token,
        })
      ).stdout,
    );
    expect(edited).toMatchObject({
      id,
      filename: 'renamed.txt',
      version: 2,
      topics: [{ name: 'Letters', source: 'user' }],
    });
    const nothing = await kite(['edit', id], { KITE_TOKEN: token });
    expect(nothing.code).toBe(2);

    expect((await kite(['rm', id], { KITE_TOKEN: token })).stdout).toBe(`trashed ${id}\n`);
    expect(JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout)).toEqual([]);
    const trashed = JSON.parse((await kite(['trash', 'ls', '--json'], { KITE_TOKEN: token })).stdout);
    expect(trashed.map((d: { id: string }) => d.id)).toEqual([id]);
    expect((await kite(['trash'], { KITE_TOKEN: token })).stdout).toMatch(
      /^ID\s+SIZE\s+DELETED\s+FILENAME\n/,
    );
    expect((await kite(['restore', id], { KITE_TOKEN: token })).stdout).toBe(`restored ${id}\n`);
    const again = await kite(['restore', id], { KITE_TOKEN: token });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`kite: ${id}: not possible in its state\n`);
    expect(JSON.parse((await kite(['ls', '--json'], { KITE_TOKEN: token })).stdout)).toHaveLength(1);
    await kite(['rm', id], { KITE_TOKEN: token });
    expect((await kite(['trash', 'empty'], { KITE_TOKEN: token })).stdout).toBe('trash emptied\n');
    expect(JSON.parse((await kite(['trash', 'ls', '--json'], { KITE_TOKEN: token })).stdout)).toEqual([]);

    const [second] = JSON.parse(
      (await kite(['upload', file, '--json', '--no-skip'], { KITE_TOKEN: token })).stdout,
    );
    expect((await kite(['rm', '--permanent', second.documentId], { KITE_TOKEN: token })).stdout).toBe(
      `deleted ${second.documentId}\n`,
    );
    expect(JSON.parse((await kite(['me', '--json'], { KITE_TOKEN: token })).stdout).quota.usedBytes).toBe(0);
    const gone = await kite(['get', second.documentId], { KITE_TOKEN: token });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(not_found, HTTP 404\)\n$/);
  }, 90_000);

  it('draws a progress bar per file and one for the total on a terminal', async () => {
    const { token } = await newUser({ label: 'cli-tty', email: 'tty@example.test' });
    const root = join(work, 'tty');
    mkdirSync(root);
    for (let i = 0; i < 6; i++) writeFileSync(join(root, `part-${i}.txt`), 'x'.repeat(200_000 + i));
    const command = `'${process.execPath}' bin/kite.cjs upload '${root}' --concurrency 2`;
    // util-linux script(1) runs the command on a pseudo-terminal and copies what it draws to stdout.
    const drawn = execFileSync('script', ['-qefc', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', KITE_URL: stack.api, KITE_TOKEN: token },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(drawn).toContain('\u2588'); // a filled bar cell
    expect(drawn).toMatch(/total\s+\S*[\u2588\u2591]+\S* 100% \| 6\/6 files/);
    expect(drawn).toMatch(/part-\d\.txt\s+\S*[\u2588\u2591]+/);
    expect(drawn).toContain('\u001b['); // redrawn in place with escape sequences
    expect(drawn).toContain('6 uploaded, 0 skipped, 0 failed');
  });

  it("runs against the suite's S3", () => {
    const s3 = stack.output().match(/S3: \S+ \(([^)]*)\)/)?.[1] ?? '';
    expect(s3).toMatch(inject('testS3') === 'radosgw' ? /radosgw|Ceph/i : /s3rver/i);
  });

  it('serves its OpenAPI document without a token', async () => {
    const response = await fetch(`${stack.api}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });
});
