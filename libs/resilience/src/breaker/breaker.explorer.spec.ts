import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable, Module, Scope, SetMetadata, type Provider, type Type } from '@nestjs/common';
import { ContextIdFactory } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { Observable, firstValueFrom, lastValueFrom, of, throwError } from 'rxjs';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import type { ResilienceModuleOptions } from '../resilience-options.interface.js';
import { ResilienceModule } from '../resilience.module.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { BreakerClassifier } from './breaker-classifier.interface.js';
import { BreakerRegistry } from './breaker.registry.js';
import { CircuitBreaker } from './circuit-breaker.decorator.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerOpenError, isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

const TRIP_AFTER_2 = { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 1_000 } as const;

/** A downstream whose health the test controls; counts the calls that reached it. */
class Downstream {
  healthy = true;
  calls = 0;
  hit(): string {
    this.calls++;
    if (!this.healthy) throw new Error('downstream failed');
    return 'answer';
  }
}

@Injectable()
class PromiseClient {
  readonly downstream = new Downstream();
  @CircuitBreaker(TRIP_AFTER_2)
  async fetch(id: string): Promise<string> {
    return `${this.downstream.hit()}:${id}`;
  }
}

@Injectable()
class ObservableClient {
  readonly downstream = new Downstream();
  subscriptions = 0;
  unsubscriptions = 0;
  hang = false;

  @CircuitBreaker({ ...TRIP_AFTER_2, timeoutMs: 300 })
  watch(id: string): Observable<string> {
    return new Observable<string>((subscriber) => {
      this.subscriptions++;
      if (!this.hang) {
        try {
          subscriber.next(`${this.downstream.hit()}:${id}`);
          subscriber.complete();
        } catch (error) {
          subscriber.error(error);
        }
      }
      return () => this.unsubscriptions++;
    });
  }
}

@Injectable()
class SyncClient {
  readonly downstream = new Downstream();
  @CircuitBreaker(TRIP_AFTER_2)
  compute(n: number): number {
    this.downstream.hit();
    return n * 2;
  }
}

async function boot(providers: Provider[], options: ResilienceModuleOptions = {}, controllers: Type[] = []) {
  const clock = new FakeClock();
  const ref = await Test.createTestingModule({
    imports: [ResilienceModule.forRoot({ clock, ...options })],
    providers,
    controllers,
  }).compile();
  await ref.init();
  return { ref, clock, registry: ref.get(BreakerRegistry) };
}

/** Compiles and initialises, returning init's rejection. */
async function bootFailure(providers: Provider[], options: ResilienceModuleOptions = {}): Promise<unknown> {
  const ref = await Test.createTestingModule({ imports: [ResilienceModule.forRoot(options)], providers }).compile();
  const error = await ref.init().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  await ref.close();
  return error;
}

