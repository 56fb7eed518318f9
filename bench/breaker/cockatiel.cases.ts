import {
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  SamplingBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import type { CallCase, CallSubject } from '../call-cost.js';
import { SUCCESS_WINDOW_SIZE } from './engined.cases.js';
import { CALL_TIMEOUT_MS, fail, OPEN_FOR_MS, succeed, succeedWithSignal } from './workloads.js';

// cockatiel 3 doing what the engined cases do: same functions, same windows where cockatiel has them.

/** Success path without a timeout. */
export const cockatielSuccessCases: readonly CallCase[] = [
  breakerCase('cockatiel CountBreaker(100)', 'resolves', () => new CountBreaker({ threshold: 0.5, size: SUCCESS_WINDOW_SIZE }), (policy) => () =>
    policy.execute(succeed),
  ),
  breakerCase('cockatiel ConsecutiveBreaker(5)', 'resolves', () => new ConsecutiveBreaker(5), (policy) => () => policy.execute(succeed)),
];

/** Success path with a per-call timeout. */
export const cockatielTimeoutCases: readonly CallCase[] = [
  {
    name: 'cockatiel wrap(timeout, CountBreaker(100)); fn reads signal',
    expect: 'resolves',
    setup: (): CallSubject => {
      const policy = breaker(new CountBreaker({ threshold: 0.5, size: SUCCESS_WINDOW_SIZE }));
      // cockatiel's breaker has no timeout of its own: the documented way is a timeout policy around it.
      const guarded = wrap(timeout(CALL_TIMEOUT_MS, TimeoutStrategy.Cooperative), policy);
      return {
        call: () => guarded.execute(({ signal }) => succeedWithSignal(signal)),
        verify: () => stays(policy, CircuitState.Closed),
      };
    },
  },
];

/** A failing call, in breakers that never trip. */
export const cockatielFailingCases: readonly CallCase[] = [
  breakerCase('cockatiel failing, CountBreaker(1,000), never trips', 'rejects', () => neverTrips(new CountBreaker({ threshold: 0.5, size: 1_000 })), (policy) => () =>
    policy.execute(fail),
  ),
  breakerCase(
    'cockatiel failing, CountBreaker(100,000), never trips',
    'rejects',
    () => neverTrips(new CountBreaker({ threshold: 0.5, size: 100_000 })),
    (policy) => () => policy.execute(fail),
  ),
  breakerCase(
    'cockatiel failing, ConsecutiveBreaker(MAX_SAFE_INTEGER)',
    'rejects',
    () => new ConsecutiveBreaker(Number.MAX_SAFE_INTEGER),
    (policy) => () => policy.execute(fail),
  ),
  breakerCase(
    'cockatiel failing, SamplingBreaker(10 s), never trips',
    'rejects',
    // Below `minimumRps` the breaker never evaluates the rate.
    () => new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: Number.MAX_SAFE_INTEGER }),
    (policy) => () => policy.execute(fail),
  ),
];

/** A call rejected by an open breaker. */
export const cockatielRejectedCases: readonly CallCase[] = [
  {
    name: 'cockatiel rejected, isolate()',
    expect: 'rejects',
    setup: (): CallSubject => {
      const policy = breaker(new ConsecutiveBreaker(5));
      const isolation = policy.isolate();
      return {
        call: () => policy.execute(succeed),
        verify: () => stays(policy, CircuitState.Isolated),
        dispose: () => isolation.dispose(),
      };
    },
  },
  {
    name: 'cockatiel rejected, Open',
    expect: 'rejects',
    setup: async (): Promise<CallSubject> => {
      const policy = breaker(new ConsecutiveBreaker(1));
      await policy.execute(fail).catch(() => undefined);
      return { call: () => policy.execute(succeed), verify: () => stays(policy, CircuitState.Open) };
    },
  },
];

function breaker(failureDetection: IBreaker): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter: OPEN_FOR_MS, breaker: failureDetection });
}

function breakerCase(
  name: string,
  expect: CallCase['expect'],
  failureDetection: () => IBreaker,
  callOf: (policy: CircuitBreakerPolicy) => () => Promise<unknown>,
): CallCase {
  return {
    name,
    expect,
    setup: (): CallSubject => {
      const policy = breaker(failureDetection());
      return { call: callOf(policy), verify: () => stays(policy, CircuitState.Closed) };
    },
  };
}

/**
 * cockatiel's equivalent of METRICS_ONLY: the `CountBreaker` records every failure as usual (same work),
 * but its verdict is dropped. `CountBreaker` cannot take `minimumNumberOfCalls` above its size.
 */
function neverTrips(inner: IBreaker): IBreaker {
  return {
    get state() {
      return inner.state;
    },
    set state(value) {
      inner.state = value;
    },
    success: (state) => inner.success(state),
    failure: (state) => {
      inner.failure(state);
      return false;
    },
  };
}

function stays(policy: CircuitBreakerPolicy, state: CircuitState): string | undefined {
  return policy.state === state ? undefined : `breaker is ${CircuitState[policy.state]}, expected ${CircuitState[state]}`;
}
