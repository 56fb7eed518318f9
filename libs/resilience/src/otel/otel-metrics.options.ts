import type { MeterProvider } from '@opentelemetry/api';
import { type Clock, isClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { DEFAULT_CHECK_BUCKETS } from '../metrics/metrics.constants.js';
import { callDurationBuckets, hasFunctions, isObservable, requireBuckets } from '../metrics/metrics-option.checks.js';
import type { BreakerMetricsSource, HealthMetricsSource } from '../metrics/metrics.sources.js';

/** Options of `OpenTelemetryMetricsModule.forRoot()`. Every field is optional. */
export interface OpenTelemetryMetricsModuleOptions {
  /**
   * Where the instruments are created: `meterProvider.getMeter('@engined/resilience')`. Default: the global
   * provider of `@opentelemetry/api` (`metrics.getMeterProvider()`), the one your OpenTelemetry SDK registers
   * (`NodeSDK`, or `metrics.setGlobalMeterProvider(new MeterProvider(...))`). Without an SDK it is a no-op.
   */
  meterProvider?: MeterProvider;
  /** Prepended to every instrument name, e.g. `'engined_'`. Default `''`. */
  prefix?: string;
  /** Explicit bucket boundaries (seconds) of `health_check_duration`. */
  checkDurationBuckets?: readonly number[];
  /**
   * The `circuit_breaker_call_duration` histogram (seconds) of the calls each breaker permits. Off by default:
   * it is on the call path (see `MetricsModuleOptions.breakerCallDuration`). `{ buckets }` gives explicit boundaries.
   */
  breakerCallDuration?: boolean | { readonly buckets: readonly number[] };
  /** Time source of `health_component_status_seconds`. Default: the app's `RESILIENCE_CLOCK`, else `systemClock`. */
  clock?: Clock;
  /** Breakers to report. Default: the app's `BreakerRegistry`, if any. */
  breakers?: BreakerMetricsSource;
  /** Health to report. Default: the app's `HealthRegistry`, if any. */
  health?: HealthMetricsSource;
}

/** The options with defaults applied. @internal */
export interface ResolvedOpenTelemetryMetricsOptions {
  meterProvider: MeterProvider | undefined;
  prefix: string;
  checkDurationBuckets: number[];
  breakerCallDurationBuckets: number[] | undefined;
  clock: Clock | undefined;
  breakers: BreakerMetricsSource | undefined;
  health: HealthMetricsSource | undefined;
}

const OWNER = 'OpenTelemetryMetricsModule';
// OpenTelemetry instrument names: a letter, then up to 254 of [A-Za-z0-9_.\-/]. A prefix starts the same way.
const PREFIX = /^[A-Za-z][A-Za-z0-9_.\-/]{0,62}$/;

/** Validates and defaults the options (at bootstrap); bad values throw `InvalidOptionError` naming the option. */
export function resolveOpenTelemetryMetricsOptions(options: OpenTelemetryMetricsModuleOptions = {}): ResolvedOpenTelemetryMetricsOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(OWNER, 'options', options, "must be an object (what forRootAsync's factory returned)");
  }
  const { meterProvider, prefix = '', checkDurationBuckets = DEFAULT_CHECK_BUCKETS, breakerCallDuration = false, clock, breakers, health } = options;
  if (meterProvider !== undefined && !hasFunctions(meterProvider, 'getMeter')) {
    throw new InvalidOptionError(OWNER, 'meterProvider', meterProvider, 'must be an OpenTelemetry MeterProvider (with getMeter())');
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix))) {
    throw new InvalidOptionError(OWNER, 'prefix', prefix, 'must be empty or match [A-Za-z][A-Za-z0-9_.-/]* (at most 63 characters)');
  }
  if (clock !== undefined && !isClock(clock)) {
    throw new InvalidOptionError(OWNER, 'clock', clock, 'must implement now(), setTimeout() and clearTimeout()');
  }
  if (breakers !== undefined && (!hasFunctions(breakers, 'list') || !isObservable(breakers, 'stateChanges$'))) {
    throw new InvalidOptionError(OWNER, 'breakers', breakers, 'must have list() and stateChanges$ (a BreakerMetricsSource)');
  }
  const breakerCallDurationBuckets = callDurationBuckets(OWNER, breakerCallDuration);
  if (breakerCallDurationBuckets !== undefined && breakers !== undefined && !isObservable(breakers, 'events$')) {
    throw new InvalidOptionError(OWNER, 'breakers', breakers, 'must have events$ when breakerCallDuration is on (the histogram times calls from it)');
  }
  if (health !== undefined && (!hasFunctions(health, 'components') || !isObservable(health, 'events$'))) {
    throw new InvalidOptionError(OWNER, 'health', health, 'must have components() and events$ (a HealthMetricsSource)');
  }
  return {
    meterProvider,
    prefix,
    checkDurationBuckets: requireBuckets(OWNER, 'checkDurationBuckets', checkDurationBuckets),
    breakerCallDurationBuckets,
    clock,
    breakers,
    health,
  };
}
