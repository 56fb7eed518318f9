import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { BulkheadEvent } from './bulkhead.events.js';
import type { BulkheadOptions } from './bulkhead.options.js';
import { BulkheadPolicy } from './bulkhead.policy.js';
import { BulkheadRejectedError, isBulkheadRejectedError } from './errors/bulkhead-rejected.error.js';
import { deferred, flush, outcome } from '../__fixtures__/async.js';

function setup(options: BulkheadOptions = {}) {
  const clock = new FakeClock(5_000);
  const bulkhead = new BulkheadPolicy({ name: 'db', clock, ...options });
  const events: BulkheadEvent[] = [];
  bulkhead.events$.subscribe((event) => events.push(event));
  return { clock, bulkhead, events };
}

describe('BulkheadPolicy', () => {
  it('runs up to maxConcurrent calls at once and rejects the next at once with BulkheadRejectedError', async () => {
    const { bulkhead, events } = setup({ maxConcurrent: 2 });
    const running = [deferred(), deferred()];
    const answers = running.map((call) => bulkhead.execute(() => call.promise));
    let called = false;
    const rejected = await outcome(
      bulkhead.execute(async () => {
        called = true;
        return 'never';
      }),
    );
    expect(called).toBe(false);
    expect(isBulkheadRejectedError(rejected.error)).toBe(true);
    expect(rejected.error).toBeInstanceOf(BulkheadRejectedError);
    expect(rejected.error).toMatchObject({ bulkhead: 'db', reason: 'full', maxConcurrent: 2, maxQueued: 0 });
    expect((rejected.error as Error).message).toBe('Bulkhead "db" is full (2 running, 0 queued)');
    expect(bulkhead.active).toBe(2);
    running[0]!.resolve('a');
    running[1]!.resolve('b');
    await expect(Promise.all(answers)).resolves.toEqual(['a', 'b']);
    expect(bulkhead.metrics()).toEqual({
      name: 'db',
      maxConcurrent: 2,
      maxQueued: 0,
      active: 0,
      queued: 0,
      calls: { admitted: 2, rejected: 1, queueTimedOut: 0, cancelled: 0 },
    });
    expect(events.map((e) => e.type)).toEqual(['admitted', 'admitted', 'rejected']);
  });

  it('queues up to maxQueued calls and runs them in order as slots free', async () => {
    const { bulkhead, events } = setup({ maxConcurrent: 1, maxQueued: 2 });
    const calls = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const answers = calls.map((call, i) =>
      outcome(
        bulkhead.execute(() => {
          started.push(i);
          return call.promise;
        }),
      ),
    );
    await expect(bulkhead.execute(async () => 'x')).rejects.toMatchObject({ reason: 'full', maxQueued: 2 });
    expect([bulkhead.active, bulkhead.queued, started]).toEqual([1, 2, [0]]);
    calls[0]!.resolve('first');
    await flush();
    expect(started).toEqual([0, 1]);
    calls[1]!.reject(new Error('second failed'));
    await flush();
    expect(started).toEqual([0, 1, 2]);
    calls[2]!.resolve('third');
    const results = await Promise.all(answers);
    expect(results).toEqual([{ value: 'first' }, { error: new Error('second failed') }, { value: 'third' }]);
    expect(bulkhead.metrics()).toMatchObject({ active: 0, queued: 0, calls: { admitted: 3, rejected: 1 } });
    expect(events.filter((e) => e.type === 'queued')).toHaveLength(2);
  });

  it('frees the slot of a call that throws synchronously or returns a plain value', async () => {
    const { bulkhead } = setup({ maxConcurrent: 1 });
    await expect(
      bulkhead.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(bulkhead.execute(() => 7)).resolves.toBe(7);
    expect(bulkhead.active).toBe(0);
  });

  it('returns the promise fn returned when the call runs at once, and frees the slot before the caller resumes', async () => {
    const { bulkhead } = setup({ maxConcurrent: 1 });
    const own = Promise.resolve('own');
    const answer = bulkhead.execute(() => own);
    expect(answer).toBe(own);
    await answer;
    expect(bulkhead.active).toBe(0);
  });

  it('a queued call leaves the queue at the queue timeout with reason queue_timeout (one shared timer)', async () => {
    const { clock, bulkhead, events } = setup({ maxConcurrent: 1, maxQueued: 3, queueTimeoutMs: 100 });
    const blocker = deferred();
    void bulkhead.execute(() => blocker.promise);
    const first = outcome(bulkhead.execute(async () => 'first'));
    clock.advance(40);
    const second = outcome(bulkhead.execute(async () => 'second'));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(59);
    expect(bulkhead.queued).toBe(2);
    clock.advance(1);
    expect((await first).error).toMatchObject({ reason: 'queue_timeout', bulkhead: 'db' });
    expect(bulkhead.queued).toBe(1);
    clock.advance(39);
    expect(bulkhead.queued).toBe(1);
    clock.advance(1);
    expect((await second).error).toMatchObject({ reason: 'queue_timeout' });
    expect(clock.pendingTimers).toBe(0);
    expect(bulkhead.metrics().calls.queueTimedOut).toBe(2);
    expect(events.filter((e) => e.type === 'rejected').map((e) => e.type === 'rejected' && e.reason)).toEqual(['queue_timeout', 'queue_timeout']);
    blocker.resolve('done');
  });

  it('a call that gets its slot before the queue timeout runs and is not timed out', async () => {
    const { clock, bulkhead } = setup({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 100 });
    const blocker = deferred();
    void bulkhead.execute(() => blocker.promise);
    const queued = bulkhead.execute(async () => 'ran');
    clock.advance(50);
    blocker.resolve('x');
    await expect(queued).resolves.toBe('ran');
    clock.advance(100);
    expect(bulkhead.metrics().calls).toMatchObject({ admitted: 2, queueTimedOut: 0 });
  });

  it('a queued call whose caller aborts leaves at once with the reason; an aborted signal is never queued or run', async () => {
    const { bulkhead, events } = setup({ maxConcurrent: 1, maxQueued: 1 });
    const blocker = deferred();
    void bulkhead.execute(() => blocker.promise);
    const controller = new AbortController();
    const queued = outcome(bulkhead.execute(async () => 'never', controller.signal));
    expect(bulkhead.queued).toBe(1);
    controller.abort(new Error('caller left'));
    expect((await queued).error).toEqual(new Error('caller left'));
    expect(bulkhead.queued).toBe(0);
    // The freed queue place is usable again.
    const next = bulkhead.execute(async () => 'next');
    await expect(bulkhead.execute(async () => 'x', controller.signal)).rejects.toThrow('caller left');
    blocker.resolve('done');
    await expect(next).resolves.toBe('next');
    expect(bulkhead.metrics().calls.cancelled).toBe(2);
    expect(events.filter((e) => e.type === 'cancelled')).toHaveLength(2);
  });

  it('hands the caller signal to fn', async () => {
    const { bulkhead } = setup();
    const controller = new AbortController();
    await bulkhead.execute((signal) => expect(signal).toBe(controller.signal), controller.signal);
  });

  it('dispose clears the queue timer; queued calls still get slots', async () => {
    const { clock, bulkhead } = setup({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 100 });
    const blocker = deferred();
    void bulkhead.execute(() => blocker.promise);
    const queued = bulkhead.execute(async () => 'later');
    expect(clock.pendingTimers).toBe(1);
    bulkhead.dispose();
    expect(clock.pendingTimers).toBe(0);
    blocker.resolve('x');
    await expect(queued).resolves.toBe('later');
  });

  it('keeps an idle bulkhead timer-free and small', () => {
    const clock = new FakeClock();
    const idle = Array.from({ length: 100 }, (_, i) => new BulkheadPolicy({ name: `b${i}`, clock, queueTimeoutMs: 100 }));
    expect(idle).toHaveLength(100);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    [{ maxConcurrent: 0 }, 'Bulkhead "bulkhead": option "maxConcurrent" must be a positive integer, got 0'],
    [{ maxQueued: -1 }, 'Bulkhead "bulkhead": option "maxQueued" must be a non-negative integer, got -1'],
    [{ maxQueued: 1.5 }, 'Bulkhead "bulkhead": option "maxQueued" must be a non-negative integer, got 1.5'],
    [{ queueTimeoutMs: 0 }, 'Bulkhead "bulkhead": option "queueTimeoutMs" must be a positive finite number of ms, got 0'],
    [{ limit: 3 }, 'Bulkhead "bulkhead": option "limit" is not a bulkhead option, got 3'],
  ])('rejects %j naming the option and value', (options, message) => {
    expect(() => new BulkheadPolicy(options as BulkheadOptions)).toThrow(InvalidOptionError);
    expect(() => new BulkheadPolicy(options as BulkheadOptions)).toThrow(message);
  });

  it('builds its rejection without a stack capture; `new` builds an ordinary error', () => {
    const error = new BulkheadRejectedError('db', 'queue_timeout', 1, 2);
    expect(error.message).toBe('Bulkhead "db": no slot freed within the queue timeout');
    expect(error.name).toBe('BulkheadRejectedError');
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect(isBulkheadRejectedError({ reason: 'full' })).toBe(false);
    // A copy of the library recognises it by the registered symbol brand.
    expect(isBulkheadRejectedError({ [Symbol.for('@engined/resilience/BulkheadRejectedError')]: true })).toBe(true);
  });
});