let open: TestingModule | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('@CircuitBreaker() through a Nest module', () => {
  it('guards a Promise method: failures trip it, rejected calls never reach the method, the clock half-opens it', async () => {
    const { ref, clock, registry } = await boot([PromiseClient]);
    open = ref;
    const client = ref.get(PromiseClient);
    await expect(client.fetch('1')).resolves.toBe('answer:1');
    client.downstream.healthy = false;
    await expect(client.fetch('2')).rejects.toThrow('downstream failed');
    await expect(client.fetch('3')).rejects.toThrow('downstream failed');
    const callsWhenTripped = client.downstream.calls;

    const rejection = await client.fetch('4').catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(CircuitBreakerOpenError);
    expect(rejection).toMatchObject({ breaker: 'PromiseClient.fetch', retryAfterMs: 1_000 });
    expect(client.downstream.calls).toBe(callsWhenTripped);

    clock.advance(1_000);
    client.downstream.healthy = true;
    await expect(client.fetch('5')).resolves.toBe('answer:5');
    expect(registry.get('PromiseClient.fetch')!.state).toBe(CircuitState.CLOSED);
  });

  it('guards an Observable method per subscription, errors rejected subscribers, and times out a silent stream', async () => {
    const { ref, clock, registry } = await boot([ObservableClient]);
    open = ref;
    const client = ref.get(ObservableClient);
    const breaker = registry.get('ObservableClient.watch')!;

    const answer = client.watch('a');
    expect(client.subscriptions).toBe(0); // nothing runs before subscription
    await expect(lastValueFrom(answer)).resolves.toBe('answer:a');
    await expect(firstValueFrom(client.watch('b'))).resolves.toBe('answer:b');
    expect(breaker.metrics().calls.successful).toBe(2);

    client.downstream.healthy = false;
    await expect(lastValueFrom(client.watch('c'))).rejects.toThrow('downstream failed');
    await expect(lastValueFrom(client.watch('d'))).rejects.toThrow('downstream failed');
    expect(breaker.state).toBe(CircuitState.OPEN);
    const subscriptionsWhenTripped = client.subscriptions;
    await expect(lastValueFrom(client.watch('e'))).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    expect(client.subscriptions).toBe(subscriptionsWhenTripped);

    clock.advance(1_000);
    client.downstream.healthy = true;
    client.hang = true;
    const errors: unknown[] = [];
    client.watch('f').subscribe({ error: (error: unknown) => errors.push(error) });
    clock.advance(300);
    expect(errors).toHaveLength(1);
    expect(isCircuitBreakerTimeoutError(errors[0])).toBe(true);
    expect(client.unsubscriptions).toBe(client.subscriptions); // the silent source was unsubscribed
    expect(breaker.state).toBe(CircuitState.OPEN); // the timed-out probe counted as a failure
  });

  it('an unsubscribe before any value is not counted', async () => {
    const { ref, registry } = await boot([ObservableClient]);
    open = ref;
    const client = ref.get(ObservableClient);
    client.hang = true;
    client.watch('x').subscribe().unsubscribe();
    const { calls, inFlight } = registry.get('ObservableClient.watch')!.metrics();
    expect([calls.successful, calls.failed, inFlight]).toEqual([0, 0, 0]);
  });

  it('keeps a synchronous method synchronous: values returned as is, throws counted, rejection thrown', async () => {
    const { ref, registry } = await boot([SyncClient]);
    open = ref;
    const client = ref.get(SyncClient);
    expect(client.compute(21)).toBe(42);
    client.downstream.healthy = false;
    expect(() => client.compute(1)).toThrow('downstream failed');
    expect(() => client.compute(1)).toThrow('downstream failed');
    expect(registry.get('SyncClient.compute')!.state).toBe(CircuitState.OPEN);
    expect(() => client.compute(1)).toThrow(CircuitBreakerOpenError);
  });

  it('runs unguarded where no ResilienceModule bootstrapped the class', async () => {
    const client = new SyncClient();
    client.downstream.healthy = false;
    for (let i = 0; i < 5; i++) expect(() => client.compute(1)).toThrow('downstream failed');
    expect(client.downstream.calls).toBe(5);
  });

  it('removes the guard at app.close()', async () => {
    const { ref, registry } = await boot([SyncClient]);
    const client = ref.get(SyncClient);
    registry.forceOpen('SyncClient.compute', 'test');
    expect(() => client.compute(1)).toThrow(CircuitBreakerOpenError);
    await ref.close();
    expect(client.compute(1)).toBe(2);
  });
});

