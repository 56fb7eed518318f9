/** What every benchmark group receives from the runner. */
export interface BenchContext {
  /** Time budget per measured case, in ms (tinybench `time`). */
  readonly timeMs: number;
  /** Warm-up budget per measured case, in ms (tinybench `warmupTime`). */
  readonly warmupMs: number;
  /** Times each case is timed, interleaved with the other cases; the median is reported. */
  readonly rounds: number;
  /** Only cases whose name matches run (`--filter=`); undefined runs every case. */
  readonly filter: RegExp | undefined;
  /** `--baseline=`: the git ref an A/B group measures against; undefined for its default. */
  readonly baseline: string | undefined;
  /** Progress output (stderr), kept out of the printed tables. */
  log(message: string): void;
}

/** One printed table with the notes that explain it. */
export interface BenchSection {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

/**
 * A group of benchmarks selected by name on the command line (`npm run bench -- <name>`).
 * A group file default-exports one of these; `bench/index.ts` lists the groups.
 */
export interface BenchGroup {
  /** Selector on the command line, e.g. `breaker`. */
  readonly name: string;
  /** One line saying what the group measures. */
  readonly description: string;
  run(context: BenchContext): Promise<BenchSection[]>;
}
