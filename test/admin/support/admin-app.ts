import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ResilienceAdminModule } from '../../../libs/resilience/src/admin/admin.module.js';
import type { ResilienceAdminModuleExtras, ResilienceAdminModuleOptions } from '../../../libs/resilience/src/admin/admin-options.interface.js';
import { BreakerRegistry } from '../../../libs/resilience/src/breaker/breaker.registry.js';
import type { HealthModuleOptions } from '../../../libs/resilience/src/health/health-module.options.js';
import { HealthModule } from '../../../libs/resilience/src/health/health.module.js';
import { HealthRegistry } from '../../../libs/resilience/src/health/health.registry.js';
import { ResilienceModule } from '../../../libs/resilience/src/resilience.module.js';
import { FakeClock } from '../../../libs/resilience/src/testing/fake-clock.js';
import { RecordingLogger } from '../../health/support/recording-logger.js';

/** Tokens of the test apps: long enough for the library's minimum. */
export const TOKEN = 'test-admin-token-0123456789';
export const OTHER_TOKEN = 'second-admin-token-abcdefghij';
export const WRONG_TOKEN = 'not-the-admin-token-zyxwvutsr';

export const START = Date.parse('2026-03-01T12:00:00.000Z');

/** A listening app with the admin API; time moves only through `clock`, the HTTP side runs on real sockets. */
export interface AdminApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly clock: FakeClock;
  readonly breakers: BreakerRegistry;
  /** Undefined when started without the health module. */
  readonly health: HealthRegistry | undefined;
  readonly logger: RecordingLogger;
  close(): Promise<void>;
}

export interface AdminAppOptions {
  readonly admin?: ResilienceAdminModuleOptions & ResilienceAdminModuleExtras;
  /** The admin module as given (e.g. from forRootAsync); replaces `admin`. */
  readonly adminModule?: DynamicModule;
  /** Start the HealthModule with these options (over quiet defaults); absent: no HealthModule. */
  readonly health?: HealthModuleOptions;
  /** Breakers created through the registry before listening. */
  readonly breakers?: Record<string, Parameters<BreakerRegistry['getOrCreate']>[1]>;
  /** The clock of every module (default a FakeClock at START). */
  readonly clock?: FakeClock;
}

export async function startAdminApp(options: AdminAppOptions = {}): Promise<AdminApp> {
  const logger = new RecordingLogger();
  const clock = options.clock ?? new FakeClock(START);
  const imports: DynamicModule[] = [ResilienceModule.forRoot({ clock })];
  if (options.health !== undefined) {
    imports.push(HealthModule.forRoot({ clock, startupGraceMs: 0, drainDelayMs: 0, http: { enabled: false }, ...options.health }));
  }
  const admin = options.admin ?? {};
  const tokens = admin.token === undefined && admin.tokens === undefined ? { token: TOKEN } : {};
  imports.push(options.adminModule ?? ResilienceAdminModule.forRoot({ enabled: true, ...tokens, ...admin }));
  const module = await Test.createTestingModule({ imports }).setLogger(logger).compile();
  const app = module.createNestApplication({ logger });
  const breakers = app.get(BreakerRegistry);
  for (const [name, breakerOptions] of Object.entries(options.breakers ?? {})) breakers.getOrCreate(name, breakerOptions);
  await app.listen(0, '127.0.0.1');
  const health = options.health === undefined ? undefined : app.get(HealthRegistry);
  let closed = false;
  return {
    app,
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    clock,
    breakers,
    health,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      logger.assertNoUnexpectedErrors();
    },
  };
}

/** `Authorization` header for a token. */
export function bearer(token: string = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Lets pending promise reactions and I/O callbacks run until `condition` holds (real-time deadline, no fixed sleep). */
export async function until(condition: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