describe('breaker names', () => {
  @Injectable()
  class UsersRepo {
    failing = false;
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 } })
    async find(): Promise<string> {
      if (this.failing) throw new Error('users down');
      return 'user';
    }
  }
  @Injectable()
  class OrdersRepo {
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 } })
    async find(): Promise<string> {
      return 'order';
    }
  }

  it('defaults to ClassName.methodName, so same-named methods of two classes get two breakers', async () => {
    const { ref, registry } = await boot([UsersRepo, OrdersRepo]);
    open = ref;
    expect(registry.list().map((breaker) => breaker.name).toSorted()).toEqual(['OrdersRepo.find', 'UsersRepo.find']);
    const users = ref.get(UsersRepo);
    users.failing = true;
    await expect(users.find()).rejects.toThrow('users down');
    await expect(users.find()).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    await expect(ref.get(OrdersRepo).find()).resolves.toBe('order');
  });

  @Injectable()
  class PrimaryDb {
    failing = false;
    @CircuitBreaker({ name: 'db', window: { kind: 'consecutive', failures: 1 } })
    async query(): Promise<string> {
      if (this.failing) throw new Error('db down');
      return 'primary';
    }
  }
  @Injectable()
  class ReportsDb {
    calls = 0;
    @CircuitBreaker('db')
    async report(): Promise<string> {
      this.calls++;
      return 'report';
    }
  }

  it('shares one breaker between methods that name it', async () => {
    const { ref, registry } = await boot([ReportsDb, PrimaryDb]);
    open = ref;
    expect(registry.list().map((breaker) => breaker.name)).toEqual(['db']);
    const primary = ref.get(PrimaryDb);
    primary.failing = true;
    await expect(primary.query()).rejects.toThrow('db down');
    await expect(ref.get(ReportsDb).report()).rejects.toMatchObject({ breaker: 'db' });
    expect(ref.get(ReportsDb).calls).toBe(0);
  });

  @Injectable()
  class OtherDb {
    @CircuitBreaker({ name: 'db', window: { kind: 'consecutive', failures: 5 } })
    async query(): Promise<string> {
      return 'other';
    }
  }

  it('fails at bootstrap when two methods declare different options for one name, naming both', async () => {
    const error = await bootFailure([PrimaryDb, OtherDb]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'window' });
    expect(String((error as Error).message)).toMatch(/PrimaryDb\.query/);
    expect(String((error as Error).message)).toMatch(/OtherDb\.query/);
  });
});

describe('fallbacks', () => {
  @Injectable()
  class CachedClient {
    readonly cache = new Map([['1', 'cached-1']]);
    fallbackCalls: unknown[][] = [];

    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 }, fallback: 'fromCache' })
    async fetch(id: string): Promise<string> {
      throw new Error(`fetch ${id} failed`);
    }

    fromCache(id: string, error: unknown): string {
      this.fallbackCalls.push([id, error]);
      return this.cache.get(id) ?? 'none';
    }
  }

  it('resolves a method-name fallback on the same instance, called with the arguments and the error', async () => {
    const { ref } = await boot([CachedClient]);
    open = ref;
    const client = ref.get(CachedClient);
    await expect(client.fetch('1')).rejects.toThrow('fetch 1 failed'); // failures need fallbackOnFailure
    await expect(client.fetch('1')).resolves.toBe('cached-1');
    expect(client.fallbackCalls).toHaveLength(1);
    const [id, error] = client.fallbackCalls[0]!;
    expect(id).toBe('1');
    expect(isCircuitBreakerOpenError(error)).toBe(true);
  });

  @Injectable()
  class FailoverClient {
    @CircuitBreaker({
      fallbackOnFailure: true,
      ignoreErrors: [RangeError],
      fallback(this: FailoverClient, n: number) {
        return this.offset + n;
      },
    })
    value(n: number): number {
      if (n < 0) throw new RangeError('negative');
      throw new Error('down');
    }
    offset = 100;
  }

  it('with fallbackOnFailure answers recorded failures (with the instance as this) but not ignored errors', async () => {
    const { ref } = await boot([FailoverClient]);
    open = ref;
    const client = ref.get(FailoverClient);
    expect(client.value(1)).toBe(101);
    expect(() => client.value(-1)).toThrow(RangeError);
  });

  @Injectable()
  class BrokenFallback {
    @CircuitBreaker({ fallback: 'noSuchMethod' })
    async fetch(): Promise<string> {
      return 'x';
    }
  }

  it('fails at bootstrap when the fallback method does not exist', async () => {
    const error = await bootFailure([BrokenFallback]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ owner: '@CircuitBreaker() on BrokenFallback.fetch', option: 'fallback', value: 'noSuchMethod' });
  });
});

