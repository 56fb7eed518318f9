import type { Clock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import type { ErrorPredicate } from '../common/error-matcher.js';
import { OptionChecker } from '../common/option-checker.js';
import type {
  CircuitBreakerOptions,
  FailureWindowOptions,
  FallbackFn,
} from './circuit-breaker.options.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.snapshot.js';
import { CircuitState } from './circuit-state.js';
import { DEFAULT_TIME_WINDOW_BUCKETS } from './windows/create-failure-window.js';

/** Default breaker name when `name` is not given. */
export const DEFAULT_BREAKER_NAME = 'circuit-breaker';

export { isErrorClass, toErrorPredicate, type ErrorPredicate } from '../common/error-matcher.js';

/** Open duration as backoff parameters; a fixed duration has `initialMs === maxMs`, multiplier 1, jitter 0. */
export interface ResolvedOpenDuration {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: number;
}

/** Options after defaults and validation, in the form the policy runs on. */
export interface ResolvedCircuitBreakerOptions {
  readonly name: string;
  readonly window: Readonly<FailureWindowOptions>;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  /** `Infinity` when slow-call detection is off. */
  readonly slowCallDurationMs: number;
  readonly slowCallRateThreshold: number;
  readonly openDuration: ResolvedOpenDuration;
  readonly permittedCallsInHalfOpen: number;
  readonly halfOpenSuccessRateThreshold: number;
  readonly maxWaitInHalfOpenMs: number;
  /** 0 when calls have no timeout. */
  readonly timeoutMs: number;
  /** Compiled `recordErrors`; undefined when every error counts. */
  readonly recordErrors: readonly ErrorPredicate[] | undefined;
  /** Compiled `ignoreErrors` (possibly empty). */
  readonly ignoreErrors: readonly ErrorPredicate[];
  readonly recordResult: ((result: unknown) => boolean) | undefined;
  readonly fallback: FallbackFn | undefined;
  readonly fallbackOnFailure: boolean;
  readonly clock: Clock;
  readonly initialState: CircuitBreakerSnapshot | undefined;
}

/** The defaults of every option, as documented on `CircuitBreakerOptions`. */
export const CIRCUIT_BREAKER_DEFAULTS = Object.freeze({
  window: Object.freeze({ kind: 'count', size: 20 } as const),
  minimumCalls: 10,
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  openDurationMs: 30_000,
  permittedCallsInHalfOpen: 1,
  halfOpenSuccessRateThreshold: 100,
  maxWaitInHalfOpenMs: 60_000,
  fallbackOnFailure: false,
});

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof CircuitBreakerOptions>([
  'name',
  'window',
  'minimumCalls',
  'failureRateThreshold',
  'slowCallDurationMs',
  'slowCallRateThreshold',
  'openDurationMs',
  'permittedCallsInHalfOpen',
  'halfOpenSuccessRateThreshold',
  'maxWaitInHalfOpenMs',
  'timeoutMs',
  'recordErrors',
  'ignoreErrors',
  'recordResult',
  'fallback',
  'fallbackOnFailure',
  'clock',
  'initialState',
]);

const NO_MATCHERS: readonly ErrorPredicate[] = Object.freeze([]);
const STATES: ReadonlySet<unknown> = new Set(Object.values(CircuitState));
const COUNT_FIELDS = ['successful', 'failed', 'ignored', 'notPermitted', 'timedOut', 'slow'] as const;

/**
 * Applies the defaults and checks every option of one breaker. An option set to `undefined` takes its
 * default, so spreading partial option objects is safe.
 * @throws InvalidOptionError naming the breaker, the option (dotted path) and the bad value, e.g.
 *   `Circuit breaker "db": option "failureRateThreshold" must be a number in (0, 100], got 150`.
 */
export function resolveCircuitBreakerOptions(options: CircuitBreakerOptions = {}): ResolvedCircuitBreakerOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('Circuit breaker', 'options', options, 'must be an object');
  }
  const name = options.name ?? DEFAULT_BREAKER_NAME;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidOptionError('Circuit breaker', 'name', name, 'must be a non-empty string');
  }
  const check = new BreakerOptionChecker(`Circuit breaker "${name}"`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) check.fail(key, (options as Record<string, unknown>)[key], 'is not a circuit breaker option');
  }
  const window = check.window(options.window);
  const minimumCalls = check.positiveInteger('minimumCalls', options.minimumCalls, CIRCUIT_BREAKER_DEFAULTS.minimumCalls);
  const failureRateThreshold = check.percent(
    'failureRateThreshold',
    options.failureRateThreshold,
    CIRCUIT_BREAKER_DEFAULTS.failureRateThreshold,
  );
  const slowCallDurationMs =
    options.slowCallDurationMs === undefined
      ? Number.POSITIVE_INFINITY
      : check.positiveFinite('slowCallDurationMs', options.slowCallDurationMs);
  const slowCallRateThreshold = check.percent(
    'slowCallRateThreshold',
    options.slowCallRateThreshold,
    CIRCUIT_BREAKER_DEFAULTS.slowCallRateThreshold,
  );
  const fallback = options.fallback;
  if (fallback !== undefined && typeof fallback !== 'function') {
    check.fail(
      'fallback',
      fallback,
      typeof fallback === 'string'
        ? 'must be a function here (a method name is resolved by the @CircuitBreaker decorator, not by the policy)'
        : 'must be a function',
    );
  }
  return {
    name,
    window,
    minimumCalls,
    failureRateThreshold,
    slowCallDurationMs,
    slowCallRateThreshold,
    openDuration: check.openDuration(options.openDurationMs),
    permittedCallsInHalfOpen: check.positiveInteger(
      'permittedCallsInHalfOpen',
      options.permittedCallsInHalfOpen,
      CIRCUIT_BREAKER_DEFAULTS.permittedCallsInHalfOpen,
    ),
    halfOpenSuccessRateThreshold: check.percent(
      'halfOpenSuccessRateThreshold',
      options.halfOpenSuccessRateThreshold,
      CIRCUIT_BREAKER_DEFAULTS.halfOpenSuccessRateThreshold,
    ),
    maxWaitInHalfOpenMs:
      options.maxWaitInHalfOpenMs === undefined
        ? CIRCUIT_BREAKER_DEFAULTS.maxWaitInHalfOpenMs
        : check.positiveFinite('maxWaitInHalfOpenMs', options.maxWaitInHalfOpenMs),
    timeoutMs: options.timeoutMs === undefined ? 0 : check.positiveFinite('timeoutMs', options.timeoutMs),
    recordErrors: options.recordErrors === undefined ? undefined : check.matchers('recordErrors', options.recordErrors),
    ignoreErrors: options.ignoreErrors === undefined ? NO_MATCHERS : check.matchers('ignoreErrors', options.ignoreErrors),
    recordResult: check.optionalFunction('recordResult', options.recordResult),
    fallback: fallback as FallbackFn | undefined,
    fallbackOnFailure: check.boolean('fallbackOnFailure', options.fallbackOnFailure, CIRCUIT_BREAKER_DEFAULTS.fallbackOnFailure),
    clock: check.clock(options.clock),
    initialState: options.initialState === undefined ? undefined : check.snapshot(options.initialState),
  };
}

