import { describe, expect, it } from '@jest/globals';
import { Injectable, Logger, type ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  CircuitBreaker,
  type CircuitBreakerDecoratorOptions,
  InvalidOptionError,
  isInvalidOptionError,
  ResilienceModule,
  type ResilienceModuleOptions,
} from '@engined/resilience';
import {
  HealComponent,
  HealthComponent,
  type HealthComponentDecoratorOptions,
  type HealthComponentDefinition,
  HealthModule,
  type HealthModuleOptions,
} from '@engined/resilience/health';
import { FakeClock } from '@engined/resilience/testing';

/**
 * Table-driven: each bad value must fail bootstrap with an InvalidOptionError whose message names the
 * owner, the option and the value: `<owner>: option "<option>" <what was expected>, got <value>`.
 */
interface BadInput {
  /** What is wrong, for the test name. */
  case: string;
  /** The app's module metadata; a throw while building it (e.g. in `forRoot`) counts as failing bootstrap. */
  app: () => Pick<ModuleMetadata, 'imports' | 'providers'>;
  owner: string;
  option: string;
  /** The value as the message renders it. */
  got: string;
}

const clock = new FakeClock();
const quiet: HealthModuleOptions = { clock, startupGraceMs: 0, drainDelayMs: 0, http: { enabled: false } };
const check = () => true;

/** An app with one provider whose method carries `@CircuitBreaker(options)`. */
function breakerSite(options: CircuitBreakerDecoratorOptions, moduleOptions: ResilienceModuleOptions = {}) {
  @Injectable()
  class Orders {
    @CircuitBreaker(options)
    async find(): Promise<string> {
      return 'order';
    }
  }
  return () => ({ imports: [ResilienceModule.forRoot({ ...moduleOptions, clock })], providers: [Orders] });
}

function resilience(options: ResilienceModuleOptions) {
  return () => ({ imports: [ResilienceModule.forRoot({ ...options, clock })] });
}

function health(options: HealthModuleOptions) {
  return () => ({ imports: [HealthModule.forRoot({ ...quiet, ...options })] });
}

function components(...list: Partial<HealthComponentDefinition>[]) {
  return health({ components: list as HealthComponentDefinition[] });
}

/** An app with one provider declaring `@HealthComponent(options)` (and `@HealComponent(healOf)` if given). */
function healthSite(options: HealthComponentDecoratorOptions, healOf?: string): () => Pick<ModuleMetadata, 'imports' | 'providers'> {
  @Injectable()
  class Cache {
    @HealthComponent(options)
    ping() {
      return true;
    }

    flush() {
      return undefined;
    }
  }
  if (healOf !== undefined) {
    HealComponent(healOf)(Cache.prototype, 'flush', Object.getOwnPropertyDescriptor(Cache.prototype, 'flush')!);
  }
  return () => ({ imports: [HealthModule.forRoot(quiet)], providers: [Cache] });
}

const site = (method: string) => `Circuit breaker "Orders.${method}" (@CircuitBreaker() on Orders.${method})`;

