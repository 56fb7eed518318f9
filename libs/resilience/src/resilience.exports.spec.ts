import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as api from './index.js';

/** What a user of the breaker needs at run time, by name. */
const BREAKER_API = [
  'CircuitBreakerPolicy',
  'CircuitState',
  'CircuitBreakerOpenError',
  'isCircuitBreakerOpenError',
  'CircuitBreakerTimeoutError',
  'isCircuitBreakerTimeoutError',
  'InvalidOptionError',
  'isInvalidOptionError',
  'systemClock',
  'ResilienceModule',
  'RESILIENCE_CLOCK',
  'CircuitBreaker',
  'BreakerSignal',
  'BreakerRegistry',
  'BreakerExceptionFilter',
  'RETRY_AFTER_MS_METADATA',
  'UnknownCircuitBreakerError',
  'isUnknownCircuitBreakerError',
  'FakeClock',
];

/** What a user of retry, bulkhead, timeout, fallback and their composition needs at run time. */
const POLICY_API = [
  'RetryPolicy',
  'Retry',
  'RetryRegistry',
  'GRPC_RETRY_PUSHBACK_METADATA',
  'BulkheadPolicy',
  'Bulkhead',
  'BulkheadRegistry',
  'BulkheadRejectedError',
  'isBulkheadRejectedError',
  'TimeoutPolicy',
  'Timeout',
  'CallTimeoutError',
  'isCallTimeoutError',
  'FallbackPolicy',
  'Fallback',
  'pipeline',
  'ResiliencePipeline',
  'Resilient',
];

/** Implementation details of the breaker and the module: reachable only inside the library. */
const INTERNALS = [
  'createCircuitBreakerOpenError',
  'resolveCircuitBreakerOptions',
  'CIRCUIT_BREAKER_DEFAULTS',
  'createFailureWindow',
  'ConsecutiveWindow',
  'CountWindow',
  'TimeWindow',
  'createBreakerCall',
  'bindBreakerCall',
  'unbindBreakerCall',
  'getOriginalMethod',
  'getCircuitBreakerMetadata',
  'getBreakerSignalParameters',
  'BreakerExplorer',
  'BreakerMetadataAccessor',
  'mergeBreakerOptions',
  'validateResilienceOptions',
  'ConfigurableResilienceModule',
  'RESILIENCE_OPTIONS',
  'RESILIENCE_MODULE_OPTIONS',
  'CIRCUIT_BREAKER_METADATA',
  'BREAKER_SIGNAL_METADATA',
  'createBulkheadRejectedError',
  'resolveRetryOptions',
  'resolveBulkheadOptions',
  'RetryBudget',
  'backoffDelay',
  'retryAfterOf',
  'CompositionExplorer',
  'installDispatcher',
  'recordComposed',
  'isComposedMethod',
  'PolicyRegistry',
  'OptionChecker',
  'rejectLater',
  'sharedIdleSignal',
  'RETRY_METADATA',
  'BULKHEAD_METADATA',
  'TIMEOUT_METADATA',
  'FALLBACK_METADATA',
];

describe('@engined/resilience public API (breaker part)', () => {
  it.each(BREAKER_API)('exports %s by name', (name) => {
    expect((api as Record<string, unknown>)[name]).toBeDefined();
  });

  it.each(POLICY_API)('exports %s by name', (name) => {
    expect((api as Record<string, unknown>)[name]).toBeDefined();
  });

  it.each(INTERNALS)('does not export the internal %s', (name) => {
    expect(Object.keys(api)).not.toContain(name);
  });

  it('keeps the test helpers in the "testing" section of index.ts', () => {
    const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    const testing = source.indexOf('// --- testing ---');
    expect(testing).toBeGreaterThan(0);
    expect(source.indexOf("from './testing/fake-clock.js'")).toBeGreaterThan(testing);
  });
});
