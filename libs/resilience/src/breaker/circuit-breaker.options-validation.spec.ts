import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError, isInvalidOptionError } from '../common/invalid-option.error.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { CircuitBreakerOptions } from './circuit-breaker.options.js';
import { isErrorClass, resolveCircuitBreakerOptions } from './circuit-breaker.options-validation.js';
import { CircuitBreakerPolicy } from './circuit-breaker.policy.js';
import { CircuitState } from './circuit-state.js';

const snapshot = {
  name: 'db',
  state: CircuitState.CLOSED,
  stateSince: 0,
  consecutiveTrips: 0,
  transitions: 0,
  calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
};

/** [option path, options, value shown in the message] */
const invalid: [string, Record<string, unknown>, string][] = [
  ['window', { window: 'count' }, '"count"'],
  ['window.kind', { window: { kind: 'sliding' } }, '"sliding"'],
  ['window.failures', { window: { kind: 'consecutive', failures: 0 } }, '0'],
  ['window.failures', { window: { kind: 'consecutive', failures: 2.5 } }, '2.5'],
  ['window.size', { window: { kind: 'count' } }, 'undefined'],
  ['window.size', { window: { kind: 'count', size: -20 } }, '-20'],
  ['window.durationMs', { window: { kind: 'time', durationMs: 0 } }, '0'],
  ['window.durationMs', { window: { kind: 'time', durationMs: Number.POSITIVE_INFINITY } }, 'Infinity'],
  ['window.buckets', { window: { kind: 'time', durationMs: 10_000, buckets: 0 } }, '0'],
  ['minimumCalls', { minimumCalls: 0 }, '0'],
  ['minimumCalls', { minimumCalls: '10' }, '"10"'],
  ['failureRateThreshold', { failureRateThreshold: 150 }, '150'],
  ['failureRateThreshold', { failureRateThreshold: 0 }, '0'],
  ['failureRateThreshold', { failureRateThreshold: Number.NaN }, 'NaN'],
  ['slowCallDurationMs', { slowCallDurationMs: -1 }, '-1'],
  ['slowCallRateThreshold', { slowCallRateThreshold: 101 }, '101'],
  ['openDurationMs', { openDurationMs: 0 }, '0'],
  ['openDurationMs', { openDurationMs: '30s' }, '"30s"'],
  ['openDurationMs.initialMs', { openDurationMs: { maxMs: 1_000 } }, 'undefined'],
  ['openDurationMs.maxMs', { openDurationMs: { initialMs: 1_000, maxMs: 500 } }, '500'],
  ['openDurationMs.multiplier', { openDurationMs: { initialMs: 1_000, maxMs: 5_000, multiplier: 0.5 } }, '0.5'],
  ['openDurationMs.jitter', { openDurationMs: { initialMs: 1_000, maxMs: 5_000, jitter: 1.5 } }, '1.5'],
  ['permittedCallsInHalfOpen', { permittedCallsInHalfOpen: 0 }, '0'],
  ['halfOpenSuccessRateThreshold', { halfOpenSuccessRateThreshold: -5 }, '-5'],
  ['maxWaitInHalfOpenMs', { maxWaitInHalfOpenMs: 0 }, '0'],
  ['timeoutMs', { timeoutMs: -100 }, '-100'],
  ['timeoutMs', { timeoutMs: null }, 'null'],
  ['recordErrors', { recordErrors: Error }, 'function Error'],
  ['recordErrors[1]', { recordErrors: [Error, 'TypeError'] }, '"TypeError"'],
  ['ignoreErrors[0]', { ignoreErrors: [42] }, '42'],
  ['recordResult', { recordResult: true }, 'true'],
  ['fallback', { fallback: 'cachedUser' }, '"cachedUser"'],
  ['fallback', { fallback: 7 }, '7'],
  ['fallbackOnFailure', { fallbackOnFailure: 'yes' }, '"yes"'],
  ['clock', { clock: { now: () => 0 } }, '{}'],
  ['initialState', { initialState: 'OPEN' }, '"OPEN"'],
  ['initialState.state', { initialState: { ...snapshot, state: 'AJAR' } }, '"AJAR"'],
  ['initialState.openUntil', { initialState: { ...snapshot, state: CircuitState.OPEN } }, 'undefined'],
  ['initialState.calls.failed', { initialState: { ...snapshot, calls: { ...snapshot.calls, failed: -1 } } }, '-1'],
  ['initialState.consecutiveTrips', { initialState: { ...snapshot, consecutiveTrips: 1.5 } }, '1.5'],
  ['failureThreshold', { failureThreshold: 50 }, '50'],
];

