import { describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { isInvalidOptionError } from '../../libs/resilience/src/common/invalid-option.error.js';
import { HealComponent, HealthComponent } from '../../libs/resilience/src/health/health-component.decorator.js';
import type { CheckContext, HealContext } from '../../libs/resilience/src/health/health-component.options.js';
import type { HealthModuleOptions } from '../../libs/resilience/src/health/health-module.options.js';
import { HealthModule } from '../../libs/resilience/src/health/health.module.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type HealthHarness, quiet, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';
import { RecordingLogger } from './support/recording-logger.js';

const { HEALTHY, UNHEALTHY, UNKNOWN } = HealthStatus;

/** The error bootstrap fails with (compile or init), or undefined. */
async function bootError(options: HealthModuleOptions, providers: unknown[] = []): Promise<Error | undefined> {
  const logger = new RecordingLogger();
  try {
    const module = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ ...quiet, ...options })],
      providers: providers as never[],
    })
      .setLogger(logger)
      .compile();
    try {
      await module.init();
    } finally {
      await module.close();
    }
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

const ok = () => true;

describe('registration', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  describe('by decorator', () => {
    @Injectable()
    class Database {
      connected = false;
      heals: HealContext[] = [];

      @HealthComponent({ name: 'database', type: 'database', failureThreshold: 1, dependsOn: ['Database.network'] })
      ping({ signal }: CheckContext) {
        return { status: this.connected && !signal.aborted, message: this.connected ? 'ok' : 'pool closed' };
      }

      @HealComponent('database')
      reconnect(context: HealContext) {
        this.heals.push(context);
        this.connected = true;
      }

      @HealthComponent({ type: 'internal', probes: ['liveness'], heal: 'restartLoop' })
      network() {
        return HealthStatus.HEALTHY;
      }

      restartLoop() {
        return undefined;
      }
    }

    it('registers a check method with its paired @HealComponent heal, bound to the provider', async () => {
      h = await startHealth({}, { providers: [Database] });
      await jest.advanceTimersByTimeAsync(0);
      const db = h.module.get(Database);
      expect(db.heals).toMatchObject([{ component: 'database', attempt: 1 }]);
      expect(h.registry.get('database')).toMatchObject({ type: 'database', status: HEALTHY, message: 'ok', heal: { lastResult: 'success' } });
    });

    it('names a component ClassName.method by default and accepts heal: "methodName"', async () => {
      h = await startHealth({}, { providers: [Database] });
      expect(h.registry.get('Database.network')).toMatchObject({ type: 'internal', probes: ['liveness'], heal: { state: 'IDLE' } });
    });

    it('fails bootstrap for a @HealComponent without a matching component on the same provider', async () => {
      @Injectable()
      class Orphan {
        @HealComponent('cache')
        flush() {
          return undefined;
        }
      }
      const error = await bootError({}, [Orphan]);
      expect(isInvalidOptionError(error)).toBe(true);
      expect(error?.message).toBe(
        'Health component "cache": option "heal" pairs with a @HealthComponent() on the same provider, but Orphan declares no component "cache", got "Orphan.flush"',
      );
    });

    it('fails bootstrap for heal: naming a method the provider does not have', async () => {
      @Injectable()
      class Typo {
        @HealthComponent({ name: 'cache', heal: 'reconect' })
        ping() {
          return true;
        }
      }
      const error = await bootError({}, [Typo]);
      expect(error?.message).toBe('Health component "cache": option "heal" must name a method of Typo, got "reconect"');
    });

    it('fails bootstrap for an invalid decorator option, naming the component and the field', async () => {
      @Injectable()
      class Bad {
        @HealthComponent({ name: 'cache', failureThreshold: 0 })
        ping() {
          return true;
        }
      }
      const error = await bootError({}, [Bad]);
      expect(error?.message).toBe('Health component "cache": option "failureThreshold" must be an integer ≥ 1, got 0');
    });
  });

  describe('bootstrap validation', () => {
    it('rejects duplicate names', async () => {
      const error = await bootError({ components: [{ name: 'db', check: ok }, { name: 'db', check: ok }] });
      expect(isInvalidOptionError(error)).toBe(true);
      expect(error?.message).toBe(
        'Health component "db": option "name" must be unique, but a component with this name is already registered, got "db"',
      );
    });

    it('rejects an unknown dependsOn', async () => {
      const error = await bootError({ components: [{ name: 'repo', check: ok, dependsOn: ['db'] }] });
      expect(error?.message).toBe(
        'Health component "repo": option "dependsOn" must name registered components, but "db" is not registered, got ["db"]',
      );
    });

    it('rejects a dependency cycle, showing it', async () => {
      const error = await bootError({
        components: [
          { name: 'a', check: ok, dependsOn: ['b'] },
          { name: 'b', check: ok, dependsOn: ['c'] },
          { name: 'c', check: ok, dependsOn: ['a'] },
        ],
      });
      expect(error?.message).toBe('Health component "a": option "dependsOn" must not form a cycle (a → b → c → a), got ["b"]');
    });

    it('rejects a component depending on itself', async () => {
      const error = await bootError({ components: [{ name: 'a', check: ok, dependsOn: ['a'] }] });
      expect(error?.message).toMatch(/^Health component "a": option "dependsOn" must not form a cycle \(a → a\)/);
    });

    it.each([
      [{ name: 'c', check: ok, intervalMs: 0 }, 'Health component "c": option "intervalMs" must be an integer number of milliseconds in [1, 2147483647], got 0'],
      [{ name: 'c', check: ok, jitter: 2 }, 'Health component "c": option "jitter" must be a number in [0, 1], got 2'],
      [{ name: 'c', check: ok, probes: ['ready'] }, 'Health component "c": option "probes" must be an array of "liveness", "readiness", "startup", got ["ready"]'],
      [{ name: 'c', check: ok, type: 'db' }, 'Health component "c": option "type" must be one of "database", "cache", "queue", "http", "grpc", "breaker", "internal", "custom", got "db"'],
      [{ name: 'c', check: ok, healing: { backoff: { factor: 0.5 } } }, 'Health component "c": option "healing.backoff.factor" must be a finite number ≥ 1, got 0.5'],
      [{ name: 'c', check: ok, healing: { backoff: { minMs: 5_000, maxMs: 1_000 } } }, 'Health component "c": option "healing.backoff.maxMs" must be ≥ backoff.minMs (5000), got 1000'],
      [{ name: 'c', check: ok, healing: { verifyWindowMs: -1 } }, 'Health component "c": option "healing.verifyWindowMs" must be an integer number of milliseconds in [0, 2147483647], got -1'],
      [{ name: 'c', check: ok, guards: ['db', 'db'] }, 'Health component "c": option "guards" must not repeat a name, got ["db","db"]'],
      [{ name: 'c', check: 'SELECT 1' }, 'Health component "c": option "check" must be a function, got "SELECT 1"'],
      [{ name: ' c', check: ok }, 'Health component: option "name" must be a non-empty string without surrounding spaces, got " c"'],
    ])('rejects a bad component option: %j', async (component, message) => {
      const error = await bootError({ components: [component as never] });
      expect(isInvalidOptionError(error)).toBe(true);
      expect(error?.message).toBe(message);
    });

    it('refuses an external component in liveness (restarting the pod does not fix a dead database)', async () => {
      const error = await bootError({ components: [{ name: 'db', type: 'database', probes: ['liveness'], check: ok }] });
      expect(error?.message).toBe(
        'Health component "db": option "probes" must not include "liveness" for a database component (restarting the pod does not fix a failed dependency); set allowInLiveness: true to override, got ["liveness"]',
      );
    });

    it('accepts an external component in liveness with allowInLiveness', async () => {
      h = await startHealth({ components: [{ name: 'db', type: 'database', probes: ['liveness'], allowInLiveness: true, check: ok }] });
      expect(h.registry.probe('liveness').components.map((c) => c.name)).toEqual(['db']);
    });

    it.each([
      [{ maxConcurrentHeals: 0 }, 'HealthModule: option "maxConcurrentHeals" must be an integer ≥ 1, got 0'],
      [{ http: { enabled: false, details: 'token' } }, 'HealthModule: option "http.token" must be a non-empty string when http.details is "token", got undefined'],
      [{ http: { enabled: false, details: 'sometimes' } }, 'HealthModule: option "http.details" must be one of "never", "always", "token", got "sometimes"'],
      [{ defaults: { timeoutMs: -1 } }, 'HealthModule: option "defaults.timeoutMs" must be an integer number of milliseconds in [1, 2147483647], got -1'],
      [{ clock: { now: () => 0 } }, 'HealthModule: option "clock" must implement now(), setTimeout() and clearTimeout(), got {}'],
    ])('rejects a bad module option: %j', async (options, message) => {
      const error = await bootError(options as HealthModuleOptions);
      expect(isInvalidOptionError(error)).toBe(true);
      expect(error?.message).toBe(message);
    });
  });

  describe('programmatically', () => {
    it('registers at run time and starts checking at once; unregister clears its timers', async () => {
      h = await startHealth({});
      const check = scriptedCheck(false);
      h.registry.register({ name: 'late', check: check.fn, intervalMs: 1_000, failureThreshold: 1 });
      expect(h.registry.get('late')?.status).toBe(UNKNOWN);
      await jest.advanceTimersByTimeAsync(0);
      expect(h.registry.get('late')?.status).toBe(UNHEALTHY);
      expect(h.scheduler.getTimeouts().filter((t) => t.includes(':late:'))).not.toEqual([]);
      expect(h.registry.unregister('late')).toBe(true);
      expect(h.scheduler.getTimeouts().filter((t) => t.includes(':late:'))).toEqual([]);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(check.calls()).toBe(1);
      expect(h.registry.get('late')).toBeUndefined();
      expect(h.registry.unregister('late')).toBe(false);
      expect(h.events.filter((e) => e.type.startsWith('component_'))).toMatchObject([
        { type: 'component_registered', component: 'late', status: UNKNOWN },
        { type: 'component_unregistered', component: 'late' },
      ]);
    });

    it('validates dependsOn at once after bootstrap', async () => {
      h = await startHealth({});
      expect(() => h!.registry.register({ name: 'repo', check: ok, dependsOn: ['db'] })).toThrow(
        'Health component "repo": option "dependsOn" must name registered components, but "db" is not registered',
      );
    });

    it('refuses to unregister a component another one depends on', async () => {
      h = await startHealth({ components: [{ name: 'db', check: ok }, { name: 'repo', check: ok, dependsOn: ['db'] }] });
      expect(() => h!.registry.unregister('db')).toThrow('Cannot unregister health component "db": "repo" depends on it');
    });

    it('applies module-wide defaults under each component’s own options', async () => {
      h = await startHealth({
        defaults: { intervalMs: 2_000, critical: false, healing: { maxAttempts: 9 } },
        components: [{ name: 'a', check: ok }, { name: 'b', check: ok, critical: true }],
      });
      expect(h.registry.components().map((c) => [c.name, c.critical])).toEqual([
        ['a', false],
        ['b', true],
      ]);
    });
  });

  describe('HealthModule.forRootAsync', () => {
    it('takes options from a factory, validated by the same provider', async () => {
      const check = scriptedCheck(true);
      h = await startHealth({}, {
        healthModule: HealthModule.forRootAsync({
          useFactory: async () => ({ ...quiet, http: { details: 'never' }, components: [{ name: 'db', check: check.fn }] }),
          http: { enabled: false },
        }),
      });
      await jest.advanceTimersByTimeAsync(0);
      expect(h.registry.get('db')?.status).toBe(HEALTHY);
    });

    it('rejects a factory that tries to move the HTTP mount', async () => {
      const compiling = Test.createTestingModule({
        imports: [HealthModule.forRootAsync({ useFactory: () => ({ http: { path: 'healthz' } }) })],
      })
        .setLogger(new RecordingLogger())
        .compile();
      await expect(compiling).rejects.toThrow(
        'HealthModule: option "http.path" is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as "health"), got "healthz"',
      );
    });
  });
});
