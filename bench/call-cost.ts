import v8 from 'node:v8';
import { Bench, type FnReturnedObject } from 'tinybench';
import type { BenchContext } from './bench-group.js';

/** Whether every call of a case must resolve or must reject; the runner checks it. */
export type Expectation = 'resolves' | 'rejects';

/** One way of making one call, measured on its own. */
export interface CallCase {
  readonly name: string;
  readonly expect: Expectation;
  /** Builds what the case calls; runs before any case is timed. */
  setup(): CallSubject | Promise<CallSubject>;
}

/** The thing a case calls, with its checks. */
export interface CallSubject {
  /** One call: the unit that is timed. */
  readonly call: () => Promise<unknown>;
  /** Untimed, before every batch of calls (e.g. to bring a window back to its nominal size). */
  readonly beforeBatch?: () => void;
  /**
   * After every pass: why the subject did not do what the case claims (wrong state, calls not counted by
   * the breaker), or undefined. `calls` is every call made through `call`, warm-up included.
   */
  readonly verify?: (calls: Tally) => string | undefined;
  readonly dispose?: () => void | Promise<void>;
}

/** Calls made through one case, by how they settled. */
export interface Tally {
  resolved: number;
  rejected: number;
  /** The last value or error, kept so that no call is dead code. */
  last: unknown;
}

/** The measured cost of one case. */
export interface CallCost {
  readonly name: string;
  /** Mean wall time per call, ns, of the median round. */
  readonly nsPerOp: number;
  /** Relative margin of error of that mean at 95 %, percent (tinybench `rme`). */
  readonly rmePercent: number;
  /** Calls per timed batch (one tinybench sample). */
  readonly batch: number;
  /** Mean ns per call of every round, in run order. */
  readonly rounds: readonly number[];
  /** Heap bytes allocated per call (young + old + large-object spaces), undefined when a GC ran during every attempt. */
  readonly bytesPerOp: number | undefined;
  /** `setTimeout` / `setInterval` calls per 1,000 calls. */
  readonly timersPer1k: number;
}

/** Target wall time of one timed batch: long enough to dwarf the timer's own cost, short enough for many samples. */
const BATCH_TARGET_NS = 200_000;
const MAX_BATCH = 2_000;
/** Calls per case before any timing, so the shared call site sees every case; then a calibration pass. */
const PRIMING_CALLS = 512;
const PRIMING_BUDGET_NS = 50_000_000;
const CALIBRATION_CALLS = 64;
/** Most calls of the allocation and timer passes, and their time budget. */
const SIDE_PASS_CALLS = 1_000;
const SIDE_PASS_BUDGET_NS = 100_000_000;

/**
 * The one loop every case runs through: sequential awaited calls, each result kept in the tally.
 * Shared on purpose: once every case is primed, its call site is megamorphic for every case alike.
 */
async function runCalls(call: () => Promise<unknown>, n: number, tally: Tally): Promise<void> {
  for (let i = 0; i < n; i++) {
    try {
      tally.last = await call();
      tally.resolved++;
    } catch (error) {
      tally.last = error;
      tally.rejected++;
    }
  }
}

interface Prepared {
  readonly callCase: CallCase;
  readonly subject: CallSubject;
  readonly tally: Tally;
  batch: number;
}

/** One tinybench run of one case. */
interface Round {
  readonly nsPerOp: number;
  readonly rmePercent: number;
}

/**
 * Measures every case with tinybench, then (untimed) its allocations and timers, then checks that each
 * case did what it claims.
 *
 * - Every case is set up and primed before the first is timed, so that no case runs on a call site that
 *   only it has reached yet.
 * - tinybench times one task-function call per sample, and `performance.now()` plus the awaited task cost
 *   more than the ~100 ns being measured; so each sample runs a batch of calls and reports the batch mean
 *   as `overriddenDuration` (with `overriddenIterationCost` so the time budget counts the whole batch).
 * - The cases are timed in `context.rounds` interleaved rounds and the median round is reported, so a
 *   burst of load on a shared machine spoils one round of a few cases, not a case.
 */
export async function measureCallCosts(cases: readonly CallCase[], context: BenchContext): Promise<CallCost[]> {
  const selected = context.filter === undefined ? cases : cases.filter((c) => context.filter!.test(c.name));
  const prepared: Prepared[] = [];
  try {
    for (const callCase of selected) {
      prepared.push({ callCase, subject: await callCase.setup(), tally: { resolved: 0, rejected: 0, last: undefined }, batch: 1 });
    }
    for (const entry of prepared) await prime(entry);
    for (const entry of prepared) entry.batch = await calibrateBatch(entry);
    const rounds = new Map<Prepared, Round[]>(prepared.map((entry) => [entry, []]));
    for (let round = 1; round <= context.rounds; round++) {
      for (const entry of prepared) {
        context.log(`  round ${round}/${context.rounds}  ${entry.callCase.name} (batch ${entry.batch})`);
        rounds.get(entry)!.push(await time(entry, context));
      }
    }
    // Allocation and timer passes come after every timing pass: counting timers swaps the global timer
    // functions, which would deoptimise code that a later timing pass then measures.
    const costs: CallCost[] = [];
    for (const entry of prepared) {
      const measured = rounds.get(entry)!;
      const median = measured.toSorted((a, b) => a.nsPerOp - b.nsPerOp)[(measured.length - 1) >> 1]!;
      const passCalls = Math.max(1, Math.min(SIDE_PASS_CALLS, Math.floor(SIDE_PASS_BUDGET_NS / median.nsPerOp)));
      const bytesPerOp = await measureAllocation(entry, passCalls);
      const timersPer1k = await countTimers(entry, passCalls);
      check(entry);
      costs.push({
        name: entry.callCase.name,
        nsPerOp: median.nsPerOp,
        rmePercent: median.rmePercent,
        batch: entry.batch,
        rounds: measured.map((round) => round.nsPerOp),
        bytesPerOp,
        timersPer1k,
      });
    }
    return costs;
  } finally {
    for (const entry of prepared) await entry.subject.dispose?.();
  }
}

