import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Observable, of } from 'rxjs';
import { BreakerSignal } from '../breaker/breaker-signal.decorator.js';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.decorator.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { Bulkhead } from '../bulkhead/bulkhead.decorator.js';
import { BulkheadRegistry } from '../bulkhead/bulkhead.registry.js';
import { isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { Fallback } from '../fallback/fallback.decorator.js';
import { ResilienceModule } from '../resilience.module.js';
import { Retry } from '../retry/retry.decorator.js';
import { RetryRegistry } from '../retry/retry.registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import { isCallTimeoutError } from '../timeout/errors/call-timeout.error.js';
import { Timeout } from '../timeout/timeout.decorator.js';
import { Resilient } from './resilient.decorator.js';
import { advance, flush, never, outcome } from '../__fixtures__/async.js';

const RETRY = { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 10 }, budget: false } as const;
const BREAKER = { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 60_000 } as const;

/** A dependency the test switches between answering, failing and hanging; records each call. */
class Dependency {
  mode: 'answer' | 'fail' | 'hang' = 'answer';
  calls = 0;
  hit(): Promise<string> {
    this.calls++;
    if (this.mode === 'hang') return never();
    return this.mode === 'fail' ? Promise.reject(new Error('dependency down')) : Promise.resolve('answer');
  }
}

// The same stages, written in two different orders: they must compose the same way.
@Injectable()
class RetryOutside {
  readonly dependency = new Dependency();
  @Retry(RETRY)
  @CircuitBreaker(BREAKER)
  @Timeout(100)
  async call(): Promise<string> {
    return this.dependency.hit();
  }
}

@Injectable()
class WrittenInside {
  readonly dependency = new Dependency();
  @Timeout(100)
  @CircuitBreaker(BREAKER)
  @Retry(RETRY)
  async call(): Promise<string> {
    return this.dependency.hit();
  }
}

@Injectable()
class AllInOne {
  readonly dependency = new Dependency();
  @Resilient({ timeout: 100, breaker: BREAKER, retry: RETRY })
  async call(): Promise<string> {
    return this.dependency.hit();
  }
}

@Injectable()
class WithFallbacks {
  readonly dependency = new Dependency();
  answered: { args: unknown[]; calls: number }[] = [];

  @CircuitBreaker({ ...BREAKER, fallback: 'cached', fallbackOnFailure: true })
  @Retry(RETRY)
  async viaBreaker(_id: string): Promise<string> {
    return this.dependency.hit();
  }

  @Fallback('cached')
  @Retry(RETRY)
  async viaFallback(_id: string): Promise<string> {
    return this.dependency.hit();
  }

  @Fallback('cached')
  async optionalArgs(_id: string, _extra?: string): Promise<string> {
    return this.dependency.hit();
  }

  cached(...argsAndError: unknown[]): string {
    this.answered.push({ args: argsAndError, calls: this.dependency.calls });
    return 'cached';
  }
}

@Injectable()
class Pooled {
  readonly dependency = new Dependency();
  signals: AbortSignal[] = [];

  @CircuitBreaker({ name: 'pool-breaker', window: { kind: 'consecutive', failures: 1 } })
  @Bulkhead({ name: 'pool', maxConcurrent: 1 })
  async first(): Promise<string> {
    return this.dependency.hit();
  }

  @Bulkhead('pool')
  async second(): Promise<string> {
    return this.dependency.hit();
  }

  @Timeout(50)
  async signalled(id: string, @BreakerSignal() signal?: AbortSignal): Promise<string> {
    this.signals.push(signal!);
    return never();
  }
}

async function expectStartupError(provider: Type<unknown>, message: string): Promise<void> {
  const module = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock: new FakeClock() })], providers: [provider] }).compile();
  const error = await module.init().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  await module.close();
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect((error as Error).message).toBe(message);
}

