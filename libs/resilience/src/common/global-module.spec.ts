import { describe, expect, it } from '@jest/globals';
import { type DynamicModule, Inject, Injectable, Module, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import { GrpcHealthModule } from '../grpc-health/grpc-health.module.js';
import { GrpcHealthService } from '../grpc-health/grpc-health.service.js';
import { HealthModule } from '../health/health.module.js';
import { HealthRegistry } from '../health/health.registry.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ResilienceModule } from '../resilience.module.js';
import { isInvalidOptionError } from './invalid-option.error.js';

const quietHealth = { startupGraceMs: 0, drainDelayMs: 0, http: { enabled: false } };

interface Case {
  name: string;
  /** What the module exports, asked for by a feature module that does not import it. */
  exported: Type;
  forRoot(extras: { isGlobal?: boolean }): DynamicModule;
  forRootAsync(extras: { isGlobal?: boolean }): DynamicModule;
  /** Modules the case needs besides its own (GrpcHealthModule follows the health registry). */
  alongside: DynamicModule[];
}

const cases: Case[] = [
  {
    name: 'ResilienceModule',
    exported: BreakerRegistry,
    forRoot: (extras) => ResilienceModule.forRoot({ ...extras }),
    forRootAsync: (extras) => ResilienceModule.forRootAsync({ useFactory: () => ({}), ...extras }),
    alongside: [],
  },
  {
    name: 'HealthModule',
    exported: HealthRegistry,
    forRoot: (extras) => HealthModule.forRoot({ ...quietHealth, ...extras }),
    forRootAsync: (extras) => HealthModule.forRootAsync({ useFactory: () => quietHealth, http: { enabled: false }, ...extras }),
    alongside: [],
  },
  {
    name: 'GrpcHealthModule',
    exported: GrpcHealthService,
    forRoot: (extras) => GrpcHealthModule.forRoot({ ...extras }),
    forRootAsync: (extras) => GrpcHealthModule.forRootAsync({ useFactory: () => ({}), ...extras }),
    alongside: [HealthModule.forRoot(quietHealth)],
  },
  {
    name: 'MetricsModule',
    exported: MetricsService,
    forRoot: (extras) => MetricsModule.forRoot({ defaultMetrics: false, path: false, ...extras }),
    forRootAsync: (extras) => MetricsModule.forRootAsync({ useFactory: () => ({ defaultMetrics: false }), path: false, ...extras }),
    alongside: [],
  },
];

/** A feature module that injects `token` without importing the module that provides it. */
function featureModuleNeeding(token: Type): Type {
  @Injectable()
  class Consumer {
    constructor(@Inject(token) readonly dependency: unknown) {}
  }
  @Module({ providers: [Consumer] })
  class FeatureModule {}
  return FeatureModule;
}

/** Undefined when the app compiles, else Nest's message. */
async function compileError(imports: (DynamicModule | Type)[]): Promise<string | undefined> {
  try {
    const ref = await Test.createTestingModule({ imports }).compile();
    await ref.close();
    return undefined;
  } catch (error) {
    return String(error);
  }
}

describe.each(cases)('$name: one isGlobal rule for every module of the library', (subject) => {
  const feature = featureModuleNeeding(subject.exported);

  it('is global by default, with forRoot and forRootAsync', async () => {
    expect(await compileError([...subject.alongside, subject.forRoot({}), feature])).toBeUndefined();
    expect(await compileError([...subject.alongside, subject.forRootAsync({}), feature])).toBeUndefined();
  });

  it('is visible only where imported with isGlobal: false, with forRoot and forRootAsync', async () => {
    const unresolved = new RegExp(`can't resolve dependencies of the Consumer.*argument ${subject.exported.name} at index \\[0\\]`);
    expect(await compileError([...subject.alongside, subject.forRoot({ isGlobal: false }), feature])).toMatch(unresolved);
    expect(await compileError([...subject.alongside, subject.forRootAsync({ isGlobal: false }), feature])).toMatch(unresolved);
    expect(await compileError([...subject.alongside, subject.forRoot({ isGlobal: true }), feature])).toBeUndefined();
  });

  it('rejects an isGlobal that is not a boolean when the module is defined', () => {
    let error: unknown;
    try {
      subject.forRoot({ isGlobal: 'yes' as never });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toBe(`${subject.name}: option "isGlobal" must be a boolean, got "yes"`);
  });
});
