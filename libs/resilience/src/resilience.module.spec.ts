import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BreakerRegistry } from './breaker/breaker.registry.js';
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

async function compile(imports: unknown[]) {
  return Test.createTestingModule({ imports: imports as never[] }).compile();
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

  it.each<[string, ResilienceModuleOptions, string]>([
    ['a bad default', { defaults: { failureRateThreshold: 150 } }, 'defaults.failureRateThreshold'],
    ['a bad profile option', { profiles: { slow: { timeoutMs: -5 } } }, 'profiles.slow.timeoutMs'],
    ['a per-breaker option in a profile', { profiles: { p: { name: 'x' } as never } }, 'profiles.p.name'],
    ['an unknown module option', { default: {} } as never, 'default'],
    ['a clock without timers', { clock: { now: () => 0 } as never }, 'clock'],
  ])('forRoot() with %s fails at bootstrap naming the option', async (_case, options, option) => {
    const attempt = compile([ResilienceModule.forRoot(options)]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toMatchObject({ owner: 'ResilienceModule', option });
  });

  it('forRootAsync() takes options from an injected provider and validates them too', async () => {
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

    const bad = compile([
      ResilienceModule.forRootAsync({
        useFactory: () => ({ profiles: { db: { window: { kind: 'count', size: 0 } } } }),
      }),
    ]);
    await expect(bad).rejects.toMatchObject({
      name: 'InvalidOptionError',
      option: 'profiles.db.window.size',
      value: 0,
    });
  });
});
