import { pathToFileURL } from 'node:url';
import type { CallCase, Tally } from '../call-cost.js';
import { policyCases, type PolicyClass } from './engined.cases.js';

/**
 * One process of the `breaker-ab-instructions` group, run under valgrind:
 * `node ab-runner.js <library entry> <warm-up calls> [<case name> <calls>]`. It warms every engined case
 * of the library at `<library entry>`, then makes `<calls>` calls of `<case name>` (none without it), so
 * that the difference of two runs' instruction counts is the cost of those calls alone.
 */
async function main(): Promise<void> {
  const [entry, warmArg, caseName, callsArg] = process.argv.slice(2);
  if (entry === undefined || warmArg === undefined) throw new Error('usage: ab-runner.js <library entry> <warm-up calls> [<case name> <calls>]');
  const { CircuitBreakerPolicy } = (await import(pathToFileURL(entry).href)) as { CircuitBreakerPolicy: PolicyClass };
  const cases = Object.values(policyCases(CircuitBreakerPolicy, 'X')).flat() as CallCase[];
  const subjects = await Promise.all(cases.map(async (callCase) => ({ callCase, subject: await callCase.setup() })));
  const tally: Tally = { resolved: 0, rejected: 0, last: undefined };
  for (const { subject } of subjects) await run(subject.call, Number(warmArg), tally);
  if (caseName !== undefined) {
    const measured = subjects.find(({ callCase }) => callCase.name === `X ${caseName}`);
    if (measured === undefined) throw new Error(`no case named "${caseName}"`);
    await run(measured.subject.call, Number(callsArg), tally);
  }
  for (const { callCase, subject } of subjects) {
    const problem = subject.verify?.({ resolved: Number.NaN, rejected: Number.NaN, last: undefined });
    // The tally is shared, so only the state part of `verify` is meaningful here.
    if (problem !== undefined && !problem.startsWith('breaker counted')) throw new Error(`${callCase.name}: ${problem}`);
    await subject.dispose?.();
  }
}

async function run(call: () => Promise<unknown>, calls: number, tally: Tally): Promise<void> {
  for (let i = 0; i < calls; i++) {
    try {
      tally.last = await call();
      tally.resolved++;
    } catch (error) {
      tally.last = error;
      tally.rejected++;
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
