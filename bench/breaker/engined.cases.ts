import { CircuitBreakerPolicy, CircuitState, type CircuitBreakerOptions } from '@engined/resilience';
import type { CallCase, CallSubject, Expectation, Tally } from '../call-cost.js';
import { CALL_TIMEOUT_MS, fail, OPEN_FOR_MS, succeed, succeedWithSignal } from './workloads.js';

/** Success-path window of our breaker and of cockatiel's `CountBreaker`: the same kind and size. */
export const SUCCESS_WINDOW_SIZE = 100;

/** The breaker class the cases build: this tree's, or another build of it (the A/B group's baseline). */
export type PolicyClass = typeof CircuitBreakerPolicy;

/** The per-call cases of `CircuitBreakerPolicy.execute`, by path; names start with `label`. */
export interface PolicyCases {
  /** Success path, no timeout. */
  readonly success: readonly CallCase[];
  /** Success path with a per-call timeout. */
  readonly timeout: readonly CallCase[];
  /** Failing calls, in breakers that never trip. */
  readonly failing: readonly CallCase[];
  /** Calls rejected without running. */
  readonly rejected: readonly CallCase[];
}

/** Builds every engined case for `Policy`, each named `${label} …`. */
export function policyCases(Policy: PolicyClass = CircuitBreakerPolicy, label = 'engined'): PolicyCases {
  const success = (name: string, options: CircuitBreakerOptions, callOf: (policy: CircuitBreakerPolicy) => () => Promise<unknown>): CallCase =>
    policyCase(Policy, `${label} ${name}`, 'resolves', options, callOf);
  const failing = (name: string, options: CircuitBreakerOptions, metricsOnly: boolean): CallCase =>
    failingCase(Policy, `${label} ${name}`, options, metricsOnly);
  return {
    success: [
      success('execute, count(100)', { window: { kind: 'count', size: SUCCESS_WINDOW_SIZE } }, (policy) => () => policy.execute(succeed)),
      success('execute, consecutive(5)', { window: { kind: 'consecutive', failures: 5 } }, (policy) => () => policy.execute(succeed)),
    ],
    timeout: [
      success(
        'execute, count(100), timeout; fn ignores signal',
        { window: { kind: 'count', size: SUCCESS_WINDOW_SIZE }, timeoutMs: CALL_TIMEOUT_MS },
        (policy) => () => policy.execute(succeed),
      ),
      success(
        'execute, count(100), timeout; fn reads signal',
        { window: { kind: 'count', size: SUCCESS_WINDOW_SIZE }, timeoutMs: CALL_TIMEOUT_MS },
        (policy) => () => policy.execute(succeedWithSignal),
      ),
    ],
    failing: [
      failing('failing, count(1,000), METRICS_ONLY', { window: { kind: 'count', size: 1_000 } }, true),
      failing('failing, count(100,000), METRICS_ONLY', { window: { kind: 'count', size: 100_000 } }, true),
      failing('failing, time(10 s/10), METRICS_ONLY', { window: { kind: 'time', durationMs: 10_000, buckets: 10 } }, true),
      // These two fail in CLOSED without ever tripping: a time window's minimumCalls is not capped, and a
      // consecutive window never reaches MAX_SAFE_INTEGER failures.
      failing('failing, consecutive(MAX_SAFE_INTEGER), CLOSED', { window: { kind: 'consecutive', failures: Number.MAX_SAFE_INTEGER } }, false),
      failing(
        'failing, time(10 s/10), CLOSED',
        { window: { kind: 'time', durationMs: 10_000, buckets: 10 }, minimumCalls: Number.MAX_SAFE_INTEGER },
        false,
      ),
    ],
    rejected: [
      {
        name: `${label} rejected, FORCED_OPEN`,
        expect: 'rejects',
        setup: () => {
          const policy = new Policy({ name: 'bench-forced-open' });
          policy.forceOpen('benchmark');
          return subject(policy, () => policy.execute(succeed), CircuitState.FORCED_OPEN, 'notPermitted');
        },
      },
      {
        name: `${label} rejected, OPEN`,
        expect: 'rejects',
        setup: async () => {
          const policy = new Policy({
            name: 'bench-open',
            window: { kind: 'consecutive', failures: 1 },
            openDurationMs: OPEN_FOR_MS,
          });
          await policy.execute(fail).catch(() => undefined);
          return subject(policy, () => policy.execute(succeed), CircuitState.OPEN, 'notPermitted');
        },
      },
    ],
  };
}

const ours = policyCases();
/** `CircuitBreakerPolicy.execute` on the success path, without a timeout. */
export const enginedSuccessCases: readonly CallCase[] = ours.success;
/** `CircuitBreakerPolicy.execute` on the success path with a per-call timeout. */
export const enginedTimeoutCases: readonly CallCase[] = ours.timeout;
/** `CircuitBreakerPolicy.execute` of a failing call, in breakers that never trip. */
export const enginedFailingCases: readonly CallCase[] = ours.failing;
/** `CircuitBreakerPolicy.execute` rejected without running the call. */
export const enginedRejectedCases: readonly CallCase[] = ours.rejected;

function policyCase(
  Policy: PolicyClass,
  name: string,
  expect: Expectation,
  options: CircuitBreakerOptions,
  callOf: (policy: CircuitBreakerPolicy) => () => Promise<unknown>,
): CallCase {
  return {
    name,
    expect,
    setup: () => {
      const policy = new Policy({ name: `bench ${name}`, ...options });
      return subject(policy, callOf(policy), CircuitState.CLOSED, 'successful');
    },
  };
}

/**
 * A breaker fed only failures that must never trip, so every call takes the failure path. A count window
 * caps `minimumCalls` at its size, so only METRICS_ONLY (records like CLOSED, never rejects) keeps it from
 * tripping; it costs one extra clock read per call over CLOSED.
 */
function failingCase(Policy: PolicyClass, name: string, options: CircuitBreakerOptions, metricsOnly: boolean): CallCase {
  return {
    name,
    expect: 'rejects',
    setup: () => {
      const policy = new Policy({ name: `bench ${name}`, ...options });
      if (metricsOnly) policy.metricsOnly('benchmark: record failures without tripping');
      return subject(policy, () => policy.execute(fail), metricsOnly ? CircuitState.METRICS_ONLY : CircuitState.CLOSED, 'failed');
    },
  };
}

/** Checks that the breaker stayed in `state` and counted every call of the case under `outcome`. */
export function verifyPolicy(
  policy: CircuitBreakerPolicy,
  state: CircuitState,
  outcome: 'successful' | 'failed' | 'notPermitted',
  calls: Tally,
): string | undefined {
  const metrics = policy.metrics();
  if (metrics.state !== state) return `breaker is ${metrics.state}, expected ${state}`;
  const expected = outcome === 'successful' ? calls.resolved : calls.rejected;
  if (metrics.calls[outcome] !== expected) return `breaker counted ${metrics.calls[outcome]} ${outcome} calls, the runner made ${expected}`;
  return undefined;
}

function subject(
  policy: CircuitBreakerPolicy,
  call: () => Promise<unknown>,
  state: CircuitState,
  outcome: 'successful' | 'failed' | 'notPermitted',
): CallSubject {
  return {
    call,
    verify: (calls) => verifyPolicy(policy, state, outcome, calls),
    dispose: () => policy.dispose(),
  };
}