const table: BadInput[] = [
  // --- @CircuitBreaker() options
  { case: 'failure rate above 100 %', app: breakerSite({ failureRateThreshold: 150 }), owner: site('find'), option: 'failureRateThreshold', got: '150' },
  { case: 'consecutive window of 0 failures', app: breakerSite({ window: { kind: 'consecutive', failures: 0 } }), owner: site('find'), option: 'window.failures', got: '0' },
  { case: 'unknown window kind', app: breakerSite({ window: { kind: 'sliding' } as never }), owner: site('find'), option: 'window.kind', got: '"sliding"' },
  { case: 'negative timeout', app: breakerSite({ timeoutMs: -1 }), owner: site('find'), option: 'timeoutMs', got: '-1' },
  { case: 'open backoff max below initial', app: breakerSite({ openDurationMs: { initialMs: 5_000, maxMs: 1_000 } }), owner: site('find'), option: 'openDurationMs.maxMs', got: '1000' },
  { case: 'fractional minimumCalls', app: breakerSite({ minimumCalls: 2.5 }), owner: site('find'), option: 'minimumCalls', got: '2.5' },
  { case: 'error class given as a string', app: breakerSite({ recordErrors: ['TypeError' as never] }), owner: site('find'), option: 'recordErrors[0]', got: '"TypeError"' },
  { case: 'unknown breaker option', app: breakerSite({ retries: 3 } as never), owner: site('find'), option: 'retries', got: '3' },
  { case: 'unknown profile', app: breakerSite({ profile: 'missing' }, { profiles: { db: {} } }), owner: '@CircuitBreaker() on Orders.find', option: 'profile', got: '"missing"' },
  { case: 'fallback naming no method', app: breakerSite({ fallback: 'fromCache' }), owner: '@CircuitBreaker() on Orders.find', option: 'fallback', got: '"fromCache"' },
  { case: 'empty breaker name', app: breakerSite({ name: ' ' }), owner: '@CircuitBreaker() on Orders.find', option: 'name', got: '" "' },
  { case: 'fallbackOnFailure not a boolean', app: breakerSite({ fallback: () => 'x', fallbackOnFailure: 'yes' as never }), owner: '@CircuitBreaker() on Orders.find', option: 'fallbackOnFailure', got: '"yes"' },

  // --- ResilienceModule options
  { case: 'default failure rate of 0', app: resilience({ defaults: { failureRateThreshold: 0 } }), owner: 'ResilienceModule', option: 'defaults.failureRateThreshold', got: '0' },
  { case: 'default count window of -5', app: resilience({ defaults: { window: { kind: 'count', size: -5 } } }), owner: 'ResilienceModule', option: 'defaults.window.size', got: '-5' },
  { case: 'profile timeout as a string', app: resilience({ profiles: { slow: { timeoutMs: 'fast' as never } } }), owner: 'ResilienceModule', option: 'profiles.slow.timeoutMs', got: '"fast"' },
  { case: 'per-breaker name in a profile', app: resilience({ profiles: { db: { name: 'db' } as never } }), owner: 'ResilienceModule', option: 'profiles.db.name', got: '"db"' },
  { case: 'clock without timers', app: () => ({ imports: [ResilienceModule.forRoot({ clock: { now: () => 0 } as never })] }), owner: 'ResilienceModule', option: 'clock', got: '{}' },
  { case: 'unknown module option', app: resilience({ retries: 3 } as never), owner: 'ResilienceModule', option: 'retries', got: '3' },

  // --- HealthModule options
  { case: 'negative startup grace', app: health({ startupGraceMs: -1 }), owner: 'HealthModule', option: 'startupGraceMs', got: '-1' },
  { case: 'no concurrent heals', app: health({ maxConcurrentHeals: 0 }), owner: 'HealthModule', option: 'maxConcurrentHeals', got: '0' },
  { case: 'fractional drain delay', app: health({ drainDelayMs: 1.5 }), owner: 'HealthModule', option: 'drainDelayMs', got: '1.5' },
  { case: 'unknown detail visibility', app: health({ http: { enabled: false, details: 'sometimes' as never } }), owner: 'HealthModule', option: 'http.details', got: '"sometimes"' },
  { case: 'token visibility without a token', app: health({ http: { enabled: false, details: 'token' } }), owner: 'HealthModule', option: 'http.token', got: 'undefined' },
  { case: 'route path with a space', app: health({ http: { path: 'health checks' } }), owner: 'HealthModule', option: 'http.path', got: '"health checks"' },
  { case: 'default interval of 0', app: health({ defaults: { intervalMs: 0 } }), owner: 'HealthModule', option: 'defaults.intervalMs', got: '0' },
  { case: 'unknown probe group for breakers', app: health({ breakers: { probes: ['alive' as never] } }), owner: 'HealthModule', option: 'breakers.probes', got: '["alive"]' },

  // --- component options (module `components` and decorators)
  { case: 'interval of 0', app: components({ name: 'db', check, intervalMs: 0 }), owner: 'Health component "db"', option: 'intervalMs', got: '0' },
  { case: 'unknown component type', app: components({ name: 'db', check, type: 'postgres' as never }), owner: 'Health component "db"', option: 'type', got: '"postgres"' },
  { case: 'database in liveness', app: components({ name: 'db', check, type: 'database', probes: ['liveness'] }), owner: 'Health component "db"', option: 'probes', got: '["liveness"]' },
  { case: 'heal backoff shrinking', app: components({ name: 'db', check, healing: { backoff: { factor: 0.5 } } }), owner: 'Health component "db"', option: 'healing.backoff.factor', got: '0.5' },
  { case: 'failure threshold of 0', app: components({ name: 'db', check, failureThreshold: 0 }), owner: 'Health component "db"', option: 'failureThreshold', got: '0' },
  { case: 'check given as SQL text', app: components({ name: 'db', check: 'SELECT 1' as never }), owner: 'Health component "db"', option: 'check', got: '"SELECT 1"' },
  { case: 'name with surrounding spaces', app: components({ name: ' db ', check }), owner: 'Health component', option: 'name', got: '" db "' },
  { case: 'duplicate component name', app: components({ name: 'db', check }, { name: 'db', check }), owner: 'Health component "db"', option: 'name', got: '"db"' },
  { case: 'dependency that does not exist', app: components({ name: 'api', check, dependsOn: ['ghost'] }), owner: 'Health component "api"', option: 'dependsOn', got: '["ghost"]' },
  { case: 'dependency cycle', app: components({ name: 'a', check, dependsOn: ['b'] }, { name: 'b', check, dependsOn: ['a'] }), owner: 'Health component "a"', option: 'dependsOn', got: '["b"]' },
  { case: '@HealthComponent jitter above 1', app: healthSite({ name: 'cache', jitter: 2 }), owner: 'Health component "cache"', option: 'jitter', got: '2' },
  { case: '@HealthComponent heal naming no method', app: healthSite({ name: 'cache', heal: 'flushAll' }), owner: 'Health component "cache"', option: 'heal', got: '"flushAll"' },
  { case: '@HealComponent for an undeclared component', app: healthSite({ name: 'cache' }, 'kache'), owner: 'Health component "kache"', option: 'heal', got: '"Cache.flush"' },
];