/** Runs the case's first calls, untimed: warms the JIT, and lets the shared loop's call site see this case before any case is timed. */
async function prime(entry: Prepared): Promise<void> {
  const { subject, tally } = entry;
  let calls = 0;
  const started = process.hrtime.bigint();
  while (calls < PRIMING_CALLS && Number(process.hrtime.bigint() - started) < PRIMING_BUDGET_NS) {
    subject.beforeBatch?.();
    await runCalls(subject.call, 8, tally);
    calls += 8;
  }
  check(entry);
}

/** Times a few calls of a primed case; returns the batch size that takes about `BATCH_TARGET_NS`. */
async function calibrateBatch(entry: Prepared): Promise<number> {
  const { subject, tally } = entry;
  let calls = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (calls < CALIBRATION_CALLS && elapsed < PRIMING_BUDGET_NS) {
    subject.beforeBatch?.();
    await runCalls(subject.call, 8, tally);
    calls += 8;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  return Math.min(MAX_BATCH, Math.max(1, Math.round(BATCH_TARGET_NS / (elapsed / calls))));
}

async function time(entry: Prepared, context: BenchContext): Promise<Round> {
  const { subject, tally, batch } = entry;
  const bench = new Bench({ time: context.timeMs, warmupTime: context.warmupMs, throws: true });
  bench.add(entry.callCase.name, async () => {
    subject.beforeBatch?.();
    const started = bench.now();
    await runCalls(subject.call, batch, tally);
    const elapsed = bench.now() - started;
    return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed } satisfies FnReturnedObject;
  });
  collectGarbage();
  const [task] = await bench.run();
  const result = task!.result;
  if (result.state !== 'completed') {
    throw new Error(`${entry.callCase.name}: tinybench ended in state ${result.state}`, {
      cause: 'error' in result ? result.error : undefined,
    });
  }
  return { nsPerOp: result.latency.mean * 1e6, rmePercent: result.latency.rme };
}

/**
 * Heap growth over `n` calls right after a full GC, divided by `n`; accepted only if no GC ran meanwhile
 * (V8's `GCProfiler` reports every collection). Counts the runner's own `await` too (see the baseline row).
 */
async function measureAllocation(entry: Prepared, calls: number): Promise<number | undefined> {
  const { subject, tally } = entry;
  for (let n = calls; n >= 1; n = n === 1 ? 0 : Math.ceil(n / 5)) {
    subject.beforeBatch?.();
    collectGarbage();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = heapUsed();
    await runCalls(subject.call, n, tally);
    const after = heapUsed();
    const collections = profiler.stop().statistics.length;
    if (collections === 0) return (after - before) / n;
  }
  return undefined;
}

/** Bytes used in the heap's data spaces; code space is left out, as it grows whenever V8 compiles. */
export function heapUsed(): number {
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name !== 'code_space' && space.space_name !== 'code_large_object_space') used += space.space_used_size;
  }
  return used;
}

/** `setTimeout` and `setInterval` calls per 1,000 calls, counted over `calls` calls. */
async function countTimers(entry: Prepared, calls: number): Promise<number> {
  entry.subject.beforeBatch?.();
  const counter = countTimerCreation();
  try {
    await runCalls(entry.subject.call, calls, entry.tally);
  } finally {
    counter.restore();
  }
  return (counter.created() * 1_000) / calls;
}

/** Counts timers created through the global functions (the ones opossum, cockatiel and `systemClock` use) until restored. */
export function countTimerCreation(): { created(): number; live(): number; restore(): void } {
  const original = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  };
  const pending = new Set<unknown>();
  let created = 0;
  const track = <F extends (...args: never[]) => unknown>(create: F): F =>
    ((...args: Parameters<F>) => {
      created++;
      const handle = create(...args);
      pending.add(handle);
      return handle;
    }) as F;
  const untrack = <F extends (handle?: never) => void>(clear: F): F =>
    ((handle?: never) => {
      pending.delete(handle);
      clear(handle);
    }) as F;
  globalThis.setTimeout = track(original.setTimeout);
  globalThis.setInterval = track(original.setInterval);
  globalThis.clearTimeout = untrack(original.clearTimeout);
  globalThis.clearInterval = untrack(original.clearInterval);
  return {
    created: () => created,
    /** Created and not cleared (a fired one-shot timer still counts: good enough for idle breakers). */
    live: () => pending.size,
    restore: () => Object.assign(globalThis, original),
  };
}

function check(entry: Prepared): void {
  const { callCase, subject, tally } = entry;
  const wrong = callCase.expect === 'resolves' ? tally.rejected : tally.resolved;
  if (wrong > 0) {
    throw new Error(`${callCase.name}: expected every call to ${callCase.expect === 'resolves' ? 'resolve' : 'reject'}, but ${wrong} did not`);
  }
  const problem = subject.verify?.(tally);
  if (problem !== undefined) throw new Error(`${callCase.name}: ${problem}`);
}

/** A full GC between phases, so one case's garbage is not collected on the next one's time. */
export function collectGarbage(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc (npm run bench does)');
  globalThis.gc();
}
