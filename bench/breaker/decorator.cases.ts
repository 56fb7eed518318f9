import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { BreakerRegistry, CircuitBreaker, CircuitState, ResilienceModule } from '@engined/resilience';
import type { CallCase, CallSubject } from '../call-cost.js';
import { SUCCESS_WINDOW_SIZE, verifyPolicy } from './engined.cases.js';
import { CALL_TIMEOUT_MS } from './workloads.js';

/** A provider whose methods do what `succeed()` does, guarded by `@CircuitBreaker()`. */
@Injectable()
class GuardedDependency {
  @CircuitBreaker({ window: { kind: 'count', size: SUCCESS_WINDOW_SIZE } })
  async call(): Promise<number> {
    return 42;
  }

  @CircuitBreaker({ window: { kind: 'count', size: SUCCESS_WINDOW_SIZE }, timeoutMs: CALL_TIMEOUT_MS })
  async callWithTimeout(): Promise<number> {
    return 42;
  }
}

/** Both decorated methods live in one Nest testing module, built on first use and closed with the last case. */
let app: Promise<TestingModule> | undefined;
let users = 0;

async function openApp(): Promise<TestingModule> {
  users++;
  app ??= Test.createTestingModule({ imports: [ResilienceModule.forRoot()], providers: [GuardedDependency] })
    .compile()
    .then((module) => module.init());
  return app;
}

async function closeApp(): Promise<void> {
  if (--users > 0 || app === undefined) return;
  const module = await app;
  app = undefined;
  await module.close();
}

// `@CircuitBreaker()` on a provider resolved from a real Nest testing module (bound by the explorer at init).

/** Success path without a timeout. */
export const decoratorSuccessCase: CallCase = decoratorCase('engined @CircuitBreaker(), count(100)', 'call');

/** Success path with a per-call timeout. */
export const decoratorTimeoutCase: CallCase = decoratorCase('engined @CircuitBreaker(), count(100), timeout', 'callWithTimeout');

function decoratorCase(name: string, method: 'call' | 'callWithTimeout'): CallCase {
  return {
    name,
    expect: 'resolves',
    setup: async (): Promise<CallSubject> => {
      const module = await openApp();
      const dependency = module.get(GuardedDependency);
      // The default breaker name is ClassName.methodName; reading it proves the call went through a breaker.
      const policy = module.get(BreakerRegistry).get(`GuardedDependency.${method}`);
      if (policy === undefined) throw new Error(`${name}: no breaker GuardedDependency.${method} in the registry`);
      return {
        call: method === 'call' ? () => dependency.call() : () => dependency.callWithTimeout(),
        verify: (calls) => verifyPolicy(policy, CircuitState.CLOSED, 'successful', calls),
        dispose: closeApp,
      };
    },
  };
}