class BreakerOptionChecker extends OptionChecker {
  window(value: FailureWindowOptions | undefined): Readonly<FailureWindowOptions> {
    if (value === undefined) return CIRCUIT_BREAKER_DEFAULTS.window;
    if (typeof value !== 'object' || value === null) {
      this.fail('window', value, "must be an object with kind 'consecutive', 'count' or 'time'");
    }
    switch (value.kind) {
      case 'consecutive':
        return { kind: 'consecutive', failures: this.positiveInteger('window.failures', value.failures) };
      case 'count':
        return { kind: 'count', size: this.positiveInteger('window.size', value.size) };
      case 'time': {
        const durationMs = this.positiveFinite('window.durationMs', value.durationMs);
        const buckets = this.positiveInteger('window.buckets', value.buckets, DEFAULT_TIME_WINDOW_BUCKETS);
        return { kind: 'time', durationMs, buckets };
      }
      default:
        return this.fail('window.kind', (value as { kind: unknown }).kind, "must be 'consecutive', 'count' or 'time'");
    }
  }

  openDuration(value: CircuitBreakerOptions['openDurationMs']): ResolvedOpenDuration {
    if (value === undefined) value = CIRCUIT_BREAKER_DEFAULTS.openDurationMs;
    if (typeof value === 'number') {
      const ms = this.positiveFinite('openDurationMs', value);
      return { initialMs: ms, maxMs: ms, multiplier: 1, jitter: 0 };
    }
    if (typeof value !== 'object' || value === null) {
      this.fail('openDurationMs', value, 'must be a number of ms or { initialMs, maxMs, multiplier?, jitter? }');
    }
    const initialMs = this.positiveFinite('openDurationMs.initialMs', value.initialMs);
    const maxMs = this.positiveFinite('openDurationMs.maxMs', value.maxMs);
    if (maxMs < initialMs) this.fail('openDurationMs.maxMs', maxMs, `must be at least initialMs (${initialMs})`);
    const multiplier = value.multiplier ?? 2;
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
      this.fail('openDurationMs.multiplier', multiplier, 'must be a finite number >= 1');
    }
    const jitter = value.jitter ?? 0;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      this.fail('openDurationMs.jitter', jitter, 'must be a number in [0, 1]');
    }
    return { initialMs, maxMs, multiplier, jitter };
  }

  snapshot(value: unknown): CircuitBreakerSnapshot {
    if (typeof value !== 'object' || value === null) this.fail('initialState', value, 'must be a snapshot from toJSON()');
    const s = value as Partial<CircuitBreakerSnapshot>;
    if (!STATES.has(s.state)) this.fail('initialState.state', s.state, `must be one of ${[...STATES].join(', ')}`);
    if (typeof s.stateSince !== 'number' || !Number.isFinite(s.stateSince)) {
      this.fail('initialState.stateSince', s.stateSince, 'must be a finite number');
    }
    const open = s.state === CircuitState.OPEN || s.state === CircuitState.HALF_OPEN;
    if (open ? typeof s.openUntil !== 'number' || !Number.isFinite(s.openUntil) : s.openUntil !== undefined) {
      this.fail('initialState.openUntil', s.openUntil, open ? 'must be a finite number when OPEN' : 'must be absent unless OPEN');
    }
    this.nonNegativeInteger('initialState.consecutiveTrips', s.consecutiveTrips);
    this.nonNegativeInteger('initialState.transitions', s.transitions);
    if (typeof s.calls !== 'object' || s.calls === null) this.fail('initialState.calls', s.calls, 'must be an object of call counts');
    for (const field of COUNT_FIELDS) this.nonNegativeInteger(`initialState.calls.${field}`, s.calls[field]);
    if (s.reason !== undefined && typeof s.reason !== 'string') this.fail('initialState.reason', s.reason, 'must be a string');
    return s as CircuitBreakerSnapshot;
  }
}
