import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BreakerRegistry } from './breaker/breaker.registry.js';
import { CircuitBreaker } from './breaker/circuit-breaker.decorator.js';
import type { CircuitBreakerSnapshot } from './breaker/circuit-breaker.snapshot.js';
import { CircuitState } from './breaker/circuit-state.js';
import { systemClock } from './common/clock.js';
import { InvalidOptionError } from './common/invalid-option.error.js';
import { RESILIENCE_CLOCK, RESILIENCE_OPTIONS } from './resilience.constants.js';
import type { ResilienceModuleOptions, ResolvedResilienceOptions } from './resilience-options.interface.js';
import { ResilienceModule } from './resilience.module.js';
import { FakeClock } from './testing/fake-clock.js';

/** Stands in for a config service that forRootAsync reads from. */
@Injectable()
class SettingsService {
  options: ResilienceModuleOptions = {};
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

/** A feature module that does not import ResilienceModule itself. */
@Injectable()
class FeatureService {
  constructor(readonly registry: BreakerRegistry) {}
}
@Module({ providers: [FeatureService] })
class FeatureModule {}

const fail = () => Promise.reject(new Error('down'));

function snapshotOf(name: string): CircuitBreakerSnapshot {
  return {
    name,
    state: CircuitState.CLOSED,
    stateSince: 0,
    consecutiveTrips: 0,
    transitions: 0,
    calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
  };
}

@Injectable()
class OrdersClient {
  @CircuitBreaker({ window: { kind: 'consecutive', failures: 3 } })
  async list(): Promise<string[]> {
    return [];
  }
}

async function compile(imports: unknown[], providers: Provider[] = []) {
  return Test.createTestingModule({ imports: imports as never[], providers }).compile();
}

describe('ResilienceModule', () => {
  it('works as a bare import, with systemClock and empty defaults', async () => {
    const ref = await compile([ResilienceModule]);
    expect(ref.get(RESILIENCE_CLOCK)).toBe(systemClock);
    const options = ref.get<ResolvedResilienceOptions>(RESILIENCE_OPTIONS);
    expect(options.defaults).toEqual({});
    expect(ref.get(BreakerRegistry).getOrCreate('db').name).toBe('db');
    await ref.close();
  });

  it('forRoot() provides the clock and applies defaults and profiles to breakers', async () => {
    const clock = new FakeClock();
    const ref = await compile([
      ResilienceModule.forRoot({
        clock,
        defaults: { window: { kind: 'consecutive', failures: 3 } },
        profiles: { fragile: { window: { kind: 'consecutive', failures: 1 } } },
      }),
    ]);
    expect(ref.get(RESILIENCE_CLOCK)).toBe(clock);
    const registry = ref.get(BreakerRegistry);
    const fragile = registry.getOrCreate('fragile', { profile: 'fragile' });
    const sturdy = registry.getOrCreate('sturdy');
    await expect(fragile.execute(fail)).rejects.toThrow('down');
    expect(fragile.state).toBe('OPEN');
    await expect(sturdy.execute(fail)).rejects.toThrow('down');
    await expect(sturdy.execute(fail)).rejects.toThrow('down');
    expect(sturdy.state).toBe('CLOSED');
    await ref.close();
  });

  it('is global by default: a feature module gets BreakerRegistry without importing the module', async () => {
    const ref = await compile([ResilienceModule.forRoot(), FeatureModule]);
    expect(ref.get(FeatureService).registry).toBe(ref.get(BreakerRegistry));
    await ref.close();
  });

  it('with isGlobal: false, a feature module that does not import it cannot resolve BreakerRegistry', async () => {
    await expect(compile([ResilienceModule.forRoot({ isGlobal: false }), FeatureModule])).rejects.toThrow(/BreakerRegistry/);
  });

  const noTimers = { now: () => 0 };
  const invalid: [string, ResilienceModuleOptions, string, unknown][] = [
    ['a bad default', { defaults: { failureRateThreshold: 150 } }, 'defaults.failureRateThreshold', 150],
    ['a bad profile option', { profiles: { slow: { timeoutMs: -5 } } }, 'profiles.slow.timeoutMs', -5],
    ['a bad window in a profile', { profiles: { db: { window: { kind: 'count', size: 0 } } } }, 'profiles.db.window.size', 0],
    ['a per-breaker option in a profile', { profiles: { p: { name: 'x' } as never } }, 'profiles.p.name', 'x'],
    ['an unknown module option', { default: {} } as never, 'default', {}],
    ['a clock without timers', { clock: noTimers as never }, 'clock', noTimers],
    ['initialStates that is not an array', { initialStates: {} as never }, 'initialStates', {}],
    ['a snapshot in a bad state', { initialStates: [{ ...snapshotOf('db'), state: 'AJAR' as never }] }, 'initialStates[0].state', 'AJAR'],
    ['two snapshots of one breaker', { initialStates: [snapshotOf('db'), snapshotOf('db')] }, 'initialStates[1].name', 'db'],
  ];

  it.each(invalid)('forRoot() with %s fails at bootstrap naming the option and the value', async (_case, options, option, value) => {
    const attempt = compile([ResilienceModule.forRoot(options)]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toMatchObject({ owner: 'ResilienceModule', option, value });
  });

  it.each(invalid)('forRootAsync() with %s fails at bootstrap naming the option and the value', async (_case, options, option, value) => {
    const attempt = compile([
      ResilienceModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SettingsService],
        useFactory: async (settings: SettingsService) => ({ ...settings.options, ...options }),
      }),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toMatchObject({ owner: 'ResilienceModule', option, value });
  });

  it('forRootAsync() takes options from an injected provider', async () => {
    const clock = new FakeClock();
    const good = await compile([
      ResilienceModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SettingsService],
        useFactory: async (settings: SettingsService) => ({ ...settings.options, clock }),
      }),
    ]);
    expect(good.get(RESILIENCE_CLOCK)).toBe(clock);
    await good.close();

  });

  it('restores breakers from the snapshots of a previous run (initialStates), decorated or created later', async () => {
    // A previous run: one breaker open since t=1 000 for 5 s, one force-opened by an operator.
    const before = new FakeClock(1_000);
    const previous = await compile([ResilienceModule.forRoot({ clock: before, defaults: { openDurationMs: 5_000 } })], [OrdersClient]);
    await previous.init();
    const registry = previous.get(BreakerRegistry);
    registry.get('OrdersClient.list')!.forceOpen('bad deploy');
    const payments = registry.getOrCreate('payments', { window: { kind: 'consecutive', failures: 1 } });
    await expect(payments.execute(fail)).rejects.toThrow('down');
    const saved = JSON.parse(JSON.stringify(registry)) as CircuitBreakerSnapshot[];
    expect(saved.map(({ name, state }) => [name, state])).toEqual([
      ['OrdersClient.list', CircuitState.FORCED_OPEN],
      ['payments', CircuitState.OPEN],
    ]);
    await previous.close();

    // The restart, 2 s later.
    const clock = new FakeClock(3_000);
    const ref = await compile([ResilienceModule.forRoot({ clock, initialStates: saved })], [OrdersClient]);
    await ref.init();
    const restored = ref.get(BreakerRegistry);
    const orders = restored.get('OrdersClient.list')!;
    expect(orders.state).toBe(CircuitState.FORCED_OPEN);
    expect(orders.toJSON().reason).toBe('bad deploy');
    await expect(ref.get(OrdersClient).list()).rejects.toMatchObject({ state: CircuitState.FORCED_OPEN });
    const later = restored.getOrCreate('payments', { window: { kind: 'consecutive', failures: 1 } });
    expect(later.state).toBe(CircuitState.OPEN);
    await expect(later.execute(fail)).rejects.toMatchObject({ retryAfterMs: 3_000 });
    expect(later.metrics().calls).toMatchObject({ failed: 1, notPermitted: 1 });
    await ref.close();
  });
});
