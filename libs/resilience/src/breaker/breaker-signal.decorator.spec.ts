import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Observable, lastValueFrom } from 'rxjs';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { ResilienceModule } from '../resilience.module.js';
import { FakeClock } from '../testing/fake-clock.js';
import { BreakerSignal } from './breaker-signal.decorator.js';
import { BreakerRegistry } from './breaker.registry.js';
import { CircuitBreaker } from './circuit-breaker.decorator.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerTimeoutError, isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

/** Lets every pending promise reaction run (a macrotask turn, not a wall-clock wait). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Captures how a promise settled, without waiting for it. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const TIMED = { window: { kind: 'consecutive', failures: 5 }, timeoutMs: 100 } as const;

/** A downstream call that only ends when its signal aborts, as `fetch(url, { signal })` does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

@Injectable()
class Client {
  readonly signals: AbortSignal[] = [];
  calls = 0;

  @CircuitBreaker(TIMED)
  async fetch(id: string, @BreakerSignal() signal?: AbortSignal): Promise<string> {
    this.calls++;
    this.signals.push(signal!);
    if (id === 'hang') return untilAborted(signal!);
    return `record ${id}`;
  }

  @CircuitBreaker({ window: { kind: 'consecutive', failures: 5 } })
  async untimed(@BreakerSignal() signal?: AbortSignal): Promise<AbortSignal> {
    this.calls++;
    return signal!;
  }

  @CircuitBreaker(TIMED)
  watch(id: string, @BreakerSignal() signal?: AbortSignal): Observable<string> {
    this.calls++;
    this.signals.push(signal!);
    return new Observable<string>((subscriber) => {
      if (id !== 'hang') {
        subscriber.next(id);
        subscriber.complete();
      }
    });
  }

  @CircuitBreaker(TIMED)
  compute(n: number, @BreakerSignal() signal?: AbortSignal): number {
    this.signals.push(signal!);
    return n * 2;
  }
}

@Injectable()
class WithFallback {
  @CircuitBreaker({ ...TIMED, window: { kind: 'consecutive', failures: 1 }, fallback: 'cached' })
  async fetch(id: string, @BreakerSignal() signal?: AbortSignal): Promise<string> {
    return untilAborted(signal!);
  }

  cached(id: string, signal: AbortSignal | undefined, error: unknown): string {
    return `cached ${id} (${typeof signal}, ${(error as Error).name})`;
  }
}

@Injectable()
class TwoSignals {
  @CircuitBreaker()
  async fetch(@BreakerSignal() a?: AbortSignal, @BreakerSignal() b?: AbortSignal): Promise<boolean> {
    return a === b;
  }
}

let open: TestingModule | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function boot(providers: Provider[]) {
  const clock = new FakeClock();
  const ref = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock })], providers }).compile();
  await ref.init();
  open = ref;
  return { ref, clock, registry: ref.get(BreakerRegistry) };
}

describe('@BreakerSignal()', () => {
  it('hands a Promise method its own signal; a timeout aborts it, never a neighbour’s', async () => {
    const { ref, clock, registry } = await boot([Client]);
    const client = ref.get(Client);
    const slow = track(client.fetch('hang'));
    clock.advance(60);
    const neighbour = track(client.fetch('hang'));
    const [slowSignal, neighbourSignal] = client.signals;
    expect(slowSignal).toBeInstanceOf(AbortSignal);
    expect(neighbourSignal).not.toBe(slowSignal);

    clock.advance(40);
    await flush();
    expect(slowSignal!.aborted).toBe(true);
    expect(slowSignal!.reason).toBeInstanceOf(CircuitBreakerTimeoutError);
    expect(slow.error).toBe(slowSignal!.reason);
    expect(neighbourSignal!.aborted).toBe(false);
    expect(neighbour.settled).toBe(false);
    expect(registry.get('Client.fetch')!.metrics().calls).toMatchObject({ failed: 1, timedOut: 1 });

    clock.advance(60);
    await flush();
    expect(isCircuitBreakerTimeoutError(neighbour.error)).toBe(true);
  });

  it('merges a signal the caller passes in that position: its abort reaches the method and is ignored, not a failure', async () => {
    const { ref, registry } = await boot([Client]);
    const client = ref.get(Client);
    const controller = new AbortController();
    const call = track(client.fetch('hang', controller.signal));
    const seen = client.signals[0]!;
    expect(seen).not.toBe(controller.signal); // the per-call signal, which the timeout can abort
    controller.abort('client went away');
    await flush();
    expect(seen.aborted).toBe(true);
    expect(call.error).toBe('client went away');
    expect(registry.get('Client.fetch')!.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
  });

  it('does not call the method when the caller’s signal is already aborted', async () => {
    const { ref, registry } = await boot([Client]);
    const client = ref.get(Client);
    await expect(client.fetch('1', AbortSignal.abort('too late'))).rejects.toBe('too late');
    expect(client.calls).toBe(0);
    expect(registry.get('Client.fetch')!.metrics().calls).toMatchObject({ ignored: 1, successful: 0 });
  });

  it('without a timeout, passes the caller’s signal through, or a signal that never aborts', async () => {
    const { ref } = await boot([Client]);
    const client = ref.get(Client);
    const controller = new AbortController();
    await expect(client.untimed(controller.signal)).resolves.toBe(controller.signal);
    const own = await client.untimed();
    expect(own).toBeInstanceOf(AbortSignal);
    expect(own.aborted).toBe(false);
  });

  it('calls an Observable method once per subscription, each with its own signal', async () => {
    const { ref, clock, registry } = await boot([Client]);
    const client = ref.get(Client);
    const hung = client.watch('hang');
    expect(client.calls).toBe(0);
    const errors: unknown[] = [];
    hung.subscribe({ error: (error: unknown) => errors.push(error) });
    clock.advance(50);
    await expect(lastValueFrom(client.watch('fine'))).resolves.toBe('fine');
    const [hungSignal, fineSignal] = client.signals;
    clock.advance(50);
    expect(hungSignal!.aborted).toBe(true);
    expect(errors).toEqual([hungSignal!.reason]);
    expect(isCircuitBreakerTimeoutError(errors[0])).toBe(true);
    expect(fineSignal!.aborted).toBe(false);
    expect(registry.get('Client.watch')!.metrics().calls).toMatchObject({ successful: 1, timedOut: 1 });
  });

  it('hands a synchronous method a signal and keeps it synchronous', async () => {
    const { ref } = await boot([Client]);
    const client = ref.get(Client);
    expect(client.compute(21)).toBe(42);
    expect(client.signals[0]).toBeInstanceOf(AbortSignal);
  });

  it('gives the fallback the arguments in the method’s positions, signal slot included, then the error', async () => {
    const { ref, clock, registry } = await boot([WithFallback]);
    const client = ref.get(WithFallback);
    const timedOut = track(client.fetch('7'));
    clock.advance(100);
    await flush();
    expect(timedOut.value).toBe('cached 7 (object, CircuitBreakerTimeoutError)');
    expect(registry.get('WithFallback.fetch')!.state).toBe(CircuitState.OPEN);
    // Rejected: the method never ran, the slot holds what the caller passed.
    await expect(client.fetch('8')).resolves.toBe('cached 8 (undefined, CircuitBreakerOpenError)');
  });

  it('rejects two signal parameters on one method at bootstrap, naming the method', async () => {
    const ref = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()], providers: [TwoSignals] }).compile();
    const error = await ref.init().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    await ref.close();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ owner: '@CircuitBreaker() on TwoSignals.fetch', option: '@BreakerSignal()', value: [0, 1] });
  });

  it('leaves the method alone when no ResilienceModule bound it', async () => {
    const client = new Client();
    await expect(client.fetch('1')).resolves.toBe('record 1');
    expect(client.signals).toEqual([undefined]);
  });
});
