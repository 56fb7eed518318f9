import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { FakeClock } from '../testing/fake-clock.js';
import { CallTimeoutError, isCallTimeoutError } from './errors/call-timeout.error.js';
import { TimeoutPolicy } from './timeout.policy.js';
import { never, outcome } from '../__fixtures__/async.js';


describe('TimeoutPolicy', () => {
  it('rejects with CallTimeoutError after timeoutMs and aborts the signal of a fn that takes it', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy({ name: 'q', timeoutMs: 100, clock });
    let signal: AbortSignal | undefined;
    const result = outcome(
      timeout.execute((s) => {
        signal = s;
        return never();
      }),
    );
    clock.advance(99);
    expect(signal!.aborted).toBe(false);
    clock.advance(1);
    const { error } = await result;
    expect(isCallTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ timeout: 'q', timeoutMs: 100, message: 'Timeout "q": call timed out after 100 ms' });
    expect(signal!.reason).toBe(error);
    expect(clock.pendingTimers).toBe(0);
  });

  it('answers a call that settles in time and clears its timer', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy({ timeoutMs: 100, clock });
    await expect(timeout.execute(async () => 'ok')).resolves.toBe('ok');
    await expect(timeout.execute(() => 'sync')).resolves.toBe('sync');
    await expect(timeout.execute(async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives the call only the rest of a nearer deadline, and rejects at once when it has passed', async () => {
    const clock = new FakeClock(1_000);
    const timeout = new TimeoutPolicy({ timeoutMs: 100, clock });
    const result = outcome(timeout.execute(never, undefined, 1_030));
    clock.advance(30);
    expect((await result).error).toMatchObject({ timeoutMs: 30 });
    let called = false;
    const late = await outcome(
      timeout.execute(async () => {
        called = true;
      }, undefined, clock.now()),
    );
    expect(isCallTimeoutError(late.error)).toBe(true);
    expect(called).toBe(false);
  });

  it("forwards the caller's abort to the call's signal; an aborted signal never runs fn", async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy({ timeoutMs: 100, clock });
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    void timeout.execute((s) => {
      signal = s;
      return never();
    }, controller.signal);
    controller.abort(new Error('left'));
    expect(signal!.reason).toEqual(new Error('left'));
    await expect(timeout.execute(async () => 1, controller.signal)).rejects.toThrow('left');
  });

  it('builds no AbortController for a fn that declares no parameter', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy({ timeoutMs: 100, clock });
    const controller = new AbortController();
    let received: unknown;
    await timeout.execute(function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      received = arguments[0];
      return 1;
    }, controller.signal);
    expect(received).toBe(controller.signal);
  });

  it.each([
    [{}, 'Timeout "timeout": option "timeoutMs" must be a positive finite number of ms, got undefined'],
    [{ timeoutMs: -1 }, 'Timeout "timeout": option "timeoutMs" must be a positive finite number of ms, got -1'],
    [{ timeoutMs: 5, ms: 1 }, 'Timeout "timeout": option "ms" is not a timeout option, got 1'],
  ])('rejects %j naming the option', (options, message) => {
    expect(() => new TimeoutPolicy(options as never)).toThrow(InvalidOptionError);
    expect(() => new TimeoutPolicy(options as never)).toThrow(message);
  });

  it('CallTimeoutError built with new is an ordinary error recognised by its guard', () => {
    const error = new CallTimeoutError('t', 5);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CallTimeoutError');
    expect(isCallTimeoutError(error)).toBe(true);
    expect(isCallTimeoutError(new Error('x'))).toBe(false);
  });
});