describe('composed resilience decorators (CompositionExplorer)', () => {
  let app: TestingModule | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start<T>(provider: Type<T>, clock = new FakeClock()) {
    app = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock })], providers: [provider] }).compile();
    await app.init();
    return { instance: app.get(provider), clock, moduleRef: app };
  }

  it.each([
    ['@Retry @CircuitBreaker @Timeout', RetryOutside],
    ['@Timeout @CircuitBreaker @Retry', WrittenInside],
    ['@Resilient({ timeout, breaker, retry })', AllInOne],
  ] as const)('%s: each attempt times out once in the breaker, and the retry stops at the open rejection', async (_, provider) => {
    const { instance, clock, moduleRef } = await start<RetryOutside>(provider as Type<RetryOutside>);
    instance.dependency.mode = 'hang';
    const result = outcome(instance.call());
    await advance(clock, 500, 10);
    const { error } = await result;
    const breaker = moduleRef.get(BreakerRegistry).list()[0]!;
    // Two attempts timed out (each counted once, as a failure) and opened the breaker; the third was rejected.
    expect(instance.dependency.calls).toBe(2);
    expect(breaker.metrics().calls).toMatchObject({ failed: 2, notPermitted: 1 });
    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(isCircuitBreakerOpenError(error)).toBe(true);
    const retry = moduleRef.get(RetryRegistry).list()[0]!;
    expect(retry.name).toMatch(/\.call$/);
    expect(retry.metrics()).toMatchObject({ attempts: 3, retries: 2, calls: { exhausted: 1 } });
  });

  it('a timed-out attempt counts as one breaker failure, and the retry that succeeds answers the caller', async () => {
    const { instance, clock, moduleRef } = await start(RetryOutside);
    const events: unknown[] = [];
    moduleRef.get(RetryRegistry).list()[0]!.events$.subscribe((e) => events.push(e));
    instance.dependency.mode = 'hang';
    const result = outcome(instance.call());
    await flush();
    instance.dependency.mode = 'answer';
    await advance(clock, 200, 10);
    expect(await result).toEqual({ value: 'answer' });
    expect(instance.dependency.calls).toBe(2);
    expect(moduleRef.get(BreakerRegistry).list()[0]!.metrics().calls).toMatchObject({ failed: 1, successful: 1 });
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1, delayMs: 10, error: expect.objectContaining({ name: 'CallTimeoutError', timeoutMs: 100 }) });
    expect(isCallTimeoutError((events[0] as { error: unknown }).error)).toBe(true);
  });

  it("the breaker's own fallback runs outermost: only after the retries, with the call's arguments then the error", async () => {
    const { instance, clock } = await start(WithFallbacks);
    instance.dependency.mode = 'fail';
    const result = instance.viaBreaker('id-1');
    await advance(clock, 100, 10);
    await expect(result).resolves.toBe('cached');
    // Attempts 1 and 2 failed (and opened the breaker), attempt 3 was rejected; then the fallback, once.
    expect(instance.answered).toHaveLength(1);
    expect(instance.answered[0]!.calls).toBe(2);
    expect(instance.answered[0]!.args[0]).toBe('id-1');
    expect(isCircuitBreakerOpenError(instance.answered[0]!.args[1])).toBe(true);
  });

  it('@Fallback answers once the retries are exhausted', async () => {
    const { instance, clock } = await start(WithFallbacks);
    instance.dependency.mode = 'fail';
    const result = instance.viaFallback('id-2');
    await advance(clock, 100, 10);
    await expect(result).resolves.toBe('cached');
    expect(instance.answered).toEqual([{ args: ['id-2', new Error('dependency down')], calls: 3 }]);
  });

  it("pads the fallback's arguments to the method's parameters, so the error's position is fixed", async () => {
    const { instance } = await start(WithFallbacks);
    instance.dependency.mode = 'fail';
    await expect(instance.optionalArgs('id-3')).resolves.toBe('cached');
    expect(instance.answered).toEqual([{ args: ['id-3', undefined, new Error('dependency down')], calls: 1 }]);
  });

  it('methods naming one bulkhead share its slots; its rejection is ignored by the breaker around it', async () => {
    const { instance, moduleRef } = await start(Pooled);
    instance.dependency.mode = 'hang';
    void instance.second();
    for (let i = 0; i < 3; i++) {
      const { error } = await outcome(instance.first());
      expect(isBulkheadRejectedError(error)).toBe(true);
    }
    const breaker = moduleRef.get(BreakerRegistry).get('pool-breaker')!;
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 3 });
    const bulkheads = moduleRef.get(BulkheadRegistry);
    expect(bulkheads.list().map((b) => b.name)).toEqual(['pool']);
    expect(bulkheads.get('pool')!.metrics()).toMatchObject({ active: 1, calls: { rejected: 3 } });
  });

  it("hands the timeout's signal to the @BreakerSignal() parameter and aborts it on the timeout", async () => {
    const { instance, clock } = await start(Pooled);
    const result = outcome(instance.signalled('x'));
    await flush();
    expect(instance.signals[0]!.aborted).toBe(false);
    clock.advance(50);
    expect(isCallTimeoutError((await result).error)).toBe(true);
    expect(instance.signals[0]!.aborted).toBe(true);
  });

  it('unbinds at shutdown: the method runs unguarded afterwards', async () => {
    const { instance, moduleRef: module } = await start(RetryOutside);
    await module.close();
    app = undefined;
    instance.dependency.mode = 'fail';
    await expect(instance.call()).rejects.toThrow('dependency down');
    expect(instance.dependency.calls).toBe(1);
  });

  it('runs unguarded where no ResilienceModule bootstrapped it', async () => {
    const plain = new RetryOutside();
    plain.dependency.mode = 'fail';
    await expect(plain.call()).rejects.toThrow('dependency down');
    expect(plain.dependency.calls).toBe(1);
  });

  describe('bootstrap errors', () => {
    it('a bad retry option names the method and the option', async () => {
      @Injectable()
      class BadRetry {
        @Retry({ maxAttempts: 0 })
        async call(): Promise<void> {}
      }
      await expectStartupError(BadRetry, 'Retry "BadRetry.call" (@Retry() on BadRetry.call): option "maxAttempts" must be a positive integer, got 0');
    });

    it('a stage given twice fails', async () => {
      @Injectable()
      class Twice {
        @Retry()
        @Resilient({ retry: { maxAttempts: 2 } })
        async call(): Promise<void> {}
      }
      await expectStartupError(Twice, '@Retry() on Twice.call: option "@Retry()" must be given once per method (check @Resilient() too), got 2');
    });

    it('two fallbacks (@Fallback and the breaker\'s) fail', async () => {
      @Injectable()
      class TwoFallbacks {
        @Fallback(() => 'a')
        @CircuitBreaker({ fallback: 'other' })
        async call(): Promise<string> {
          return 'x';
        }
        other(): string {
          return 'b';
        }
      }
      await expectStartupError(TwoFallbacks, '@Fallback() on TwoFallbacks.call: option "fallback" must be given once: the method\'s @CircuitBreaker() has a fallback too, got function (anonymous)');
    });

    it('an unknown fallback method fails', async () => {
      @Injectable()
      class Missing {
        @Fallback('nope')
        async call(): Promise<void> {}
      }
      await expectStartupError(Missing, '@Fallback() on Missing.call: option "fallback" must be a function or the name of a method of Missing, got "nope"');
    });

    it('an Observable method fails: composition runs promise-returning methods', async () => {
      @Injectable()
      class Streams {
        @Retry()
        watch(): Observable<number> {
          return of(1);
        }
      }
      await expectStartupError(
        Streams,
        '@Retry/@Bulkhead/@Timeout/@Fallback on Streams.watch: option "return type" must be a Promise: composed resilience runs promise-returning methods (guard an Observable with @CircuitBreaker() alone), got "Observable"',
      );
    });

    it('two sites declaring different options for one bulkhead fail, naming the option', async () => {
      @Injectable()
      class Conflict {
        @Bulkhead({ name: 'shared', maxConcurrent: 2 })
        async a(): Promise<void> {}
        @Bulkhead({ name: 'shared', maxConcurrent: 3 })
        async b(): Promise<void> {}
      }
      await expectStartupError(
        Conflict,
        'Bulkhead "shared" (@Bulkhead() on Conflict.b): option "maxConcurrent" must equal the value declared by @Bulkhead() on Conflict.a, which shares this bulkhead (2), got 3',
      );
    });

    it('a bad timeout names the method', async () => {
      @Injectable()
      class BadTimeout {
        @Timeout(-5)
        async call(): Promise<void> {}
      }
      await expectStartupError(BadTimeout, 'Timeout "BadTimeout.call" (@Timeout() on BadTimeout.call): option "timeoutMs" must be a positive finite number of ms, got -5');
    });
  });
});