describe('circuit breaker option validation', () => {
  it.each(invalid)('rejects a bad %s, naming the breaker, the option and the value', (option, options, shown) => {
    let thrown: unknown;
    try {
      new CircuitBreakerPolicy({ name: 'db', clock: new FakeClock(), ...options } as CircuitBreakerOptions).dispose();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(isInvalidOptionError(thrown)).toBe(true);
    const error = thrown as InvalidOptionError;
    expect(error.owner).toBe('Circuit breaker "db"');
    expect(error.option).toBe(option);
    expect(error.message).toContain(`Circuit breaker "db": option "${option}" `);
    expect(error.message.endsWith(`, got ${shown}`)).toBe(true);
  });

  it('gives the documented message for an out-of-range rate', () => {
    expect(() => new CircuitBreakerPolicy({ name: 'db', failureRateThreshold: 150 })).toThrow(
      'Circuit breaker "db": option "failureRateThreshold" must be a number in (0, 100], got 150',
    );
  });

  it('rejects a bad name with the generic owner', () => {
    expect(() => new CircuitBreakerPolicy({ name: '  ' })).toThrow('Circuit breaker: option "name" must be a non-empty string, got "  "');
  });

  it('explains that a method-name fallback belongs to the decorator', () => {
    expect(() => new CircuitBreakerPolicy({ fallback: 'cachedUser' })).toThrow(/resolved by the @CircuitBreaker decorator/);
  });

  it('applies the documented defaults; undefined means default', () => {
    const resolved = resolveCircuitBreakerOptions({ timeoutMs: undefined, minimumCalls: undefined });
    expect(resolved).toMatchObject({
      name: 'circuit-breaker',
      window: { kind: 'count', size: 20 },
      minimumCalls: 10,
      failureRateThreshold: 50,
      slowCallDurationMs: Number.POSITIVE_INFINITY,
      slowCallRateThreshold: 100,
      openDuration: { initialMs: 30_000, maxMs: 30_000, multiplier: 1, jitter: 0 },
      permittedCallsInHalfOpen: 1,
      halfOpenSuccessRateThreshold: 100,
      maxWaitInHalfOpenMs: 60_000,
      timeoutMs: 0,
      recordErrors: undefined,
      ignoreErrors: [],
      fallbackOnFailure: false,
    });
    expect(resolveCircuitBreakerOptions({ window: { kind: 'time', durationMs: 5_000 } }).window).toEqual({
      kind: 'time',
      durationMs: 5_000,
      buckets: 10,
    });
    expect(resolveCircuitBreakerOptions({ openDurationMs: { initialMs: 1_000, maxMs: 8_000 } }).openDuration).toEqual({
      initialMs: 1_000,
      maxMs: 8_000,
      multiplier: 2,
      jitter: 0,
    });
  });
});

class DomainError extends Error {}
class NotAnError {}
function LegacyCtor() {}
LegacyCtor.prototype.label = function label() {
  return 'legacy';
};

describe('isErrorClass', () => {
  it.each<[string, unknown, boolean]>([
    ['an ES class', NotAnError, true],
    ['an Error subclass', DomainError, true],
    ['Error itself', Error, true],
    ['a native error constructor', TypeError, true],
    ['an ES5 constructor with prototype methods', LegacyCtor, true],
    ['an arrow predicate', (e: unknown) => e instanceof DomainError, false],
    ['a function predicate', function isDomain(e: unknown) {
      return e instanceof DomainError;
    }, false],
    [
      'a bound predicate',
      function (this: { accept: boolean }, e: unknown) {
        return this.accept && Boolean(e);
      }.bind({ accept: true }),
      false,
    ],
    ['an object method predicate', { m(e: unknown) { return Boolean(e); } }.m, false],
  ])('%s → %p', (_label, matcher, expected) => {
    expect(isErrorClass(matcher as never)).toBe(expected);
  });
});