describe('options from the module and from DI', () => {
  @Injectable()
  class ProfiledClient {
    @CircuitBreaker({ profile: 'fragile' })
    async fetch(fail: boolean): Promise<string> {
      if (fail) throw new Error('down');
      return 'ok';
    }
  }

  it('applies a named profile', async () => {
    const { ref, registry } = await boot([ProfiledClient], {
      profiles: { fragile: { window: { kind: 'consecutive', failures: 1 }, openDurationMs: 7_000 } },
    });
    open = ref;
    await expect(ref.get(ProfiledClient).fetch(true)).rejects.toThrow('down');
    const breaker = registry.get('ProfiledClient.fetch')!;
    expect(breaker.state).toBe(CircuitState.OPEN);
    await expect(ref.get(ProfiledClient).fetch(false)).rejects.toMatchObject({ retryAfterMs: 7_000 });
  });

  it('fails at bootstrap on an unknown profile', async () => {
    const error = await bootFailure([ProfiledClient], { profiles: { sturdy: {} } });
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'profile', value: 'fragile' });
    expect((error as Error).message).toContain('"sturdy"');
  });

  @Injectable()
  class InvalidOptions {
    @CircuitBreaker({ timeoutMs: -1 })
    async fetch(): Promise<string> {
      return 'x';
    }
  }

  it('fails at bootstrap on an invalid breaker option, naming the breaker and the option', async () => {
    const error = await bootFailure([InvalidOptions]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'timeoutMs', value: -1 });
    expect((error as Error).message).toContain('InvalidOptions.fetch');
  });

  class NotFound extends Error {}

  @Injectable()
  class NotFoundClassifier implements BreakerClassifier {
    readonly ignoreErrors = [NotFound];
  }

  @Injectable()
  class ClassifiedClient {
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 }, classifier: NotFoundClassifier })
    async fetch(missing: boolean): Promise<string> {
      throw missing ? new NotFound('no such record') : new Error('down');
    }
  }

  it('takes error classification from an injected classifier', async () => {
    const { ref, registry } = await boot([NotFoundClassifier, ClassifiedClient]);
    open = ref;
    const client = ref.get(ClassifiedClient);
    const breaker = registry.get('ClassifiedClient.fetch')!;
    await expect(client.fetch(true)).rejects.toBeInstanceOf(NotFound);
    await expect(client.fetch(true)).rejects.toBeInstanceOf(NotFound);
    expect(breaker.state).toBe(CircuitState.CLOSED);
    await expect(client.fetch(false)).rejects.toThrow('down');
    expect(breaker.state).toBe(CircuitState.OPEN);
  });

  it('fails at bootstrap when the classifier is not a provider', async () => {
    const error = await bootFailure([ClassifiedClient]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'classifier', value: NotFoundClassifier });
  });
});

describe('composition with other decorators', () => {
  const ROLE = 'test:role';

  @Controller()
  class MarkedController {
    @SetMetadata(ROLE, 'above')
    @CircuitBreaker()
    @SetMetadata('test:below', 'below')
    async handle(): Promise<string> {
      return 'handled';
    }
  }

  it('keeps the metadata set above and below it, and the method name', async () => {
    const { ref } = await boot([], {}, [MarkedController]);
    open = ref;
    const method = MarkedController.prototype.handle;
    expect(Reflect.getMetadata(ROLE, method)).toBe('above');
    expect(Reflect.getMetadata('test:below', method)).toBe('below');
    expect(method.name).toBe('handle');
    await expect(ref.get(MarkedController).handle()).resolves.toBe('handled');
  });

  @Injectable({ scope: Scope.REQUEST })
  class PerRequest {
    @CircuitBreaker()
    async fetch(): Promise<string> {
      return 'x';
    }
  }

  it('guards request-scoped providers too, with one breaker for every instance (see test/breaker/request-scoped.e2e-spec.ts)', async () => {
    const { ref, registry } = await boot([PerRequest]);
    open = ref;
    expect(registry.list().map((breaker) => breaker.name)).toEqual(['PerRequest.fetch']);
    const contextId = ContextIdFactory.create();
    const [a, b] = await Promise.all([ref.resolve(PerRequest, contextId), ref.resolve(PerRequest, ContextIdFactory.create())]);
    expect(a).not.toBe(b);
    await expect(a.fetch()).resolves.toBe('x');
    await expect(b.fetch()).resolves.toBe('x');
    expect(registry.get('PerRequest.fetch')!.metrics().calls.successful).toBe(2);
  });
});

