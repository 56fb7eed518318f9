import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Bulkhead } from '../bulkhead/bulkhead.decorator.js';
import { BulkheadRegistry } from '../bulkhead/bulkhead.registry.js';
import { isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { ResilienceModule } from '../resilience.module.js';
import type { ResilienceModuleOptions } from '../resilience-options.interface.js';
import { Retry } from '../retry/retry.decorator.js';
import { RetryRegistry } from '../retry/retry.registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import { advance, deferred, outcome } from '../__fixtures__/async.js';
import { InvalidOptionError } from './invalid-option.error.js';

const PROFILES: ResilienceModuleOptions = {
  retry: {
    defaults: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 10 }, budget: false },
    profiles: { idempotent: { maxAttempts: 5 } },
  },
  bulkhead: { defaults: { maxConcurrent: 4 }, profiles: { reports: { maxConcurrent: 1, maxQueued: 0 } } },
};

@Injectable()
class Service {
  calls = 0;
  readonly gate = deferred<void>();

  @Retry()
  async byDefault(): Promise<void> {
    return this.fail();
  }

  @Retry({ profile: 'idempotent' })
  async idempotent(): Promise<void> {
    return this.fail();
  }

  @Retry({ profile: 'idempotent', maxAttempts: 3 })
  async ownWins(): Promise<void> {
    return this.fail();
  }

  @Bulkhead({ profile: 'reports' })
  async report(): Promise<void> {
    return this.gate.promise;
  }

  private fail(): Promise<void> {
    this.calls++;
    return Promise.reject(new Error('down'));
  }
}

describe('retry and bulkhead profiles of the ResilienceModule options', () => {
  let app: TestingModule | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: ResilienceModuleOptions, provider: Type<unknown> = Service) {
    const clock = new FakeClock();
    app = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ ...options, clock })], providers: [provider] }).compile();
    await app.init();
    return { clock, moduleRef: app };
  }

  it.each([
    ['retry.defaults', 'byDefault', 2],
    ['a profile, merged over the defaults', 'idempotent', 5],
    ["the method's own options over its profile", 'ownWins', 3],
  ] as const)('%s decide the attempts', async (_, method, attempts) => {
    const { clock, moduleRef } = await start(PROFILES);
    const service = moduleRef.get(Service);
    const result = outcome(service[method]());
    await advance(clock, 100, 10);
    expect((await result).error).toEqual(new Error('down'));
    expect(service.calls).toBe(attempts);
    expect(moduleRef.get(RetryRegistry).get(`Service.${method}`)!.maxAttempts).toBe(attempts);
  });

  it('a bulkhead profile sets the slots: the second concurrent call is rejected at once', async () => {
    const { moduleRef } = await start(PROFILES);
    const service = moduleRef.get(Service);
    const first = service.report();
    expect(isBulkheadRejectedError((await outcome(service.report())).error)).toBe(true);
    service.gate.resolve();
    await first;
    expect(moduleRef.get(BulkheadRegistry).get('Service.report')!.maxConcurrent).toBe(1);
  });

  it('getOrCreate takes a profile too, and bulkhead.defaults apply without one', async () => {
    const { moduleRef } = await start(PROFILES);
    expect(moduleRef.get(RetryRegistry).getOrCreate('db', { profile: 'idempotent' }).maxAttempts).toBe(5);
    expect(moduleRef.get(BulkheadRegistry).getOrCreate('pool').maxConcurrent).toBe(4);
  });

  it('an unknown profile fails at bootstrap, naming the method and the known profiles', async () => {
    @Injectable()
    class Unknown {
      @Retry({ profile: 'idempotnet' })
      async call(): Promise<void> {}
    }
    const error = await start(PROFILES, Unknown).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(
      'Retry "Unknown.call" (@Retry() on Unknown.call): option "profile" must name a retry profile of the ResilienceModule options (known: "idempotent"), got "idempotnet"',
    );
  });

  it.each([
    ['a bad option in a retry profile', { retry: { profiles: { x: { maxAttempts: 0 } } } }, 'retry.profiles.x.maxAttempts', 0],
    ['a bad bulkhead default', { bulkhead: { defaults: { maxConcurrent: -1 } } }, 'bulkhead.defaults.maxConcurrent', -1],
    ['a per-policy option in a profile', { retry: { profiles: { x: { name: 'y' } as never } } }, 'retry.profiles.x.name', 'y'],
    ['an unknown key', { bulkhead: { profile: {} } as never }, 'bulkhead.profile', {}],
    ['not an object', { retry: 3 as never }, 'retry', 3],
  ] as const)('%s fails when the module is created, naming the path', async (_, options, option, value) => {
    const error = await start(options as ResilienceModuleOptions).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ owner: 'ResilienceModule', option, value });
  });
});
