// What a bench part returns to bench/run.ts, which runs the parts and prints one table. Kept apart so the parts
// and the runner do not import each other.

/** One measured line of the table. */
export interface BenchRow {
  part: string;
  case: string;
  rows: number;
  seconds: number;
  msPerRow: number;
  note?: string;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Headline figures for results.json, e.g. the speed-up over a baseline. */
  summary: Record<string, number | string>;
}
