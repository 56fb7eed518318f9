import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { BreakerRegistry, CircuitState, ResilienceModule, type CircuitBreakerPolicy } from '@engined/resilience';
import { ResilienceAdminModule } from '@engined/resilience/admin';
import type { CallCase, CallSubject } from '../call-cost.js';
import { SUCCESS_WINDOW_SIZE, verifyPolicy } from './engined.cases.js';
import { fail, OPEN_FOR_MS, succeed } from './workloads.js';

/** Long enough for the library's minimum; the bench never sends it anywhere. */
const BENCH_TOKEN = 'bench-admin-token-0123456789';

type Mode = 'admin API off' | 'admin API on' | 'events$ subscribed';

/**
 * One Nest application per mode (ResilienceModule, plus the admin module for "on"), initialised so the
 * admin module follows every breaker (`stateChanges$`, the rejection sampler). "events$ subscribed" is what
 * following call outcomes through the breaker's `events$` would cost instead. Built on first use, closed
 * with the last case.
 */
const apps = new Map<Mode, Promise<TestingModule>>();
let users = 0;

function openApp(mode: Mode): Promise<TestingModule> {
  users++;
  let app = apps.get(mode);
  if (app === undefined) {
    const imports = [ResilienceModule.forRoot()];
    if (mode === 'admin API on') imports.push(ResilienceAdminModule.forRoot({ enabled: true, token: BENCH_TOKEN }));
    app = Test.createTestingModule({ imports })
      .compile()
      .then((module) => module.init());
    apps.set(mode, app);
  }
  return app;
}

async function closeApps(): Promise<void> {
  if (--users > 0) return;
  const modules = await Promise.all(apps.values());
  apps.clear();
  for (const module of modules) await module.close();
}

function adminCase(name: string, mode: Mode, rejecting: boolean): CallCase {
  return {
    name,
    expect: rejecting ? 'rejects' : 'resolves',
    setup: async (): Promise<CallSubject> => {
      const module = await openApp(mode);
      const registry = module.get(BreakerRegistry);
      const policy: CircuitBreakerPolicy = rejecting
        ? registry.getOrCreate(`admin-bench open ${mode}`, { window: { kind: 'consecutive', failures: 1 }, openDurationMs: OPEN_FOR_MS })
        : registry.getOrCreate(`admin-bench ${mode}`, { window: { kind: 'count', size: SUCCESS_WINDOW_SIZE } });
      if (rejecting) await policy.execute(fail).catch(() => undefined);
      const subscription = mode === 'events$ subscribed' ? policy.events$.subscribe(() => undefined) : undefined;
      return {
        call: () => policy.execute(succeed),
        verify: (calls) =>
          verifyPolicy(policy, rejecting ? CircuitState.OPEN : CircuitState.CLOSED, rejecting ? 'notPermitted' : 'successful', calls),
        dispose: async () => {
          subscription?.unsubscribe();
          await closeApps();
        },
      };
    },
  };
}

/** A registry breaker's call with the admin API module off, on, and (for contrast) with `events$` observed. */
export const adminCases: readonly CallCase[] = [
  adminCase('engined execute, count(100), admin API off', 'admin API off', false),
  adminCase('engined execute, count(100), admin API on', 'admin API on', false),
  adminCase('engined execute, count(100), events$ subscribed', 'events$ subscribed', false),
  adminCase('engined rejected, OPEN, admin API off', 'admin API off', true),
  adminCase('engined rejected, OPEN, admin API on', 'admin API on', true),
  adminCase('engined rejected, OPEN, events$ subscribed', 'events$ subscribed', true),
];
