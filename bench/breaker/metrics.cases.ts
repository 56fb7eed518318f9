import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { BreakerRegistry, CircuitState, ResilienceModule } from '@engined/resilience';
import { MetricsModule, MetricsService } from '@engined/resilience/metrics';
import type { CallCase, CallSubject } from '../call-cost.js';
import { SUCCESS_WINDOW_SIZE, verifyPolicy } from './engined.cases.js';
import { succeed } from './workloads.js';

type Mode = 'no MetricsModule' | 'MetricsModule' | 'MetricsModule + breakerCallDuration';

/** One Nest application per mode, built on first use and closed with the last case (as admin.cases.ts does). */
const apps = new Map<Mode, Promise<TestingModule>>();
let users = 0;

function openApp(mode: Mode): Promise<TestingModule> {
  users++;
  let app = apps.get(mode);
  if (app === undefined) {
    const imports = [ResilienceModule.forRoot()];
    if (mode !== 'no MetricsModule') {
      imports.push(MetricsModule.forRoot({ path: false, defaultMetrics: false, breakerCallDuration: mode !== 'MetricsModule' }));
    }
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

function metricsCase(mode: Mode): CallCase {
  return {
    name: `engined execute, count(100), ${mode}`,
    expect: 'resolves',
    setup: async (): Promise<CallSubject> => {
      const module = await openApp(mode);
      const name = `metrics-bench ${mode}`;
      const policy = module.get(BreakerRegistry).getOrCreate(name, { window: { kind: 'count', size: SUCCESS_WINDOW_SIZE } });
      return {
        call: () => policy.execute(succeed),
        verify: (calls) => verifyPolicy(policy, CircuitState.CLOSED, 'successful', calls),
        dispose: async () => {
          try {
            if (mode === 'MetricsModule + breakerCallDuration') {
              // The histogram timed every call the breaker counted (it follows the breaker from its creation).
              const text = await module.get(MetricsService).metrics();
              const line = `circuit_breaker_call_duration_seconds_count{name="${name}",outcome="successful"} `;
              const timed = text.split('\n').find((l) => l.startsWith(line))?.slice(line.length);
              const counted = policy.metrics().calls.successful;
              if (Number(timed) !== counted) throw new Error(`${name}: the histogram timed ${timed} calls, the breaker counted ${counted}`);
            }
          } finally {
            await closeApps();
          }
        },
      };
    },
  };
}

/** A registry breaker's successful call without metrics, with the default metrics, and with the opt-in histogram. */
export const metricsCases: readonly CallCase[] = [
  metricsCase('no MetricsModule'),
  metricsCase('MetricsModule'),
  metricsCase('MetricsModule + breakerCallDuration'),
];
