import { describe, expect, it, jest } from '@jest/globals';
import { BulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { CircuitBreakerEvent, StateChangeEvent } from './circuit-breaker.events.js';
import type { CircuitBreakerOptions } from './circuit-breaker.options.js';
import { CircuitBreakerPolicy, type BreakerPermit } from './circuit-breaker.policy.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerOpenError, isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { CircuitBreakerTimeoutError, isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

// --- helpers ----------------------------------------------------------------------------------------

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (a macrotask turn, not a wall-clock wait). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Settles a promise into a tagged result so tests can assert on rejections without unhandled ones. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

function collect(breaker: CircuitBreakerPolicy): CircuitBreakerEvent[] {
  const events: CircuitBreakerEvent[] = [];
  breaker.events$.subscribe((event) => events.push(event));
  return events;
}

/** Runs one call that events$ starts observing only after its admission, and returns the events it got. */
async function eventsOfCallAdmittedUnobserved(breaker: CircuitBreakerPolicy): Promise<CircuitBreakerEvent[]> {
  const call = deferred<string>();
  const result = breaker.execute(() => call.promise);
  const events = collect(breaker);
  call.resolve('ok');
  await result;
  return events;
}

function transitions(events: CircuitBreakerEvent[]): Pick<StateChangeEvent, 'from' | 'to' | 'reason' | 'at'>[] {
  return events
    .filter((event): event is StateChangeEvent => event.type === 'state_change')
    .map(({ from, to, reason, at }) => ({ from, to, reason, at }));
}

const boom = new Error('boom');
const ok = (): Promise<string> => Promise.resolve('ok');
const failing = (): Promise<never> => Promise.reject(boom);

function setup(options: CircuitBreakerOptions = {}) {
  const clock = new FakeClock(1_000_000);
  const breaker = new CircuitBreakerPolicy({ name: 'db', clock, ...options });
  return { clock, breaker };
}

/** A breaker that trips on its first failure and stays open 1 s. */
function tripOnFirstFailure(options: CircuitBreakerOptions = {}) {
  return setup({ window: { kind: 'consecutive', failures: 1 }, openDurationMs: 1_000, ...options });
}

async function trip(breaker: CircuitBreakerPolicy): Promise<void> {
  await outcome(breaker.execute(failing));
  expect(breaker.state).toBe(CircuitState.OPEN);
}

/** An ES5-style error "class": a plain function whose prototype inherits from Error.prototype. */
function LegacyError(this: { message: string }, message: string) {
  this.message = message;
}
LegacyError.prototype = Object.create(Error.prototype, { constructor: { value: LegacyError } });

/** Trips, then reads the open duration of `trips` consecutive open periods (each probe fails but the last). */
async function openDurations(breaker: CircuitBreakerPolicy, clock: FakeClock, trips: number): Promise<number[]> {
  const durations: number[] = [];
  await trip(breaker);
  for (let i = 0; i < trips; i++) {
    const { error } = await outcome(breaker.execute(ok));
    const retryAfterMs = (error as CircuitBreakerOpenError).retryAfterMs;
    durations.push(retryAfterMs);
    clock.advance(retryAfterMs - 1);
    expect(breaker.state).toBe(CircuitState.OPEN);
    clock.advance(1);
    expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    if (i < trips - 1) await outcome(breaker.execute(failing));
  }
  return durations;
}

const echoFallback = (...argsAndError: unknown[]): unknown[] => argsAndError;

/** A FakeClock that counts its readings: the hot paths promise how often they read the clock. */
class CountingClock extends FakeClock {
  reads = 0;

  override now(): number {
    this.reads++;
    return super.now();
  }
}

/** Clock readings taken by `run`. */
async function readsDuring(clock: CountingClock, run: () => Promise<unknown>): Promise<number> {
  const before = clock.reads;
  await run();
  return clock.reads - before;
}

// --- tests ------------------------------------------------------------------------------------------

describe('CircuitBreakerPolicy', () => {
  describe('construction', () => {
    it('defaults its name and starts CLOSED with zeroed metrics', () => {
      const breaker = new CircuitBreakerPolicy({ clock: new FakeClock() });
      expect(breaker.name).toBe('circuit-breaker');
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics()).toEqual({
        name: 'circuit-breaker',
        state: CircuitState.CLOSED,
        calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
        failureRate: -1,
        slowCallRate: -1,
        bufferedCalls: 0,
        inFlight: 0,
        timeInStateMs: 0,
        transitions: 0,
        consecutiveTrips: 0,
      });
    });

    it('works without any options (system clock)', async () => {
      const breaker = new CircuitBreakerPolicy();
      await expect(breaker.execute(ok)).resolves.toBe('ok');
      breaker.dispose();
    });
  });

  describe('CLOSED → OPEN', () => {
    it('trips on the failure rate once minimumCalls are recorded, and reports why', async () => {
      const { breaker } = setup({ window: { kind: 'count', size: 10 }, minimumCalls: 4, failureRateThreshold: 50 });
      const events = collect(breaker);
      await breaker.execute(ok);
      await outcome(breaker.execute(failing));
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(transitions(events)).toEqual([
        { from: CircuitState.CLOSED, to: CircuitState.OPEN, reason: 'failure rate 50% >= 50% over 4 calls', at: 1_000_000 },
      ]);
    });

    it('trips on consecutive failures; a success starts the run over', async () => {
      const { breaker } = setup({ window: { kind: 'consecutive', failures: 2 } });
      await outcome(breaker.execute(failing));
      await breaker.execute(ok);
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.OPEN);
    });

    it('trips on the slow-call rate measured with the clock', async () => {
      const { breaker, clock } = setup({
        window: { kind: 'count', size: 2 },
        minimumCalls: 2,
        slowCallDurationMs: 100,
        slowCallRateThreshold: 100,
      });
      for (let i = 0; i < 2; i++) {
        const call = deferred<string>();
        const result = breaker.execute(() => call.promise);
        clock.advance(100);
        call.resolve('late');
        await expect(result).resolves.toBe('late');
      }
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().calls).toMatchObject({ successful: 2, slow: 2 });
    });

    it('with a time window, an idle gap longer than the window forgets old calls (cockatiel stale-bucket bug)', async () => {
      const { breaker, clock } = setup({
        window: { kind: 'time', durationMs: 10_000 },
        minimumCalls: 3,
        failureRateThreshold: 75,
      });
      await outcome(breaker.execute(failing));
      await outcome(breaker.execute(failing));
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      // Counting the stale calls would give 3 failures of 4 (75 %) and trip.
      clock.advance(5 * 60_000);
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics()).toMatchObject({ bufferedCalls: 1, failureRate: -1 });
    });

    it('counts calls in the time window only while they are younger than the window', async () => {
      const { breaker, clock } = setup({ window: { kind: 'time', durationMs: 1_000, buckets: 10 }, minimumCalls: 2 });
      await outcome(breaker.execute(failing));
      clock.advance(999);
      expect(breaker.metrics().bufferedCalls).toBe(1);
      clock.advance(1);
      expect(breaker.metrics().bufferedCalls).toBe(0);
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.CLOSED);
    });
  });

  describe('OPEN', () => {
    it('rejects without calling fn, with the breaker name, state and time left', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      clock.advance(400);
      const fn = jest.fn(ok);
      const { error } = await outcome(breaker.execute(fn));
      expect(fn).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(CircuitBreakerOpenError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ breaker: 'db', state: CircuitState.OPEN, retryAfterMs: 600, name: 'CircuitBreakerOpenError' });
      expect((error as Error).message).toBe('Circuit breaker "db" is OPEN; retry after 600 ms');
      expect(isCircuitBreakerOpenError(error)).toBe(true);
      expect(breaker.metrics().calls.notPermitted).toBe(1);
    });

    it('builds the rejection error without capturing a stack trace', async () => {
      const { breaker } = tripOnFirstFailure();
      await trip(breaker);
      const { error } = await outcome(breaker.execute(ok));
      expect((error as Error).stack).toBe('CircuitBreakerOpenError: Circuit breaker "db" is OPEN; retry after 1000 ms');
    });

    it('reads the clock once per rejection, for the decision, retryAfterMs and the event alike', async () => {
      const clock = new CountingClock(1_000_000);
      const breaker = new CircuitBreakerPolicy({ name: 'db', clock, window: { kind: 'consecutive', failures: 1 }, openDurationMs: 1_000 });
      await trip(breaker);
      clock.advance(250);
      expect(await readsDuring(clock, () => outcome(breaker.execute(ok)))).toBe(1);
      const events = collect(breaker);
      const reads = clock.reads;
      const { error } = await outcome(breaker.execute(ok));
      expect(clock.reads - reads).toBe(1);
      expect(error).toMatchObject({ retryAfterMs: 750 });
      expect(events).toEqual([{ type: 'rejected', breaker: 'db', at: 1_000_250, state: CircuitState.OPEN, retryAfterMs: 750 }]);
    });

    it('rejects every call of one synchronous run, each with its own error, in call order', async () => {
      const { breaker } = tripOnFirstFailure();
      await trip(breaker);
      const order: number[] = [];
      const calls = [0, 1, 2].map((i) =>
        breaker.execute(ok).catch((error: unknown) => {
          order.push(i);
          return error;
        }),
      );
      const errors = await Promise.all(calls);
      expect(order).toEqual([0, 1, 2]);
      expect(new Set(errors).size).toBe(3);
      for (const error of errors) expect(error).toBeInstanceOf(CircuitBreakerOpenError);
      expect(breaker.metrics().calls.notPermitted).toBe(3);
    });

    it('emits a rejected event', async () => {
      const { breaker } = tripOnFirstFailure();
      await trip(breaker);
      const events = collect(breaker);
      await outcome(breaker.execute(ok));
      expect(events).toEqual([{ type: 'rejected', breaker: 'db', at: 1_000_000, state: CircuitState.OPEN, retryAfterMs: 1_000 }]);
    });

    it('turns HALF_OPEN by elapsed time on read, at the exact open duration, with no timer', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      const events = collect(breaker);
      expect(clock.pendingTimers).toBe(0);
      clock.advance(999);
      expect(breaker.state).toBe(CircuitState.OPEN);
      clock.advance(5_000);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      expect(transitions(events)).toEqual([
        { from: CircuitState.OPEN, to: CircuitState.HALF_OPEN, reason: 'open duration elapsed', at: 1_001_000 },
      ]);
      expect(breaker.metrics().timeInStateMs).toBe(4_999);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('HALF_OPEN', () => {
    it('closes after a successful probe and re-opens after a failed one', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      clock.advance(1_000);
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await trip(breaker);
      clock.advance(1_000);
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().consecutiveTrips).toBe(2);
    });

    it('admits permittedCallsInHalfOpen probes and rejects extra callers at once (not queued)', async () => {
      const { breaker, clock } = tripOnFirstFailure({ permittedCallsInHalfOpen: 3 });
      await trip(breaker);
      clock.advance(1_000);
      const probes = [deferred<string>(), deferred<string>(), deferred<string>()];
      const started: number[] = [];
      const results = Array.from({ length: 5 }, (_, i) =>
        outcome(
          breaker.execute(() => {
            started.push(i);
            return probes[i]!.promise;
          }),
        ),
      );
      expect(started).toEqual([0, 1, 2]);
      // The extra callers are answered while every probe is still pending.
      const extra = await Promise.all([results[3]!, results[4]!]);
      for (const { error } of extra) {
        expect(error).toBeInstanceOf(CircuitBreakerOpenError);
        expect(error).toMatchObject({ state: CircuitState.HALF_OPEN, retryAfterMs: 60_000 });
      }
      probes.forEach((probe) => probe.resolve('ok'));
      await Promise.all(results);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().calls).toMatchObject({ successful: 3, notPermitted: 2 });
    });

    it('re-opens on the first failed probe when every probe must succeed, without waiting for the rest', async () => {
      const { breaker, clock } = tripOnFirstFailure({ permittedCallsInHalfOpen: 3, halfOpenSuccessRateThreshold: 100 });
      await trip(breaker);
      clock.advance(1_000);
      const probes = [deferred(), deferred(), deferred()];
      const results = probes.map((probe) => outcome(breaker.execute(() => probe.promise)));
      probes[1]!.reject(boom);
      await results[1];
      expect(breaker.state).toBe(CircuitState.OPEN);
      probes[0]!.resolve('ok');
      probes[2]!.resolve('ok');
      await Promise.all(results);
      // Results of the earlier half-open period count in the totals but do not move the state.
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().calls).toMatchObject({ successful: 2, failed: 2 });
    });

    it('closes as soon as enough probes succeeded, and a later probe failure changes nothing', async () => {
      const { breaker, clock } = tripOnFirstFailure({ permittedCallsInHalfOpen: 3, halfOpenSuccessRateThreshold: 60 });
      await trip(breaker);
      clock.advance(1_000);
      const events = collect(breaker);
      const probes = [deferred(), deferred(), deferred()];
      const results = probes.map((probe) => outcome(breaker.execute(() => probe.promise)));
      probes[0]!.resolve('ok');
      await results[0];
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      probes[1]!.resolve('ok');
      await results[1];
      expect(breaker.state).toBe(CircuitState.CLOSED);
      probes[2]!.reject(boom);
      await results[2];
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(transitions(events).map((t) => t.reason)).toEqual(['open duration elapsed', '2 of 3 probes succeeded (2 needed)']);
    });

    it('re-opens once too many probes failed for the success ratio to be met', async () => {
      const { breaker, clock } = tripOnFirstFailure({ permittedCallsInHalfOpen: 4, halfOpenSuccessRateThreshold: 50 });
      await trip(breaker);
      clock.advance(1_000);
      const probes = [deferred(), deferred(), deferred(), deferred()];
      const results = probes.map((probe) => outcome(breaker.execute(() => probe.promise)));
      probes[0]!.reject(boom);
      probes[1]!.reject(boom);
      await Promise.all([results[0], results[1]]);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      probes[2]!.reject(boom);
      await results[2];
      expect(breaker.state).toBe(CircuitState.OPEN);
      probes[3]!.resolve('ok');
      await results[3];
    });

    it('releases a probe that never settles after maxWaitInHalfOpenMs, counts it failed and re-opens', async () => {
      const { breaker, clock } = tripOnFirstFailure({ maxWaitInHalfOpenMs: 5_000 });
      await trip(breaker);
      clock.advance(1_000);
      const events = collect(breaker);
      const hung = deferred<string>();
      const result = breaker.execute(() => hung.promise);
      const { error } = await outcome(breaker.execute(ok));
      expect(error).toMatchObject({ state: CircuitState.HALF_OPEN, retryAfterMs: 5_000 });
      clock.advance(4_999);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      clock.advance(1);
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(transitions(events)).toEqual([
        { from: CircuitState.OPEN, to: CircuitState.HALF_OPEN, reason: 'open duration elapsed', at: 1_001_000 },
        { from: CircuitState.HALF_OPEN, to: CircuitState.OPEN, reason: 'probe did not settle within 5000 ms', at: 1_006_000 },
      ]);
      expect(breaker.metrics().consecutiveTrips).toBe(2);
      expect(clock.pendingTimers).toBe(0);
      // The hung call finally answers: it reaches its caller and the totals, not the state.
      hung.resolve('finally');
      await expect(result).resolves.toBe('finally');
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().calls.successful).toBe(1);
    });

    it("bounds a HALF_OPEN rejection's retryAfterMs by the probe's own timeout, never by the longer lease", async () => {
      const { breaker, clock } = tripOnFirstFailure({ timeoutMs: 2_000, maxWaitInHalfOpenMs: 60_000 });
      await trip(breaker);
      clock.advance(1_000);
      const probe = breaker.execute(() => new Promise<never>(() => undefined));
      clock.advance(500);
      const { error } = await outcome(breaker.execute(ok));
      expect(error).toMatchObject({ state: CircuitState.HALF_OPEN, retryAfterMs: 1_500 });
      expect((error as Error).message).toBe('Circuit breaker "db" is HALF_OPEN; retry after 1500 ms');
      // The state indeed ends by then: the probe times out and the breaker re-opens.
      clock.advance(1_500 + 50);
      expect(breaker.state).toBe(CircuitState.OPEN);
      await outcome(probe);
      breaker.dispose();
    });

    it('bounds it by maxWaitInHalfOpenMs when that is shorter than the timeout', async () => {
      const { breaker, clock } = tripOnFirstFailure({ timeoutMs: 10_000, maxWaitInHalfOpenMs: 3_000 });
      await trip(breaker);
      clock.advance(1_000);
      const probe = breaker.execute(() => new Promise<never>(() => undefined));
      expect((await outcome(breaker.execute(ok))).error).toMatchObject({ state: CircuitState.HALF_OPEN, retryAfterMs: 3_000 });
      clock.advance(3_000);
      expect(breaker.state).toBe(CircuitState.OPEN);
      clock.advance(10_050);
      await outcome(probe);
      breaker.dispose();
    });

    it('applies an expired probe lease at the time it expired, even when nobody looked', async () => {
      const { breaker, clock } = tripOnFirstFailure({ maxWaitInHalfOpenMs: 5_000, openDurationMs: 1_000 });
      await trip(breaker);
      clock.advance(1_000);
      void breaker.execute(() => new Promise<never>(() => undefined));
      // The probe started at 1 001 000: its lease ends 5 s later (re-open), and that open period 1 s
      // after that, so by now the breaker is half-open again.
      clock.advance(60_000);
      const events = collect(breaker);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      expect(transitions(events)).toEqual([
        { from: CircuitState.HALF_OPEN, to: CircuitState.OPEN, reason: 'probe did not settle within 5000 ms', at: 1_006_000 },
        { from: CircuitState.OPEN, to: CircuitState.HALF_OPEN, reason: 'open duration elapsed', at: 1_007_000 },
      ]);
    });

    it('frees the slot of a probe whose outcome is ignored, so another caller can probe', async () => {
      const { breaker, clock } = tripOnFirstFailure({ ignoreErrors: [TypeError] });
      await trip(breaker);
      clock.advance(1_000);
      await outcome(breaker.execute(() => Promise.reject(new TypeError('caller bug'))));
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.CLOSED);
    });
  });

  describe('generations', () => {
    it('a late failure of a call admitted before the breaker re-closed does not move the new CLOSED state', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      const old = deferred();
      const oldResult = outcome(breaker.execute(() => old.promise));
      await trip(breaker);
      clock.advance(1_000);
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      old.reject(boom);
      await oldResult;
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().calls.failed).toBe(2);
    });

    it('a late success of a call admitted before the trip does not count as a probe', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      const old = deferred();
      const oldResult = outcome(breaker.execute(() => old.promise));
      await trip(breaker);
      clock.advance(1_000);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      old.resolve('late');
      await oldResult;
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    });

    it('reset() while CLOSED keeps calls in flight out of the fresh window', async () => {
      const { breaker } = tripOnFirstFailure();
      const old = deferred();
      const oldResult = outcome(breaker.execute(() => old.promise));
      breaker.reset('fresh start');
      old.reject(boom);
      await oldResult;
      expect(breaker.state).toBe(CircuitState.CLOSED);
    });
  });

  describe('classification', () => {
    class ClientError extends Error {}
    class NotFoundError extends ClientError {}
    class Plain {}

    it('counts every error as a failure by default', async () => {
      const { breaker } = setup();
      await outcome(breaker.execute(() => Promise.reject(new TypeError('x'))));
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, ignored: 0 });
    });

    it('ignores errors matching ignoreErrors: neither success nor failure, still rethrown', async () => {
      const { breaker } = tripOnFirstFailure({ ignoreErrors: [ClientError] });
      const events = collect(breaker);
      const error = new NotFoundError('nope');
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().calls).toMatchObject({ failed: 0, successful: 0, ignored: 1 });
      expect(events).toEqual([{ type: 'ignored', breaker: 'db', at: 1_000_000, durationMs: 0, error }]);
    });

    it('with recordErrors, counts only matching errors and ignores the rest', async () => {
      const { breaker } = setup({ recordErrors: [(e) => (e as { code?: string }).code === 'ECONNREFUSED'] });
      await outcome(breaker.execute(() => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))));
      await outcome(breaker.execute(() => Promise.reject(new Error('validation'))));
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, ignored: 1 });
    });

    it('gives ignoreErrors precedence over recordErrors', async () => {
      const { breaker } = setup({ recordErrors: [Error], ignoreErrors: [ClientError] });
      await outcome(breaker.execute(() => Promise.reject(new ClientError('x'))));
      await outcome(breaker.execute(() => Promise.reject(new Error('y'))));
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, ignored: 1 });
    });

    it("ignores a bulkhead's rejection by default (overload is not an outage), counts it when recordErrors matches it", async () => {
      const rejection = new BulkheadRejectedError('db', 'full', 1, 0);
      const { breaker } = tripOnFirstFailure();
      await expect(breaker.execute(() => Promise.reject(rejection))).rejects.toBe(rejection);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });

      const { breaker: other } = setup({ recordErrors: [TypeError] });
      await outcome(other.execute(() => Promise.reject(rejection)));
      expect(other.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });

      const { breaker: counting } = setup({ recordErrors: [BulkheadRejectedError] });
      await outcome(counting.execute(() => Promise.reject(rejection)));
      expect(counting.metrics().calls).toMatchObject({ failed: 1, ignored: 0 });
    });

    it('tells classes (instanceof) from predicates', async () => {
      // A plain `function` predicate has a prototype too: it must still be called, not used with instanceof.
      const isPlain = function (error: unknown) {
        return error instanceof Plain;
      };
      const { breaker } = setup({
        ignoreErrors: [RangeError, LegacyError as unknown as ErrorConstructor, isPlain, (e) => e === 'ignore me'],
      });
      const ignored = [new RangeError('r'), new (LegacyError as unknown as ErrorConstructor)('l'), new Plain(), 'ignore me'];
      for (const error of ignored) await outcome(breaker.execute(() => Promise.reject(error)));
      await outcome(breaker.execute(() => Promise.reject(new Error('counted'))));
      expect(breaker.metrics().calls).toMatchObject({ ignored: 4, failed: 1 });
    });

    it('counts an error as a failure when a matcher throws', async () => {
      const { breaker } = setup({
        ignoreErrors: [
          () => {
            throw new Error('broken matcher');
          },
        ],
      });
      await expect(breaker.execute(failing)).rejects.toBe(boom);
      expect(breaker.metrics().calls.failed).toBe(1);
    });

    it('counts a value for which recordResult is true as a failure, and still returns it', async () => {
      const { breaker } = tripOnFirstFailure({ recordResult: (r) => (r as { status: number }).status >= 500 });
      await expect(breaker.execute(async () => ({ status: 200 }))).resolves.toEqual({ status: 200 });
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await expect(breaker.execute(async () => ({ status: 503 }))).resolves.toEqual({ status: 503 });
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().calls).toMatchObject({ successful: 1, failed: 1 });
    });

    it('handles synchronous functions: returned values and thrown errors', async () => {
      const { breaker } = tripOnFirstFailure();
      await expect(breaker.execute(() => 42)).resolves.toBe(42);
      await expect(
        breaker.execute(() => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(breaker.state).toBe(CircuitState.OPEN);
    });
  });

  describe('cancellation by the caller', () => {
    it('ignores a call whose caller aborted it, never counting a failure', async () => {
      const { breaker } = tripOnFirstFailure();
      const controller = new AbortController();
      const result = outcome(
        breaker.execute(
          (signal) =>
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
          controller.signal,
        ),
      );
      controller.abort(new Error('client went away'));
      expect((await result).error).toEqual(new Error('client went away'));
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    });

    it('does not call fn when the caller signal is already aborted', async () => {
      const { breaker } = setup();
      const fn = jest.fn(ok);
      const reason = new Error('already gone');
      await expect(breaker.execute(fn, AbortSignal.abort(reason))).rejects.toBe(reason);
      expect(fn).not.toHaveBeenCalled();
      expect(breaker.metrics().calls).toMatchObject({ ignored: 1, successful: 0, failed: 0 });
    });

    it('hands fn the caller signal when the breaker has no timeout to add', async () => {
      const { breaker } = setup();
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      await breaker.execute((signal) => {
        seen = signal;
        return 1;
      }, controller.signal);
      expect(seen).toBe(controller.signal);
    });

    it('counts a failure when the error is unrelated and the caller did not abort', async () => {
      const { breaker } = setup();
      const controller = new AbortController();
      await outcome(breaker.execute(failing, controller.signal));
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, ignored: 0 });
    });
  });

  describe('per-call timeout', () => {
    it('aborts the late call with CircuitBreakerTimeoutError, counts a failure, and never aborts a neighbour', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const events = collect(breaker);
      const signals: AbortSignal[] = [];
      const slow = breaker.execute((signal) => {
        signals.push(signal);
        return new Promise<string>(() => undefined);
      });
      clock.advance(50);
      const neighbour = deferred<string>();
      const fast = breaker.execute((signal) => {
        signals.push(signal);
        return neighbour.promise;
      });
      clock.advance(50);
      const { error } = await outcome(slow);
      expect(error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect(error).toMatchObject({ breaker: 'db', timeoutMs: 100 });
      expect(isCircuitBreakerTimeoutError(error)).toBe(true);
      expect(signals[0]!.aborted).toBe(true);
      expect(signals[0]!.reason).toBe(error);
      expect(signals[1]!.aborted).toBe(false);
      expect(signals[0]).not.toBe(signals[1]);
      clock.advance(20);
      neighbour.resolve('in time');
      await expect(fast).resolves.toBe('in time');
      expect(signals[1]!.aborted).toBe(false);
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, timedOut: 1, successful: 1 });
      expect(events.filter((e) => e.type === 'timeout')).toEqual([{ type: 'timeout', breaker: 'db', at: 1_000_100, timeoutMs: 100 }]);
    });

    it('keeps at most one timer for all calls in flight, re-armed for the next deadline', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const results: Promise<{ error?: unknown }>[] = [];
      for (let i = 0; i < 5; i++) {
        results.push(outcome(breaker.execute(() => new Promise<never>(() => undefined))));
        expect(clock.pendingTimers).toBe(1);
        clock.advance(10);
      }
      // Now +50; deadlines at +100, +110, ... +140: each fires exactly on time.
      clock.advance(49);
      expect(breaker.metrics().calls.timedOut).toBe(0);
      clock.advance(1);
      expect(breaker.metrics().calls.timedOut).toBe(1);
      expect(clock.pendingTimers).toBe(1);
      clock.advance(30);
      expect(breaker.metrics().calls.timedOut).toBe(4);
      clock.advance(10);
      expect(breaker.metrics().calls.timedOut).toBe(5);
      expect(clock.pendingTimers).toBe(0);
      for (const result of await Promise.all(results)) expect(result.error).toBeInstanceOf(CircuitBreakerTimeoutError);
    });

    it('leaves no timer once every timed call has settled and its deadline is past', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      for (let i = 0; i < 3; i++) await breaker.execute(ok);
      expect(clock.pendingTimers).toBeLessThanOrEqual(1);
      clock.advance(100);
      expect(clock.pendingTimers).toBe(0);
      expect(breaker.metrics().calls).toMatchObject({ successful: 3, timedOut: 0 });
    });

    it('skips calls that settled early and times out only the ones still running', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const first = deferred<string>();
      const a = breaker.execute(() => first.promise);
      clock.advance(10);
      const b = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      first.resolve('a');
      await expect(a).resolves.toBe('a');
      clock.advance(90);
      expect(breaker.metrics().calls.timedOut).toBe(0);
      clock.advance(10);
      expect((await b).error).toBeInstanceOf(CircuitBreakerTimeoutError);
    });

    it('drops the result of a call that already timed out', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const late = deferred<string>();
      const result = outcome(breaker.execute(() => late.promise));
      clock.advance(100);
      late.resolve('too late');
      expect((await result).error).toBeInstanceOf(CircuitBreakerTimeoutError);
      await flush();
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, successful: 0, timedOut: 1 });
    });

    it('merges the caller signal into the per-call signal; a caller abort is ignored, not a failure', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const controller = new AbortController();
      let callSignal: AbortSignal | undefined;
      const result = outcome(
        breaker.execute((signal) => {
          callSignal = signal;
          return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        }, controller.signal),
      );
      expect(callSignal).not.toBe(controller.signal);
      controller.abort('user cancelled');
      expect(callSignal!.aborted).toBe(true);
      expect(callSignal!.reason).toBe('user cancelled');
      expect((await result).error).toBe('user cancelled');
      clock.advance(1_000);
      expect(breaker.metrics().calls).toMatchObject({ ignored: 1, failed: 0, timedOut: 0 });
    });

    it('times out a function that takes no signal parameter too', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const result = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      clock.advance(100);
      expect((await result).error).toBeInstanceOf(CircuitBreakerTimeoutError);
    });

    it('records a synchronous throw and answers it through the fallback with fallbackOnFailure', async () => {
      const { breaker } = setup({ timeoutMs: 100, fallback: echoFallback, fallbackOnFailure: true });
      await expect(
        breaker.execute(
          () => {
            throw boom;
          },
          undefined,
          ['x'],
        ),
      ).resolves.toEqual(['x', boom]);
      await expect(breaker.execute(failing, undefined, ['y'])).resolves.toEqual(['y', boom]);
      expect(breaker.metrics().calls).toMatchObject({ failed: 2, timedOut: 0 });
    });

    it('a call that starts alone, one after another, skips its clock reading and is stamped by the next one', async () => {
      const clock = new CountingClock(1_000_000);
      const breaker = new CircuitBreakerPolicy({ name: 'db', clock, timeoutMs: 160 });
      // Calls that run one after another read the clock once per tick (160 / 16 = 10 ms), not once per call.
      expect(await readsDuring(clock, async () => {
        for (let i = 0; i < 20; i++) await breaker.execute(ok);
      })).toBe(1);
      clock.advance(3);
      const alone = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      // Started at +3, stamped by the timer's reading at +10: times out at +170, never early, at most a tick late.
      clock.advance(160);
      expect(breaker.metrics().calls.timedOut).toBe(0);
      clock.advance(6);
      expect(breaker.metrics().calls.timedOut).toBe(0);
      clock.advance(1);
      expect((await alone).error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect(breaker.metrics().calls.timedOut).toBe(1);
      expect(clock.pendingTimers).toBe(0);
      // From idle, the next call reads the clock again.
      expect(await readsDuring(clock, () => breaker.execute(ok))).toBe(1);
    });

    it('stamps a call waiting for its reading with the next call\'s reading, keeping deadlines in order', async () => {
      const { breaker, clock } = setup({ timeoutMs: 160 });
      await breaker.execute(ok);
      clock.advance(2);
      const first = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      clock.advance(2);
      const second = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      // The first started at +2 alone and waits; the second reads +4, which stamps both: both time out at +164.
      clock.advance(159);
      expect(breaker.metrics().calls.timedOut).toBe(0);
      clock.advance(1);
      expect((await first).error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect((await second).error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect(breaker.metrics().calls.timedOut).toBe(2);
    });

    it('reads the clock for every call that starts while others are in flight, so those time out on time', async () => {
      const clock = new CountingClock(1_000_000);
      const breaker = new CircuitBreakerPolicy({ name: 'db', clock, timeoutMs: 100 });
      const calls: Promise<unknown>[] = [];
      const reads = clock.reads;
      for (let i = 0; i < 3; i++) calls.push(outcome(breaker.execute(() => new Promise<never>(() => undefined))));
      expect(clock.reads - reads).toBe(3);
      clock.advance(100);
      await Promise.all(calls);
      expect(breaker.metrics().calls.timedOut).toBe(3);
    });

    it('counts timeouts towards tripping', async () => {
      const { breaker, clock } = tripOnFirstFailure({ timeoutMs: 100 });
      const result = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      clock.advance(100);
      await result;
      expect(breaker.state).toBe(CircuitState.OPEN);
    });
  });

  describe('open duration', () => {
    it('is fixed by default', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: 2_000 });
      expect(await openDurations(breaker, clock, 3)).toEqual([2_000, 2_000, 2_000]);
    });

    it('grows exponentially across consecutive trips up to maxMs, and starts over after closing', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: { initialMs: 1_000, maxMs: 5_000, multiplier: 2 } });
      expect(await openDurations(breaker, clock, 5)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
      expect(breaker.metrics().consecutiveTrips).toBe(5);
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics().consecutiveTrips).toBe(0);
      expect(await openDurations(breaker, clock, 2)).toEqual([1_000, 2_000]);
    });

    it('spreads the duration by ± jitter using the injected random source', async () => {
      const random = jest.fn(() => 0);
      const clock = new FakeClock();
      const breaker = new CircuitBreakerPolicy(
        { clock, window: { kind: 'consecutive', failures: 1 }, openDurationMs: { initialMs: 1_000, maxMs: 10_000, jitter: 0.2 } },
        { random },
      );
      await trip(breaker);
      expect(((await outcome(breaker.execute(ok))).error as CircuitBreakerOpenError).retryAfterMs).toBe(800);
      random.mockReturnValue(0.75);
      breaker.reset();
      await trip(breaker);
      expect(((await outcome(breaker.execute(ok))).error as CircuitBreakerOpenError).retryAfterMs).toBe(1_100);
    });
  });

  describe('halfOpen(reason): ending the open period early', () => {
    it('moves an OPEN breaker to HALF_OPEN at once with the reason given; the next call probes and closes it', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: 30_000 });
      await trip(breaker);
      const events = collect(breaker);
      clock.advance(100);
      expect(breaker.halfOpen('health check of "db" passed')).toBe(true);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      await expect(breaker.execute(ok)).resolves.toBe('ok');
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(transitions(events)).toEqual([
        { from: CircuitState.OPEN, to: CircuitState.HALF_OPEN, reason: 'health check of "db" passed', at: 1_000_100 },
        { from: CircuitState.HALF_OPEN, to: CircuitState.CLOSED, reason: '1 of 1 probes succeeded (1 needed)', at: 1_000_100 },
      ]);
    });

    it('keeps the open backoff: a failed probe re-opens for the next, longer duration', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: { initialMs: 1_000, maxMs: 60_000 } });
      await trip(breaker);
      breaker.halfOpen('dependency is back');
      await outcome(breaker.execute(failing));
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(breaker.metrics().consecutiveTrips).toBe(2);
      expect(((await outcome(breaker.execute(ok))).error as CircuitBreakerOpenError).retryAfterMs).toBe(2_000);
      clock.advance(2_000);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    });

    it('leaves every other state alone: CLOSED, HALF_OPEN and the operator states', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      const events = collect(breaker);
      expect(breaker.halfOpen('x')).toBe(false);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await trip(breaker);
      clock.advance(1_000);
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      expect(breaker.halfOpen('x')).toBe(false);
      for (const [operate, state] of [
        [() => breaker.forceOpen('hold'), CircuitState.FORCED_OPEN],
        [() => breaker.disable('bypass'), CircuitState.DISABLED],
        [() => breaker.metricsOnly('shadow'), CircuitState.METRICS_ONLY],
      ] as const) {
        operate();
        expect(breaker.halfOpen('x')).toBe(false);
        expect(breaker.state).toBe(state);
      }
      expect(transitions(events).some((t) => t.reason === 'x')).toBe(false);
    });

    it('applies an elapsed open duration first: a breaker already due to half-open does so for that reason', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      const events = collect(breaker);
      clock.advance(1_000);
      expect(breaker.halfOpen('check passed')).toBe(false);
      expect(transitions(events).map((t) => t.reason)).toEqual(['open duration elapsed']);
    });

    it('is saved by toJSON as an ended open period, so the restored breaker half-opens on first use', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: 30_000 });
      await trip(breaker);
      breaker.halfOpen('back');
      const restored = new CircuitBreakerPolicy({ name: 'db', clock, initialState: breaker.toJSON() });
      expect(restored.state).toBe(CircuitState.HALF_OPEN);
      await expect(restored.execute(ok)).resolves.toBe('ok');
      expect(restored.state).toBe(CircuitState.CLOSED);
    });
  });

  describe('failures$', () => {
    it('emits each counted failure (errors, failing results, timeouts) and nothing else, after the breaker applied it', async () => {
      const { breaker, clock } = setup({
        window: { kind: 'consecutive', failures: 3 },
        ignoreErrors: [TypeError],
        recordResult: (result) => result === 'bad',
        timeoutMs: 100,
      });
      const seen: { error: unknown; at: number; state: CircuitState }[] = [];
      breaker.failures$.subscribe((event) => seen.push({ error: event.error, at: event.at, state: breaker.state }));
      await breaker.execute(ok);
      await outcome(breaker.execute(() => Promise.reject(new TypeError('ignored'))));
      await outcome(breaker.execute(failing));
      await breaker.execute(() => Promise.resolve('bad'));
      const hung = breaker.execute(() => new Promise<never>(() => undefined));
      clock.advance(200);
      await outcome(hung);
      expect(seen.map((s) => s.error)).toEqual([boom, 'bad', expect.any(CircuitBreakerTimeoutError)]);
      // The third failure tripped the window: its event arrives with the breaker already OPEN.
      expect(seen.map((s) => s.state)).toEqual([CircuitState.CLOSED, CircuitState.CLOSED, CircuitState.OPEN]);
      // The timeout fires a tick (100 / 16 ms) after its deadline: it started with no other timed call in flight.
      expect(seen.map((s) => s.at)).toEqual([1_000_000, 1_000_000, 1_000_106.25]);
      breaker.dispose();
    });

    it('costs nothing per successful call: no event built, no extra clock reading', async () => {
      const clock = new CountingClock(0);
      const breaker = new CircuitBreakerPolicy({ name: 'db', clock });
      breaker.failures$.subscribe(() => undefined);
      expect(await readsDuring(clock, () => breaker.execute(ok))).toBe(0);
      expect(await readsDuring(clock, () => outcome(breaker.execute(failing)))).toBe(1);
    });

    it('completes on dispose()', () => {
      const { breaker } = setup();
      let completed = false;
      breaker.failures$.subscribe({ complete: () => (completed = true) });
      breaker.dispose();
      expect(completed).toBe(true);
    });
  });

  describe('operator states', () => {
    it('FORCED_OPEN rejects every call, never half-opens, and records the reason', async () => {
      const { breaker, clock } = setup();
      const events = collect(breaker);
      breaker.forceOpen('maintenance');
      clock.advance(24 * 3_600_000);
      expect(breaker.state).toBe(CircuitState.FORCED_OPEN);
      const { error } = await outcome(breaker.execute(ok));
      expect(error).toMatchObject({ state: CircuitState.FORCED_OPEN, retryAfterMs: -1 });
      expect((error as Error).message).toBe('Circuit breaker "db" is FORCED_OPEN; calls are rejected until an operator closes it');
      expect(transitions(events)).toEqual([
        { from: CircuitState.CLOSED, to: CircuitState.FORCED_OPEN, reason: 'operator: maintenance', at: 1_000_000 },
      ]);
      expect(breaker.toJSON().reason).toBe('maintenance');
    });

    it('DISABLED permits every call, records outcomes and never trips', async () => {
      const { breaker } = tripOnFirstFailure();
      breaker.disable('incident 42');
      for (let i = 0; i < 5; i++) await outcome(breaker.execute(failing));
      await breaker.execute(ok);
      expect(breaker.state).toBe(CircuitState.DISABLED);
      expect(breaker.metrics().calls).toMatchObject({ failed: 5, successful: 1 });
    });

    it('METRICS_ONLY records and emits like CLOSED, shows the rates, but never rejects or transitions', async () => {
      const { breaker } = setup({ window: { kind: 'count', size: 4 }, minimumCalls: 4 });
      breaker.metricsOnly('shadow rollout');
      const events = collect(breaker);
      for (let i = 0; i < 4; i++) await outcome(breaker.execute(failing));
      await expect(breaker.execute(ok)).resolves.toBe('ok');
      expect(breaker.state).toBe(CircuitState.METRICS_ONLY);
      expect(breaker.metrics()).toMatchObject({ failureRate: 75, bufferedCalls: 4 });
      expect(events.map((e) => e.type)).toEqual(['failure', 'failure', 'failure', 'failure', 'success']);
    });

    it('reset() leaves any state for CLOSED with an empty window and the backoff reset', async () => {
      const { breaker, clock } = tripOnFirstFailure({ openDurationMs: { initialMs: 1_000, maxMs: 60_000 } });
      await trip(breaker);
      clock.advance(1_000);
      await outcome(breaker.execute(failing));
      expect(breaker.metrics().consecutiveTrips).toBe(2);
      const events = collect(breaker);
      breaker.reset('manual close');
      expect(breaker.state).toBe(CircuitState.CLOSED);
      expect(breaker.metrics()).toMatchObject({ consecutiveTrips: 0, bufferedCalls: 0 });
      expect(transitions(events)).toEqual([
        { from: CircuitState.OPEN, to: CircuitState.CLOSED, reason: 'operator: manual close', at: 1_001_000 },
      ]);
      for (const operate of [() => breaker.forceOpen('x'), () => breaker.disable('x'), () => breaker.metricsOnly('x')]) {
        operate();
        breaker.reset();
        expect(breaker.state).toBe(CircuitState.CLOSED);
      }
      await trip(breaker);
      expect(((await outcome(breaker.execute(ok))).error as CircuitBreakerOpenError).retryAfterMs).toBe(1_000);
    });

    it('switching to the state it is already in only updates the reason', () => {
      const { breaker } = setup();
      const events = collect(breaker);
      breaker.forceOpen('first');
      breaker.forceOpen('second');
      expect(transitions(events)).toHaveLength(1);
      expect(breaker.toJSON().reason).toBe('second');
    });
  });

  describe('fallback', () => {
    it('answers a rejected call with fallback(...args, error)', async () => {
      const fallback = jest.fn((...argsAndError: unknown[]) => `cached:${String(argsAndError[0])}`);
      const { breaker } = tripOnFirstFailure({ fallback });
      await trip(breaker);
      await expect(breaker.execute(ok, undefined, ['user-7', 3])).resolves.toBe('cached:user-7');
      expect(fallback).toHaveBeenCalledWith('user-7', 3, expect.any(CircuitBreakerOpenError));
    });

    it('answers a timed-out call', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100, fallback: (...[error]: unknown[]) => `fallback after ${(error as Error).name}` });
      const result = breaker.execute(() => new Promise<never>(() => undefined), undefined, []);
      clock.advance(100);
      await expect(result).resolves.toBe('fallback after CircuitBreakerTimeoutError');
    });

    it('answers a failed call only with fallbackOnFailure', async () => {
      const without = setup({ fallback: echoFallback }).breaker;
      await expect(without.execute(failing, undefined, ['a'])).rejects.toBe(boom);
      const withIt = setup({ fallback: echoFallback, fallbackOnFailure: true }).breaker;
      await expect(withIt.execute(failing, undefined, ['a'])).resolves.toEqual(['a', boom]);
      await expect(
        withIt.execute(
          () => {
            throw boom;
          },
          undefined,
          ['sync'],
        ),
      ).resolves.toEqual(['sync', boom]);
    });

    it('does not answer ignored errors', async () => {
      const { breaker } = setup({ fallback: () => 'fallback', fallbackOnFailure: true, ignoreErrors: [TypeError] });
      const error = new TypeError('bad input');
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
    });

    it('rejects with the fallback’s own error when the fallback throws', async () => {
      const broken = new Error('fallback broke');
      const { breaker } = tripOnFirstFailure({
        fallback: () => {
          throw broken;
        },
      });
      await trip(breaker);
      await expect(breaker.execute(ok)).rejects.toBe(broken);
    });

    it('awaits an async fallback', async () => {
      const { breaker } = tripOnFirstFailure({ fallback: async () => 'async answer' });
      await trip(breaker);
      await expect(breaker.execute(ok)).resolves.toBe('async answer');
    });
  });

  describe('tryAcquire (permits)', () => {
    it('counts exactly one reported outcome per permit', () => {
      const { breaker } = setup();
      const permit = breaker.tryAcquire();
      expect(breaker.metrics().inFlight).toBe(1);
      permit.success('value');
      permit.failure(boom);
      permit.cancel();
      expect(breaker.metrics()).toMatchObject({ inFlight: 0, calls: { successful: 1, failed: 0, ignored: 0 } });
    });

    it('classifies failures and counts cancel() as ignored', () => {
      const { breaker } = setup({ ignoreErrors: [TypeError] });
      breaker.tryAcquire().failure(boom);
      breaker.tryAcquire().failure(new TypeError('x'));
      breaker.tryAcquire().cancel();
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, ignored: 2 });
    });

    it('throws CircuitBreakerOpenError when not permitted and emits rejected', async () => {
      const { breaker } = tripOnFirstFailure();
      await trip(breaker);
      const events = collect(breaker);
      expect(() => breaker.tryAcquire()).toThrow(CircuitBreakerOpenError);
      expect(events.map((e) => e.type)).toEqual(['rejected']);
    });

    it('aborts the permit signal with a timeout error and ignores later reports', () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const permit: BreakerPermit = breaker.tryAcquire();
      const signal = permit.signal;
      expect(signal.aborted).toBe(false);
      clock.advance(100);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(CircuitBreakerTimeoutError);
      permit.success();
      expect(breaker.metrics().calls).toMatchObject({ failed: 1, timedOut: 1, successful: 0 });
    });

    it('builds an already-aborted signal when first read after the timeout', () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      const permit = breaker.tryAcquire();
      clock.advance(100);
      expect(permit.signal.aborted).toBe(true);
      expect(permit.signal.reason).toBeInstanceOf(CircuitBreakerTimeoutError);
    });

    it('ignores a failure reported after the caller aborted', () => {
      const { breaker } = setup({ timeoutMs: 100 });
      const controller = new AbortController();
      const permit = breaker.tryAcquire(controller.signal);
      const signal = permit.signal;
      controller.abort('gone');
      expect(signal.reason).toBe('gone');
      permit.failure(new Error('aborted'));
      expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    });

    it('a probe permit decides the half-open state like execute()', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      clock.advance(1_000);
      const probe = breaker.tryAcquire();
      expect(() => breaker.tryAcquire()).toThrow(CircuitBreakerOpenError);
      probe.success();
      expect(breaker.state).toBe(CircuitState.CLOSED);
    });
  });

  describe('events', () => {
    it('reports success and failure with duration and slowness when subscribed', async () => {
      const { breaker, clock } = setup({ slowCallDurationMs: 50 });
      const events = collect(breaker);
      const call = deferred<string>();
      const result = breaker.execute(() => call.promise);
      clock.advance(70);
      call.resolve('ok');
      await result;
      await outcome(breaker.execute(failing));
      expect(events).toEqual([
        { type: 'success', breaker: 'db', at: 1_000_070, durationMs: 70, slow: true },
        { type: 'failure', breaker: 'db', at: 1_000_070, durationMs: 0, slow: false, error: boom },
      ]);
    });

    it('orders a trip after the failure that caused it', async () => {
      const { breaker } = tripOnFirstFailure();
      const events = collect(breaker);
      await outcome(breaker.execute(failing));
      expect(events.map((e) => e.type)).toEqual(['failure', 'state_change']);
    });

    it('reports durationMs -1 for a call admitted before anyone subscribed (the clock was not read)', async () => {
      const { breaker } = setup();
      expect(await eventsOfCallAdmittedUnobserved(breaker)).toEqual([{ type: 'success', breaker: 'db', at: 1_000_000, durationMs: -1, slow: false }]);
    });

    it('completes on dispose, which also clears the timeout timer', async () => {
      const { breaker, clock } = setup({ timeoutMs: 100 });
      let completed = false;
      breaker.events$.subscribe({ complete: () => (completed = true) });
      void breaker.execute(() => new Promise<never>(() => undefined));
      expect(clock.pendingTimers).toBe(1);
      breaker.dispose();
      expect(completed).toBe(true);
      expect(clock.pendingTimers).toBe(0);
      void breaker.execute(() => new Promise<never>(() => undefined));
      expect(clock.pendingTimers).toBe(0);
      let lateCompleted = false;
      breaker.events$.subscribe({ complete: () => (lateCompleted = true) });
      expect(lateCompleted).toBe(true);
    });

    it('completes a subscriber of a breaker disposed before anyone subscribed', () => {
      const { breaker } = setup();
      breaker.dispose();
      let completed = false;
      breaker.events$.subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true);
    });

    it('stateChanges$ carries the state changes only, the same objects as events$, and completes on dispose', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      const changes: StateChangeEvent[] = [];
      let completed = false;
      breaker.stateChanges$.subscribe({ next: (event) => changes.push(event), complete: () => (completed = true) });
      const events = collect(breaker);
      await outcome(breaker.execute(ok));
      await trip(breaker);
      await outcome(breaker.execute(ok)); // rejected
      clock.advance(1_000);
      await outcome(breaker.execute(ok)); // the probe closes it
      expect(changes.map(({ from, to, at }) => [from, to, at])).toEqual([
        [CircuitState.CLOSED, CircuitState.OPEN, 1_000_000],
        [CircuitState.OPEN, CircuitState.HALF_OPEN, 1_001_000],
        [CircuitState.HALF_OPEN, CircuitState.CLOSED, 1_001_000],
      ]);
      expect(events.filter((event) => event.type === 'state_change')).toEqual(changes);
      breaker.dispose();
      expect(completed).toBe(true);
    });

    it('a stateChanges$ subscriber puts no per-call work on calls (the clock is not read for events$)', async () => {
      const { breaker } = setup();
      breaker.stateChanges$.subscribe(() => undefined);
      // Admitted while only stateChanges$ was observed: no start time was taken, as with no subscriber at all.
      expect(await eventsOfCallAdmittedUnobserved(breaker)).toEqual([{ type: 'success', breaker: 'db', at: 1_000_000, durationMs: -1, slow: false }]);
    });
  });

  describe('metrics', () => {
    it('counts every outcome under the field its event names (success→successful, failure→failed, ignored, rejected→notPermitted, timeout→timedOut, state_change→transitions)', async () => {
      const { breaker, clock } = setup({
        window: { kind: 'consecutive', failures: 2 },
        openDurationMs: 1_000,
        timeoutMs: 100,
        slowCallDurationMs: 50,
        ignoreErrors: [TypeError],
      });
      const events = collect(breaker);
      await breaker.execute(ok);
      const slow = deferred<string>();
      const slowResult = breaker.execute(() => slow.promise);
      clock.advance(60);
      slow.resolve('slow');
      await slowResult;
      await outcome(breaker.execute(() => Promise.reject(new TypeError('caller bug'))));
      await outcome(breaker.execute(ok, AbortSignal.abort('gone')));
      await outcome(breaker.execute(failing));
      const hung = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      clock.advance(100);
      await hung;
      await outcome(breaker.execute(ok));
      clock.advance(1_000);
      await breaker.execute(ok);

      const byType = (type: CircuitBreakerEvent['type']) => events.filter((event) => event.type === type).length;
      expect([...new Set(events.map((event) => event.type))].toSorted()).toEqual(
        ['failure', 'ignored', 'rejected', 'state_change', 'success', 'timeout'],
      );
      const { calls, transitions: moves } = breaker.metrics();
      expect(calls).toEqual({
        successful: byType('success'),
        failed: byType('failure'),
        ignored: byType('ignored'),
        notPermitted: byType('rejected'),
        timedOut: byType('timeout'),
        slow: events.filter((event) => 'slow' in event && event.slow).length,
      });
      expect(calls).toEqual({ successful: 3, failed: 2, ignored: 2, notPermitted: 1, timedOut: 1, slow: 2 });
      expect(moves).toBe(byType('state_change'));
      expect(moves).toBe(3);
    });

    it('counts calls by outcome and reports rates, state, time in state and transitions', async () => {
      const { breaker, clock } = setup({
        window: { kind: 'count', size: 10 },
        minimumCalls: 4,
        failureRateThreshold: 60,
        timeoutMs: 100,
        ignoreErrors: [TypeError],
      });
      await breaker.execute(ok);
      await outcome(breaker.execute(failing));
      await outcome(breaker.execute(() => Promise.reject(new TypeError('x'))));
      const hung = outcome(breaker.execute(() => new Promise<never>(() => undefined)));
      expect(breaker.metrics().inFlight).toBe(1);
      // It started alone after the others settled, so it may be stamped up to a tick (100 / 16 ms) late.
      clock.advance(100 + 100 / 16);
      await hung;
      // 2 failures (one timed out) of 3 counted calls, under minimumCalls 4.
      expect(breaker.metrics()).toMatchObject({ failureRate: -1, bufferedCalls: 3 });
      await breaker.execute(ok);
      expect(breaker.metrics()).toEqual({
        name: 'db',
        state: CircuitState.CLOSED,
        calls: { successful: 2, failed: 2, ignored: 1, notPermitted: 0, timedOut: 1, slow: 0 },
        failureRate: 50,
        slowCallRate: 0,
        bufferedCalls: 4,
        inFlight: 0,
        timeInStateMs: 100 + 100 / 16,
        transitions: 0,
        consecutiveTrips: 0,
      });
      await outcome(breaker.execute(failing));
      expect(breaker.metrics()).toMatchObject({ state: CircuitState.OPEN, transitions: 1, consecutiveTrips: 1, timeInStateMs: 0 });
    });
  });

  describe('toJSON / initialState', () => {
    it('restores an OPEN breaker with its remaining open time and totals', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      clock.advance(300);
      const snapshot = JSON.parse(JSON.stringify(breaker));
      expect(snapshot).toEqual({
        name: 'db',
        state: CircuitState.OPEN,
        stateSince: 1_000_000,
        openUntil: 1_001_000,
        consecutiveTrips: 1,
        transitions: 1,
        calls: { successful: 0, failed: 1, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
      });
      const restored = new CircuitBreakerPolicy({
        name: 'db',
        clock,
        window: { kind: 'consecutive', failures: 1 },
        initialState: snapshot,
      });
      expect(restored.state).toBe(CircuitState.OPEN);
      expect(((await outcome(restored.execute(ok))).error as CircuitBreakerOpenError).retryAfterMs).toBe(700);
      clock.advance(700);
      expect(restored.state).toBe(CircuitState.HALF_OPEN);
      expect(restored.metrics()).toMatchObject({ transitions: 2, consecutiveTrips: 1, calls: { failed: 1, notPermitted: 1 } });
    });

    it('saves HALF_OPEN as the OPEN period it came from, so a restart re-offers the probe slot', async () => {
      const { breaker, clock } = tripOnFirstFailure();
      await trip(breaker);
      clock.advance(1_500);
      void breaker.execute(() => new Promise(() => undefined));
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      const snapshot = breaker.toJSON();
      expect(snapshot).toMatchObject({ state: CircuitState.OPEN, stateSince: 1_000_000, openUntil: 1_001_000, transitions: 1 });
      const restored = new CircuitBreakerPolicy({ clock, initialState: snapshot });
      expect(restored.state).toBe(CircuitState.HALF_OPEN);
      expect(restored.metrics()).toMatchObject({ transitions: 2, timeInStateMs: 500 });
      await restored.execute(ok);
      expect(restored.state).toBe(CircuitState.CLOSED);
    });

    it('restores operator states with their reason', () => {
      const { breaker, clock } = setup();
      breaker.disable('load test');
      const restored = new CircuitBreakerPolicy({ name: 'db', clock, initialState: breaker.toJSON() });
      expect(restored.state).toBe(CircuitState.DISABLED);
      expect(restored.toJSON()).toEqual(breaker.toJSON());
    });
  });

  describe('hot paths', () => {
    it('counts an outcome before the caller sees it, on every path (untracked, tracked, timed)', async () => {
      const paths: [string, CircuitBreakerOptions, AbortSignal | undefined][] = [
        ['untracked', {}, undefined],
        ['tracked (caller signal)', {}, new AbortController().signal],
        ['tracked (slow-call timing)', { slowCallDurationMs: 1_000 }, undefined],
        ['timed', { timeoutMs: 1_000 }, undefined],
      ];
      for (const [path, options, signal] of paths) {
        const { breaker } = setup(options);
        const onValue = await breaker.execute(ok, signal).then(() => breaker.metrics().calls);
        const onError = await breaker.execute(failing, signal).catch(() => breaker.metrics().calls);
        expect([path, onValue]).toEqual([path, expect.objectContaining({ successful: 1, failed: 0 })]);
        expect([path, onError]).toEqual([path, expect.objectContaining({ successful: 1, failed: 1 })]);
      }
    });

    it('reads no clock for calls in CLOSED, DISABLED or METRICS_ONLY with a count or consecutive window', async () => {
      for (const window of [{ kind: 'count', size: 10 }, { kind: 'consecutive', failures: 100 }] as const) {
        for (const operate of [undefined, 'disable', 'metricsOnly'] as const) {
          const clock = new CountingClock();
          const breaker = new CircuitBreakerPolicy({ clock, window });
          if (operate !== undefined) breaker[operate]('test');
          const reads = await readsDuring(clock, async () => {
            await breaker.execute(ok);
            await outcome(breaker.execute(failing));
          });
          expect([window.kind, operate, reads]).toEqual([window.kind, operate, 0]);
        }
      }
    });

    it('executeMethod applies a method to its target with the given arguments and no signal', async () => {
      const target = {
        factor: 2,
        times(this: { factor: number }, ...args: unknown[]): Promise<number> {
          return Promise.resolve(args.length === 1 ? this.factor * (args[0] as number) : Number.NaN);
        },
        fail(): Promise<never> {
          return Promise.reject(boom);
        },
      };
      const { breaker, clock } = setup({ timeoutMs: 100 });
      await expect(breaker.executeMethod(target, target.times, [21])).resolves.toBe(42);
      await expect(breaker.executeMethod(target, target.fail, [])).rejects.toBe(boom);
      const hanging = outcome(breaker.executeMethod(target, () => new Promise<never>(() => undefined), []));
      clock.advance(100 + 100 / 16);
      expect((await hanging).error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect(breaker.metrics().calls).toMatchObject({ successful: 1, failed: 2, timedOut: 1 });
      const untimed = setup().breaker;
      await expect(untimed.executeMethod(target, target.times, [4])).resolves.toBe(8);
      expect(untimed.metrics().calls.successful).toBe(1);
    });

    it('builds a per-call signal only for functions that declare a parameter, however they alternate', async () => {
      const { breaker } = setup({ timeoutMs: 100 });
      const seen: unknown[] = [];
      const noParameter = function (): number {
        seen.push(arguments[0]);
        return 1;
      };
      const withParameter = (signal: AbortSignal): number => {
        seen.push(signal);
        return 2;
      };
      for (const fn of [noParameter, withParameter, noParameter, withParameter, withParameter]) await breaker.execute(fn);
      const [idle, first, idleAgain, second, third] = seen;
      expect(idleAgain).toBe(idle);
      expect(new Set([idle, first, second, third]).size).toBe(4);
    });
  });

  describe('idle breakers', () => {
    it('hold no timers, whatever their state', async () => {
      const clock = new FakeClock();
      const breakers = Array.from(
        { length: 100 },
        (_, i) => new CircuitBreakerPolicy({
            name: `b${i}`,
            clock,
            window: { kind: 'consecutive', failures: 1 },
            openDurationMs: 1_000,
            timeoutMs: 1_000,
          }),
      );
      for (const breaker of breakers.slice(0, 50)) await outcome(breaker.execute(failing));
      breakers[60]!.forceOpen('x');
      clock.advance(1_000);
      expect(clock.pendingTimers).toBe(0);
      expect(breakers.filter((b) => b.state === CircuitState.HALF_OPEN)).toHaveLength(50);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('errors', () => {
    it('guards recognise errors from another copy of the library by their registered brand', () => {
      const foreignOpen = Object.assign(new Error('x'), { [Symbol.for('@engined/resilience/CircuitBreakerOpenError')]: true });
      const foreignTimeout = Object.assign(new Error('x'), {
        [Symbol.for('@engined/resilience/CircuitBreakerTimeoutError')]: true,
      });
      expect(isCircuitBreakerOpenError(foreignOpen)).toBe(true);
      expect(isCircuitBreakerTimeoutError(foreignTimeout)).toBe(true);
      expect(isCircuitBreakerOpenError(foreignTimeout)).toBe(false);
      expect(isCircuitBreakerOpenError(new Error('x'))).toBe(false);
      expect(isCircuitBreakerTimeoutError(null)).toBe(false);
      expect(isCircuitBreakerOpenError('CircuitBreakerOpenError')).toBe(false);
    });

    it('a rejection builds its message and stack only when read; both read and assign like an error\'s', async () => {
      const { breaker } = tripOnFirstFailure();
      await trip(breaker);
      const error = (await outcome(breaker.execute(ok))).error as CircuitBreakerOpenError;
      expect(Object.keys(error)).toEqual(['breaker', 'state', 'retryAfterMs']);
      expect(Object.getOwnPropertyNames(error)).not.toContain('message');
      expect(error.name).toBe('CircuitBreakerOpenError');
      expect(error.message).toBe('Circuit breaker "db" is OPEN; retry after 1000 ms');
      expect(error.stack).toBe('CircuitBreakerOpenError: Circuit breaker "db" is OPEN; retry after 1000 ms');
      expect(String(error)).toBe('CircuitBreakerOpenError: Circuit breaker "db" is OPEN; retry after 1000 ms');
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(CircuitBreakerOpenError);
      error.message = `[db] ${error.message}`;
      expect(error.message).toBe('[db] Circuit breaker "db" is OPEN; retry after 1000 ms');
      expect(error.stack).toBe('CircuitBreakerOpenError: [db] Circuit breaker "db" is OPEN; retry after 1000 ms');
      error.stack = 'replaced';
      expect(error.stack).toBe('replaced');
      expect(Object.keys(error)).toEqual(['breaker', 'state', 'retryAfterMs']);
      // Errors built with `new` keep their own message and captured stack.
      const built = new CircuitBreakerOpenError('db', CircuitState.OPEN, 5, 'custom');
      expect(built.message).toBe('custom');
      expect(built.stack).toContain('circuit-breaker.policy.spec');
    });

    it('constructed with new, they are ordinary errors with a stack', () => {
      const open = new CircuitBreakerOpenError('db', CircuitState.OPEN, 250);
      expect(open.message).toBe('Circuit breaker "db" is OPEN; retry after 250 ms');
      expect(open.stack).toContain('circuit-breaker.policy.spec');
      expect(isCircuitBreakerOpenError(open)).toBe(true);
      const timeout = new CircuitBreakerTimeoutError('db', 100);
      expect(timeout).toMatchObject({ name: 'CircuitBreakerTimeoutError', message: 'Circuit breaker "db": call timed out after 100 ms' });
    });
  });

  describe('execute() input', () => {
    it('rejects a non-function without admitting a call', async () => {
      const { breaker } = setup();
      await expect(breaker.execute(undefined as unknown as () => number)).rejects.toBeInstanceOf(TypeError);
      expect(breaker.metrics().calls).toMatchObject({ successful: 0, failed: 0 });
    });
  });
});
