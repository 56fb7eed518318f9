import { describe, expect, it } from '@jest/globals';
import * as grpc from './grpc/index.js';
import * as health from './health/index.js';
import * as root from './index.js';
import * as metrics from './metrics/index.js';
import * as terminus from './terminus/index.js';
import * as testing from './testing/index.js';

/** What a user reaches at run time through each entry point, by name. */
const ENTRY_POINTS: Record<string, { api: object; names: string[] }> = {
  '@engined/resilience': {
    api: root,
    names: [
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
    ],
  },
  '@engined/resilience/health': {
    api: health,
    names: [
      'HealthModule',
      'HealthRegistry',
      'HealthComponent',
      'HealComponent',
      'HealthStatus',
      'HealState',
      'COMPONENT_TYPES',
      'EXTERNAL_COMPONENT_TYPES',
      'PROBE_GROUPS',
      'isFailing',
      'isHealthStatus',
      'isPassing',
      'breakerHealth',
      'redactSecrets',
      'UnknownHealthComponentError',
      'isUnknownHealthComponentError',
      'HEALTH_OPTIONS',
    ],
  },
  '@engined/resilience/terminus': { api: terminus, names: ['ComponentHealthIndicator', 'describeComponent'] },
  '@engined/resilience/grpc': {
    api: grpc,
    names: [
      'GrpcServer',
      'GrpcHealthModule',
      'GrpcHealthService',
      'GrpcHealthStatusManager',
      'healthRegistrySource',
      'ServingStatus',
      'servingStatusOf',
      'withGrpcHealth',
      'GRPC_HEALTH_SERVICE_NAME',
      'breakerInterceptor',
      'grpcStatusKind',
      'grpcStatusClassification',
      'GrpcStatusClassifier',
      'grpcRetryOn',
      'grpcCodeOfError',
      'GrpcStatusError',
    ],
  },
  '@engined/resilience/metrics': {
    api: metrics,
    names: [
      'MetricsModule',
      'MetricsService',
      'GrpcMetricsInterceptor',
      'grpcCodeOf',
      'GrpcServerMetrics',
      'grpcMetricsServerInterceptor',
      'withGrpcMetrics',
    ],
  },
  '@engined/resilience/testing': { api: testing, names: ['FakeClock'] },
};

/** Implementation details: reachable only inside the library, from no entry point. */
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
  'HealthTerminusModule',
  'HealthLifecycleModule',
  'HealthExplorer',
  'assertPeerDependencies',
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

const entries = Object.entries(ENTRY_POINTS);

describe('@engined/resilience public API, per entry point', () => {
  describe.each(entries)('%s', (_entry, { api, names }) => {
    it.each(names)('exports %s by name', (name) => {
      expect((api as Record<string, unknown>)[name]).toBeDefined();
    });

    it.each(INTERNALS)('does not export the internal %s', (name) => {
      expect(Object.keys(api)).not.toContain(name);
    });
  });

  it('gives every public name one entry point (the root re-exports no subpath)', () => {
    const owners = new Map<string, string[]>();
    for (const [entry, { api }] of entries) {
      for (const name of Object.keys(api)) owners.set(name, [...(owners.get(name) ?? []), entry]);
    }
    const shared = [...owners].filter(([, where]) => where.length > 1);
    expect(shared).toEqual([]);
  });
});