describe('provider scopes', () => {
  @Injectable({ scope: Scope.TRANSIENT })
  class TransientClient {
    calls = 0;
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 } })
    async call(fail: boolean): Promise<string> {
      this.calls++;
      if (fail) throw new Error('down');
      return 'ok';
    }
  }
  @Injectable()
  class FirstConsumer {
    constructor(readonly client: TransientClient) {}
  }
  @Injectable()
  class SecondConsumer {
    constructor(readonly client: TransientClient) {}
  }

  it('guards every instance of a transient provider, sharing the ClassName.methodName breaker', async () => {
    const { ref } = await boot([TransientClient, FirstConsumer, SecondConsumer]);
    open = ref;
    const first = ref.get(FirstConsumer).client;
    const second = ref.get(SecondConsumer).client;
    expect(first).not.toBe(second);
    await expect(first.call(true)).rejects.toThrow('down');
    await expect(second.call(false)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    expect(second.calls).toBe(0);
  });
});

describe('methods without a declared return type', () => {
  @Injectable()
  class Untyped {
    healthy = true;
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 } })
    stream() {
      return this.healthy ? of(1) : throwError(() => new Error('stream down'));
    }
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 } })
    later() {
      return this.healthy ? Promise.resolve('later') : Promise.reject(new Error('later down'));
    }
  }

  it('guards a returned Observable or Promise by what the method returns', async () => {
    const { ref, registry } = await boot([Untyped]);
    open = ref;
    const untyped = ref.get(Untyped);
    await expect(lastValueFrom(untyped.stream())).resolves.toBe(1);
    await expect(untyped.later()).resolves.toBe('later');
    untyped.healthy = false;
    await expect(lastValueFrom(untyped.stream())).rejects.toThrow('stream down');
    await expect(untyped.later()).rejects.toThrow('later down');
    expect(registry.get('Untyped.stream')!.state).toBe(CircuitState.OPEN);
    expect(registry.get('Untyped.later')!.state).toBe(CircuitState.OPEN);
    await expect(lastValueFrom(untyped.stream())).rejects.toBeInstanceOf(CircuitBreakerOpenError);
  });
});

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

describe('per-call timeout through the decorator', () => {
  @Injectable()
  class SlowClient {
    pending = 0;
    @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 }, timeoutMs: 500 })
    async fetch(): Promise<string> {
      this.pending++;
      return new Promise<string>(() => undefined);
    }
  }

  it('rejects a Promise method that takes no signal with CircuitBreakerTimeoutError and counts a failure', async () => {
    const { ref, clock, registry } = await boot([SlowClient]);
    open = ref;
    const breaker = registry.get('SlowClient.fetch')!;
    const call = track(ref.get(SlowClient).fetch());
    clock.advance(499);
    await flush();
    expect(call.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(isCircuitBreakerTimeoutError(call.error)).toBe(true);
    expect(call.error).toMatchObject({ breaker: 'SlowClient.fetch', timeoutMs: 500 });
    expect(breaker.metrics().calls).toMatchObject({ failed: 1, timedOut: 1 });
    expect(breaker.state).toBe(CircuitState.OPEN);
  });

  @Injectable()
  class FeedWriter {
    @CircuitBreaker({ name: 'feed', window: { kind: 'consecutive', failures: 5 }, timeoutMs: 300, ignoreErrors: [RangeError] })
    async write(): Promise<string> {
      return 'written';
    }
  }
  @Injectable()
  class FeedReader {
    hang = false;
    unsubscribed = 0;
    // Joins the breaker by name only: the timeout and the classification are the breaker's, declared above.
    @CircuitBreaker({ name: 'feed', fallback: 'offline', fallbackOnFailure: true })
    read(error?: Error): Observable<string> {
      return new Observable<string>((subscriber) => {
        if (error !== undefined) subscriber.error(error);
        else if (!this.hang) {
          subscriber.next('item');
          subscriber.complete();
        }
        return () => this.unsubscribed++;
      });
    }
    offline(..._argsAndError: unknown[]): Observable<string> {
      return of('offline');
    }
  }

  it('a method joining a shared breaker by name gets the breaker’s timeout, not none', async () => {
    const { ref, clock, registry } = await boot([FeedReader, FeedWriter]);
    open = ref;
    const reader = ref.get(FeedReader);
    reader.hang = true;
    const errors: unknown[] = [];
    const values: unknown[] = [];
    reader.read().subscribe({ next: (value) => values.push(value), error: (error: unknown) => errors.push(error) });
    clock.advance(300);
    // The timeout is answered by the site's fallback, and the silent source is unsubscribed.
    expect(values).toEqual(['offline']);
    expect(reader.unsubscribed).toBe(1);
    expect(registry.get('feed')!.metrics().calls).toMatchObject({ timedOut: 1, failed: 1 });
  });

  it('a method joining a shared breaker by name runs fallbackOnFailure only for errors the breaker records', async () => {
    const { ref, registry } = await boot([FeedReader, FeedWriter]);
    open = ref;
    const reader = ref.get(FeedReader);
    await expect(lastValueFrom(reader.read(new Error('down')))).resolves.toBe('offline');
    await expect(lastValueFrom(reader.read(new RangeError('bad cursor')))).rejects.toBeInstanceOf(RangeError);
    expect(registry.get('feed')!.metrics().calls).toMatchObject({ failed: 1, ignored: 1 });
  });
});

