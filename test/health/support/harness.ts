import { afterEach, beforeEach, jest } from '@jest/globals';
import type { DynamicModule, ModuleMetadata } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import type { HealthComponentDefinition } from '../../../libs/resilience/src/health/health-component.options.js';
import type { HealthModuleOptions } from '../../../libs/resilience/src/health/health-module.options.js';
import type { HealthEvent } from '../../../libs/resilience/src/health/health.events.js';
import { HealthModule } from '../../../libs/resilience/src/health/health.module.js';
import { HealthRegistry } from '../../../libs/resilience/src/health/health.registry.js';
import { RecordingLogger } from './recording-logger.js';

/** A running health module inside a Nest testing module, with every event recorded. */
export interface HealthHarness {
  module: TestingModule;
  registry: HealthRegistry;
  /** The app's SchedulerRegistry (the harness imports `ScheduleModule.forRoot()` unless `schedule: false`). */
  scheduler: SchedulerRegistry;
  events: HealthEvent[];
  /** Every Nest log line of the app. Tests that cause error lines on purpose take them (`logger.takeErrors()`). */
  logger: RecordingLogger;
  /** Events of one type, narrowed. */
  eventsOf<T extends HealthEvent['type']>(type: T): Extract<HealthEvent, { type: T }>[];
  /** Closes the app, then fails if an error was logged that the test did not take. */
  close(signal?: string): Promise<void>;
}

/** Harnesses started and not yet closed: `useFakeTimedHarnesses` closes them after each test. */
const open = new Set<HealthHarness>();

/**
 * For a `describe` block whose tests drive time with jest's fake timers (starting at 0): installs them before
 * each test; after it, closes every harness the test started and left open (failing on error lines the test
 * did not take) and restores real timers.
 */
export function useFakeTimedHarnesses(): void {
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(async () => {
    const failures: unknown[] = [];
    // Deleting the current entry while iterating a Set is safe: close() takes each one out.
    for (const harness of open) await harness.close().catch((error: unknown) => failures.push(error));
    jest.useRealTimers();
    if (failures.length > 0) throw failures[0];
  });
}

/** Options most tests want: no startup grace, no drain, no HTTP, no history limit surprises. */
export const quiet: HealthModuleOptions = { startupGraceMs: 0, drainDelayMs: 0, http: { enabled: false } };

/**
 * Compiles and initialises (init + bootstrap hooks) a module importing `HealthModule.forRoot(options)`.
 * Call `jest.useFakeTimers()` first when the test drives time with `jest.advanceTimersByTimeAsync`.
 */
export async function startHealth(
  options: HealthModuleOptions = {},
  metadata: Pick<ModuleMetadata, 'providers' | 'imports'> & { healthModule?: DynamicModule; schedule?: boolean } = {},
): Promise<HealthHarness> {
  const logger = new RecordingLogger();
  const module = await Test.createTestingModule({
    imports: [
      ...(metadata.schedule === false ? [] : [ScheduleModule.forRoot()]),
      metadata.healthModule ?? HealthModule.forRoot({ ...quiet, ...options }),
      ...(metadata.imports ?? []),
    ],
    providers: metadata.providers ?? [],
  })
    .setLogger(logger)
    .compile();
  const registry = module.get(HealthRegistry);
  const events: HealthEvent[] = [];
  registry.events$.subscribe((event) => events.push(event));
  try {
    await module.init();
  } catch (error) {
    await module.close();
    throw error;
  }
  const harness: HealthHarness = {
    module,
    registry,
    scheduler: metadata.schedule === false ? new SchedulerRegistry() : module.get(SchedulerRegistry),
    events,
    logger,
    eventsOf: <T extends HealthEvent['type']>(type: T) =>
      events.filter((event): event is Extract<HealthEvent, { type: T }> => event.type === type),
    close: async (signal?: string) => {
      open.delete(harness);
      await module.close(signal);
      logger.assertNoUnexpectedErrors();
    },
  };
  open.add(harness);
  return harness;
}

/** A check whose answers the test sets; counts calls and keeps every signal it was given. */
export function scriptedCheck(initial: unknown = true) {
  let answer: unknown = initial;
  const signals: AbortSignal[] = [];
  const fn = jest.fn(({ signal }: { signal: AbortSignal }) => {
    signals.push(signal);
    if (answer instanceof Error) throw answer;
    if (typeof answer === 'function') return (answer as () => unknown)();
    return answer;
  });
  return {
    fn: fn as unknown as HealthComponentDefinition['check'],
    calls: () => fn.mock.calls.length,
    signals,
    /** Next answers: a status, boolean, result, an Error to throw, or a function returning any of those (or a promise). */
    answer(value: unknown) {
      answer = value;
    },
  };
}

/** A promise the test settles. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
