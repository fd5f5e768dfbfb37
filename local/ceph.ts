import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/*
 * A one-host Ceph cluster (one mon, one memstore OSD, the RADOS Gateway) for tests and `KITE_S3=ceph npm start`:
 * a real S3 that checks SigV4, so a presigned PUT refuses other lengths and types as AWS does (README "Which S3").
 * Every port, path and pid belongs to this instance: several clusters run side by side on one machine, and the
 * daemons are stopped by the pids started here, never by name.
 */

const run = promisify(execFile);
const DAEMONS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph-authtool', 'ceph'];

export interface CephS3 {
  /** The S3 endpoint (path-style; the host is part of the signature, so use it as is). */
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Milliseconds from the call to S3 answering for the user. */
  readyAfterMs: number;
  /** Stops every daemon this instance started and removes its directory (unless it was given one to keep). */
  stop(): Promise<void>;
}

/** True when the Debian packages `radosgw ceph-mon ceph-osd` are installed (their binaries are on PATH). */
export function cephInstalled(): boolean {
  return DAEMONS.every((name) => onPath(name));
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A block of `count` consecutive free loopback ports (the OSD binds one per messenger, inside a range). */
async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const servers = [];
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      const server = createServer();
      ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) servers.push(server);
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (ok) return base;
  }
  throw new Error('no block of free loopback ports for the Ceph OSD');
}

/**
 * Starts the cluster in `directory` (a fresh temporary one by default, removed on stop) and creates an S3 user
 * with the given keys (random ones by default). Resolves once S3 answers signed requests for that user.
 */
export async function startCeph(
  options: { directory?: string; accessKeyId?: string; secretAccessKey?: string; memoryBytes?: number } = {},
): Promise<CephS3> {
  const started = Date.now();
  const dir = options.directory ?? mkdtempSync(join(tmpdir(), 'kite-ceph-'));
  const credentials = {
    accessKeyId: options.accessKeyId ?? `KITE${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: options.secretAccessKey ?? randomBytes(24).toString('base64url'),
  };
  for (const sub of ['run', 'log', 'mon', 'osd/ceph-0', 'rgw'])
    mkdirSync(join(dir, sub), { recursive: true });

  const [monPort, rgwPort, osdPorts] = await Promise.all([freePort(), freePort(), freePortBlock(12)]);
  const fsid = randomUUID();
  const conf = join(dir, 'ceph.conf');
  const keyring = join(dir, 'keyring');
  writeFileSync(
    conf,
    cephConf({ dir, fsid, monPort, rgwPort, osdPorts, memoryBytes: options.memoryBytes ?? 1024 ** 3 }),
  );
  const children: ChildProcess[] = [];
  const stop = once(async () => {
    await Promise.all(children.map(kill));
    if (!options.directory) rmSync(dir, { recursive: true, force: true });
  });
  const tool = (file: string, args: string[]) =>
    run(file, ['-c', conf, ...args], { timeout: 60_000, encoding: 'utf8' }).then((r) => r.stdout);
  const daemon = (file: string, args: string[]) => {
    const child = spawn(file, ['-f', '-c', conf, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      if (!stopping && code !== 0) failed = new Error(`${file} exited (${code ?? signal}): ${stderr}`);
    });
    children.push(child);
  };
  let stopping = false;
  let failed: Error | undefined;
  const stopOnExit = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', stopOnExit);

  try {
    await run('ceph-authtool', [
      '--create-keyring',
      keyring,
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    await run('ceph-authtool', [
      keyring,
      '--gen-key',
      '-n',
      'client.admin',
      '--cap',
      'mon',
      'allow *',
      '--cap',
      'osd',
      'allow *',
      '--cap',
      'mgr',
      'allow *',
    ]);
    await run('monmaptool', [
      '--create',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, 'monmap'),
    ]);
    await tool('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', keyring]);
    daemon('ceph-mon', ['-i', 'a']);

    const osdUuid = randomUUID();
    const osdId = (await tool('ceph', ['osd', 'new', osdUuid])).trim();
    await tool('ceph-osd', ['--mkfs', '-i', osdId, '--osd-uuid', osdUuid]);
    daemon('ceph-osd', ['-i', osdId]);

    // The user is written to RADOS, so this waits for the OSD; radosgw starts meanwhile.
    daemon('radosgw', ['-n', 'client.rgw.a']);
    await tool('radosgw-admin', [
      'user',
      'create',
      '--uid',
      'kite',
      '--display-name',
      'kite',
      '--access-key',
      credentials.accessKeyId,
      '--secret',
      credentials.secretAccessKey,
    ]);
    const url = `http://127.0.0.1:${rgwPort}`;
    await waitForS3(url, () => failed);
    process.removeListener('exit', stopOnExit);
    process.once('exit', stopOnExit);
    return {
      url,
      credentials,
      readyAfterMs: Date.now() - started,
      stop: async () => {
        stopping = true;
        process.removeListener('exit', stopOnExit);
        await stop();
      },
    };
  } catch (error) {
    stopping = true;
    process.removeListener('exit', stopOnExit);
    const logs = tail(join(dir, 'log'));
    await stop();
    throw new Error(`Ceph did not start: ${error instanceof Error ? error.message : error}${logs}`);
  }
}

function cephConf(o: {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  osdPorts: number;
  memoryBytes: number;
}): string {
  return `[global]
fsid = ${o.fsid}
mon host = [v2:127.0.0.1:${o.monPort}]
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms bind msgr1 = false
keyring = ${o.dir}/keyring
run dir = ${o.dir}/run
admin socket = ${o.dir}/run/$name.asok
pid file = ${o.dir}/run/$name.pid
log file = ${o.dir}/log/$name.log
mon data = ${o.dir}/mon/$cluster-$id
osd data = ${o.dir}/osd/$cluster-$id
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
osd objectstore = memstore
memstore device bytes = ${o.memoryBytes}
ms bind port min = ${o.osdPorts}
ms bind port max = ${o.osdPorts + 11}

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw data = ${o.dir}/rgw
`;
}

async function waitForS3(url: string, failed: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const error = failed();
    if (error) throw error;
    try {
      // Anonymous ListBuckets: any S3 answer means the gateway serves requests.
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`radosgw did not answer on ${url} within 60 s`);
}

/** SIGKILL: memstore keeps nothing worth a clean shutdown, and it frees the ports at once. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function tail(logDir: string): string {
  try {
    return ['mon.a', 'osd.0', 'client.rgw.a']
      .map((name) => {
        try {
          return `\n--- ${name}.log\n${readFileSync(join(logDir, `${name}.log`), 'utf8').slice(-1500)}`;
        } catch {
          return '';
        }
      })
      .join('');
  } catch {
    return '';
  }
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