describe('options and fallbacks from DI, through forRootAsync', () => {
  /** Stands in for ConfigService: the profile the module factory builds comes from it. */
  @Injectable()
  class BreakerSettings {
    readonly failuresToTrip = 1;
    readonly openForMs = 4_000;
  }
  @Module({ providers: [BreakerSettings], exports: [BreakerSettings] })
  class SettingsModule {}

  /** A classifier with a dependency of its own: "503" results count as failures per the injected settings. */
  @Injectable()
  class StatusClassifier implements BreakerClassifier {
    constructor(private readonly settings: BreakerSettings) {}
    readonly ignoreErrors = [RangeError];
    recordResult(result: unknown): boolean {
      return this.settings.failuresToTrip > 0 && (result as { status: number }).status >= 500;
    }
  }

  @Injectable()
  class StatusClient {
    @CircuitBreaker({ profile: 'downstream', classifier: StatusClassifier })
    async call(status: number): Promise<{ status: number }> {
      if (status < 0) throw new RangeError('bad status');
      return { status };
    }

    /** Named by the module defaults as every breaker's fallback. */
    degraded(status: number, error: unknown): { status: number; degraded: string; retryAfterMs?: number } {
      return { status, degraded: (error as Error).name, retryAfterMs: (error as { retryAfterMs?: number }).retryAfterMs };
    }
  }

  async function bootAsync() {
    const clock = new FakeClock();
    const ref = await Test.createTestingModule({
      imports: [
        ResilienceModule.forRootAsync({
          imports: [SettingsModule],
          inject: [BreakerSettings],
          useFactory: (settings: BreakerSettings) => ({
            clock,
            defaults: { fallback: 'degraded' },
            profiles: {
              downstream: { window: { kind: 'consecutive', failures: settings.failuresToTrip }, openDurationMs: settings.openForMs },
            },
          }),
        }),
        SettingsModule,
      ],
      providers: [StatusClassifier, StatusClient],
    }).compile();
    await ref.init();
    open = ref;
    return { ref, clock, registry: ref.get(BreakerRegistry) };
  }

  it('applies a profile built from an injected config provider and a classifier resolved from the container', async () => {
    const { ref, registry } = await bootAsync();
    const client = ref.get(StatusClient);
    const breaker = registry.get('StatusClient.call')!;
    await expect(client.call(-1)).rejects.toBeInstanceOf(RangeError); // ignored by the classifier
    await expect(client.call(200)).resolves.toEqual({ status: 200 });
    expect(breaker.state).toBe(CircuitState.CLOSED);
    await expect(client.call(503)).resolves.toEqual({ status: 503 }); // counted as a failure by recordResult
    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(breaker.metrics().calls).toMatchObject({ ignored: 1, successful: 1, failed: 1 });
    // The defaults name the fallback method; the profile's open duration shows in the rejection it answers.
    await expect(client.call(200)).resolves.toEqual({ status: 200, degraded: 'CircuitBreakerOpenError', retryAfterMs: 4_000 });
  });
});
