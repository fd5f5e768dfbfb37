// Over 300 lines on purpose: one launcher for a one-host Ceph cluster (keyring, mon, memstore OSD, radosgw) whose
// steps only make sense in order; its settings are explained where they are set (docs/development.md "Which S3 the tests use").
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

/*
 * A one-host Ceph cluster (one mon, one memstore OSD, the RADOS Gateway) for the tests and `KITE_S3=ceph npm start`:
 * a real S3 that checks SigV4, so a presigned PUT refuses another length or type as AWS does (docs/development.md "Which S3 the
 * tests use").
 * Every port, path and pid belongs to this instance: several clusters run side by side on one machine, and the
 * daemons are stopped by the pids started here, never by name.
 */

const run = promisify(execFile);
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph-authtool', 'ceph'];
/** The OSD binds one port per messenger (public, cluster, heartbeats) inside its range. */
const OSD_PORTS = 12;

export interface CephS3 {
  /** The S3 endpoint (path-style; the host is part of the signature, so use it as is). */
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Milliseconds from the call until S3 answered. */
  readyAfterMs: number;
  /** True when a persistent cluster came back with what it held at its last clean stop. */
  restored: boolean;
  /** Where the cluster lives, and the pids of its daemons (mon, OSD, gateway): what stop() ends. */
  directory: string;
  pids: number[];
  /** Stops every daemon this instance started (by pid) and removes a temporary directory. */
  stop(): Promise<void>;
}

export interface CephOptions {
  /** Where the cluster lives; by default a fresh temporary directory, removed on stop. */
  directory?: string;
  /**
   * Keep the cluster in `directory` across stops. memstore holds objects in RAM; a clean stop (SIGTERM, in order)
   * writes them to the directory and the next start reads them back. A crash or kill -9 loses what was written since.
   */
  persistent?: boolean;
  /** The S3 port; a free one by default. */
  port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** memstore's capacity (RAM); 1 GiB by default. */
  memoryBytes?: number;
}

/** The S3 user of `KITE_S3=ceph npm start`: a loopback-only development cluster, so not a secret. */
export const CEPH_DEV_CREDENTIALS = { accessKeyId: 'KITEDEV', secretAccessKey: 'kite-dev-only-secret' };

