import cliProgress from 'cli-progress';

// What a long transfer shows: on a terminal, a bar per file in flight and one for the total (cli-progress);
// anywhere else, one plain line per file as it finishes, for logs and scripts (docs/cli.md "Command-line client").

export interface FileProgress {
  advance(bytes: number): void;
  /** Bytes sent before this attempt are not counted again when a transfer restarts. */
  reset(): void;
  finish(line: string): void;
}

export interface Progress {
  file(name: string, size: number): FileProgress;
  /** A line that is about no transfer in flight. */
  line(text: string, stream?: 'out' | 'err'): void;
  stop(): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** Plain lines on stdout (errors on stderr); nothing at all with `quiet` (--json prints the results instead). */
export function plainProgress(options: { quiet: boolean }): Progress {
  const print = (text: string, stream: 'out' | 'err' = 'out') => {
    if (!options.quiet) (stream === 'out' ? process.stdout : process.stderr).write(`${text}\n`);
  };
  return {
    file: () => ({ advance() {}, reset() {}, finish: (line) => print(line) }),
    line: print,
    stop() {},
  };
}

const shorten = (name: string, width: number) =>
  name.length <= width ? name.padEnd(width) : `…${name.slice(name.length - width + 1)}`;

/** Bars on stderr, redrawn in place; finished files are logged above them. */
export function terminalProgress(totals: { files: number; bytes: number }): Progress {
  const bars = new cliProgress.MultiBar(
    {
      format: '{label} {bar} {percentage}% | {done}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      fps: 10,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let filesDone = 0;
  let bytesDone = 0;
  const totalLabel = shorten('total', 28);
  const totalDone = () =>
    `${filesDone}/${totals.files} files, ${formatBytes(bytesDone)} of ${formatBytes(totals.bytes)}`;
  const total = bars.create(Math.max(totals.bytes, 1), 0, { label: totalLabel, done: totalDone() });
  const advanceTotal = (bytes: number) => {
    bytesDone += bytes;
    total.update(Math.min(bytesDone, Math.max(totals.bytes, 1)), { done: totalDone() });
  };
  return {
    file(name, size) {
      const bar = bars.create(Math.max(size, 1), 0, { label: shorten(name, 28), done: formatBytes(0) });
      let sent = 0;
      return {
        advance(bytes) {
          sent += bytes;
          bar.update(Math.min(sent, Math.max(size, 1)), {
            done: `${formatBytes(sent)} of ${formatBytes(size)}`,
          });
          advanceTotal(bytes);
        },
        reset() {
          advanceTotal(-sent);
          sent = 0;
          bar.update(0, { done: formatBytes(0) });
        },
        finish(line) {
          filesDone++;
          total.update({ done: totalDone() });
          bars.remove(bar);
          bars.log(`${line}\n`);
        },
      };
    },
    line(text) {
      bars.log(`${text}\n`);
    },
    stop() {
      total.update({ done: totalDone() });
      bars.stop();
    },
  };
}