/** Builds and bootstraps the app; returns what was thrown, closing anything that did start. */
async function bootstrapError(app: BadInput['app']): Promise<unknown> {
  let module: TestingModule | undefined;
  try {
    module = await Test.createTestingModule(app()).compile();
    await module.init();
  } catch (error) {
    await module?.close();
    return error;
  }
  await module.close();
  return undefined;
}

describe('bad input: invalid decorator and module options fail bootstrap with InvalidOptionError naming the option and the value', () => {
  Logger.overrideLogger(false);

  it.each(table.map((row) => [`${row.option} (${row.case})`, row] as const))('%s', async (_name, row) => {
    const error = await bootstrapError(row.app);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(isInvalidOptionError(error)).toBe(true);
    const invalid = error as InvalidOptionError;
    expect({ owner: invalid.owner, option: invalid.option }).toEqual({ owner: row.owner, option: row.option });
    expect(invalid.message.startsWith(`${row.owner}: option "${row.option}" `)).toBe(true);
    expect(invalid.message.endsWith(`, got ${row.got}`)).toBe(true);
  });

  it('the same options, corrected, bootstrap (the table fails for the reason it names)', async () => {
    const fine: BadInput['app'][] = [
      breakerSite({ failureRateThreshold: 100, window: { kind: 'consecutive', failures: 1 }, timeoutMs: 1, recordErrors: [TypeError] }),
      resilience({ defaults: { failureRateThreshold: 1 }, profiles: { slow: { timeoutMs: 1 } } }),
      health({ startupGraceMs: 0, maxConcurrentHeals: 1, http: { path: 'health-checks' }, breakers: { probes: ['liveness'] } }),
      components({ name: 'db', check, type: 'database', intervalMs: 1, probes: ['liveness'], allowInLiveness: true }),
      healthSite({ name: 'cache', jitter: 1 }, 'cache'),
    ];
    for (const app of fine) expect(await bootstrapError(app)).toBeUndefined();
  });
});