/** True when the Debian packages `radosgw ceph-mon ceph-osd` are installed (their binaries are on PATH). */
export function cephInstalled(): boolean {
  return BINARIES.every(onPath);
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What a persistent cluster remembers between starts (the mon's port is written into its monmap). */
interface ClusterFile {
  fsid: string;
  monPort: number;
  osdId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Starts the cluster and resolves once S3 answers. A new cluster gets an S3 user with the given keys (random ones
 * by default); a persistent one found in `directory` is started as it was left, or made anew if it cannot start.
 */
export async function startCeph(options: CephOptions = {}): Promise<CephS3> {
  const started = Date.now();
  const persistent = Boolean(options.persistent && options.directory);
  const dir = options.directory ?? mkdtempSync(join(tmpdir(), 'kite-ceph-'));
  const clusterFile = join(dir, 'cluster.json');
  if (persistent && existsSync(clusterFile)) {
    const cluster = JSON.parse(readFileSync(clusterFile, 'utf8')) as ClusterFile;
    const instance = new CephInstance(dir, true);
    try {
      const url = await instance.start(cluster, options, false);
      return instance.handle(url, cluster.credentials, started, true);
    } catch (error) {
      await instance.stop();
      console.warn(
        `[ceph] the cluster in ${dir} did not start (${error instanceof Error ? error.message.split('\n')[0] : error}); making a new, empty one`,
      );
    }
  }
  if (options.directory) rmSync(dir, { recursive: true, force: true });
  const cluster: ClusterFile = {
    fsid: randomUUID(),
    monPort: await freePort(),
    osdId: '',
    credentials: {
      accessKeyId: options.accessKeyId ?? `KITE${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: options.secretAccessKey ?? randomBytes(24).toString('base64url'),
    },
  };
  const instance = new CephInstance(dir, persistent);
  try {
    const url = await instance.start(cluster, options, true);
    if (persistent) writeFileSync(clusterFile, JSON.stringify(cluster, null, 2));
    return instance.handle(url, cluster.credentials, started, false);
  } catch (error) {
    const logs = instance.logTail();
    await instance.stop();
    throw new Error(`Ceph did not start: ${error instanceof Error ? error.message : error}${logs}`);
  }
}

class CephInstance {
  private readonly daemons: ChildProcess[] = [];
  private reaper: ChildProcess | undefined;
  private stopping = false;
  private failure: Error | undefined;
  private stopped: Promise<void> | undefined;
  private readonly conf: string;

  constructor(
    private readonly dir: string,
    private readonly persistent: boolean,
  ) {
    this.conf = join(dir, 'ceph.conf');
  }

  async start(cluster: ClusterFile, options: CephOptions, create: boolean): Promise<string> {
    for (const sub of ['run', 'log', 'mon', 'osd', 'rgw'])
      mkdirSync(join(this.dir, sub), { recursive: true });
    const [rgwPort, osdPorts] = await Promise.all([
      options.port ? Promise.resolve(options.port) : freePort(),
      freePortBlock(OSD_PORTS),
    ]);
    writeFileSync(
      this.conf,
      cephConf({
        dir: this.dir,
        fsid: cluster.fsid,
        monPort: cluster.monPort,
        rgwPort,
        osdPorts,
        memoryBytes: options.memoryBytes ?? 1024 ** 3,
        persistent: this.persistent,
      }),
    );
    if (create) {
      const keyring = join(this.dir, 'keyring');
      const monmap = join(this.dir, 'monmap');
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
        cluster.fsid,
        '--addv',
        'a',
        `[v2:127.0.0.1:${cluster.monPort}]`,
        monmap,
      ]);
      await this.tool('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    }
    this.daemon('ceph-mon', ['-i', 'a']);
    // A client that finds no mon retries only seconds later: 5 s instead of 1 s to start.
    await this.waitForPort(cluster.monPort);
    if (create) {
      const osdUuid = randomUUID();
      cluster.osdId = (await this.tool('ceph', ['osd', 'new', osdUuid])).trim();
      mkdirSync(join(this.dir, 'osd', `ceph-${cluster.osdId}`), { recursive: true });
      await this.tool('ceph-osd', ['--mkfs', '-i', cluster.osdId, '--osd-uuid', osdUuid]);
    }
    this.daemon('ceph-osd', ['-i', cluster.osdId]);
    if (create) {
      // The user is stored in RADOS, so this also waits for the OSD to serve; the gateway starts after it, as two
      // clients creating the gateway's pools at once cost seconds.
      await this.tool('radosgw-admin', [
        'user',
        'create',
        '--uid',
        'kite',
        '--display-name',
        'kite',
        '--access-key',
        cluster.credentials.accessKeyId,
        '--secret',
        cluster.credentials.secretAccessKey,
      ]);
    }
    this.daemon('radosgw', ['-n', 'client.rgw.a']);
    this.startReaper();
    const url = `http://127.0.0.1:${rgwPort}`;
    await this.waitForS3(url, create ? 60_000 : 30_000);
    return url;
  }

  handle(url: string, credentials: CephS3['credentials'], started: number, restored: boolean): CephS3 {
    return {
      url,
      credentials: { ...credentials },
      readyAfterMs: Date.now() - started,
      restored,
      directory: this.dir,
      pids: this.daemons.flatMap((child) => (child.pid ? [child.pid] : [])),
      stop: () => this.stop(),
    };
  }

  /**
   * A temporary cluster is killed at once (its data is thrown away). A persistent one is stopped in order: the
   * gateway first (it waits minutes for an OSD that went before it), then the OSD (memstore saves), then the mon.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      const [mon, osd, rgw] = this.daemons;
      if (this.persistent) {
        for (const child of [rgw, osd, mon]) if (child) await terminate(child, 'SIGTERM', 30_000);
      } else {
        await Promise.all(this.daemons.map((child) => terminate(child, 'SIGKILL', 5_000)));
      }
      if (this.reaper?.pid && this.reaper.exitCode === null) this.reaper.kill('SIGKILL');
      if (!this.persistent) rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopped;
  }

  logTail(): string {
    return ['mon.a', 'osd.0', 'client.rgw.a']
      .map((name) => {
        try {
          const log = readFileSync(join(this.dir, 'log', `${name}.log`), 'utf8');
          return `\n--- ${name}.log\n${log.slice(-1500)}`;
        } catch {
          return '';
        }
      })
      .join('');
  }

  private tool(file: string, args: string[]): Promise<string> {
    return run(file, ['-c', this.conf, ...args], { timeout: 60_000, encoding: 'utf8' }).then((r) => r.stdout);
  }

  /** Its own process group, so a terminal's Ctrl-C reaches kite, which stops the daemons in order. */
  private daemon(file: string, args: string[]): void {
    const child = spawn(file, ['-f', '-c', this.conf, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.once('error', (error) => {
      this.failure ??= error;
    });
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.failure ??= new Error(`${file} exited (${code ?? signal}): ${stderr.trim()}`);
    });
    this.daemons.push(child);
  }

  /** If this process dies without stopping the cluster, a small shell stops its daemons (by pid) and cleans up. */
  private startReaper(): void {
    const pids = this.daemons
      .map((child) => child.pid)
      .filter(Boolean)
      .reverse()
      .join(' ');
    const signal = this.persistent ? 'TERM' : 'KILL';
    const cleanup = this.persistent ? '' : `rm -rf '${this.dir}'`;
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for p in ${pids}; do kill -${signal} $p 2>/dev/null; i=0
  while kill -0 $p 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL $p 2>/dev/null; done
${cleanup}`;
    this.reaper = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
    this.reaper.unref();
  }

  private async waitForPort(port: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.failure) throw this.failure;
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`ceph-mon did not listen on ${port} within 30 s`);
  }

  private async waitForS3(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.failure) throw this.failure;
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
    throw new Error(`radosgw did not answer on ${url} within ${timeoutMs / 1000} s`);
  }
}

function cephConf(o: {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  osdPorts: number;
  memoryBytes: number;
  persistent: boolean;
}): string {
  return `# written by kite's local/ceph.ts at each start
[global]
fsid = ${o.fsid}
mon host = [v2:127.0.0.1:${o.monPort}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# No cephx on loopback; the gateway then needs the crc mode to talk to the mon.
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
# The mon's defaults wait seconds between proposals: 13 s to start instead of 1 s.
paxos propose interval = 0.05
paxos min wait = 0.01
# A client op that waited for a new pool is resent on this tick (5 s by default), e.g. the first user create.
objecter tick interval = 0.5

[osd]
osd objectstore = memstore
# One OSD never recovers from a peer, so a PG log is only memory: 130 instead of 280 MB for 5,000 objects.
osd min pg log entries = 10
osd max pg log entries = 10
osd pg log dups tracked = 10
osd pg log trim min = 10
memstore device bytes = ${o.memoryBytes}
# A clean stop unmounts memstore, which writes its objects to osd data (kept clusters only).
osd fast shutdown = ${o.persistent ? 'false' : 'true'}
ms bind port min = ${o.osdPorts}
ms bind port max = ${o.osdPorts + OSD_PORTS - 1}

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw data = ${o.dir}/rgw
`;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The first of `count` consecutive free loopback ports, tried at random above the ephemeral-heavy low range. */
async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const servers = [];
    let free = true;
    for (let port = base; port < base + count && free; port++) {
      const server = createServer();
      free = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (free) servers.push(server);
    }
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (free) return base;
  }
  throw new Error('no block of free loopback ports for the Ceph OSD');
}
