import { Registry, register, type RegistryContentType } from 'prom-client';
import { type Clock, isClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { DEFAULT_CHECK_BUCKETS, DEFAULT_GRPC_BUCKETS } from './metrics.constants.js';
import { callDurationBuckets, hasFunctions, isObservable, requireBoolean, requireBuckets } from './metrics-option.checks.js';
import type { BreakerMetricsSource, HealthMetricsSource } from './metrics.sources.js';

/** Options of `MetricsModule.forRoot()`. Every field is optional. */
export interface MetricsModuleOptions {
  /**
   * Registry the library's metrics go into, and that `GET /metrics` serves. Default: a private `Registry`
   * per module instance, so two apps in one process (tests) never collide on prom-client's global registry.
   * `'global'`: prom-client's default `register`, so the metrics the app registers itself (a `new Counter()`
   * without `registers`) appear on the same `/metrics`. A `Registry` of your own works the same way.
   */
  registry?: Registry<RegistryContentType> | 'global';
  /** Prepended to every metric name, e.g. `'engined_'`. Default `''`. */
  prefix?: string;
  /** Node.js process metrics (prom-client `collectDefaultMetrics`). Default `true`. */
  defaultMetrics?: boolean;
  /**
   * Route of the scrape endpoint; `false` mounts no controller (scrape `MetricsService.metrics()` yourself).
   * Default `'/metrics'`. It shapes the module: with `forRootAsync`, give it next to `useFactory`.
   */
  path?: string | false;
  /**
   * Also register `GrpcMetricsInterceptor` as a global Nest interceptor (`APP_INTERCEPTOR`). It shapes the
   * module: with `forRootAsync`, give it next to `useFactory`. Default `false`:
   * count gRPC calls with `withGrpcMetrics()` instead, which sees the status the client receives and costs a
   * fraction (any global interceptor puts an RxJS pipeline around every handler of the app, HTTP routes
   * included: about 80 µs of CPU per call on the benchmark machine, see BENCHMARKS.md).
   */
  grpcInterceptor?: boolean;
  /** Buckets (seconds) of `health_check_duration_seconds`. */
  checkDurationBuckets?: readonly number[];
  /** Buckets (seconds) of `grpc_server_handling_seconds`. */
  grpcDurationBuckets?: readonly number[];
  /**
   * The `circuit_breaker_call_duration_seconds{name,outcome}` histogram of the calls each breaker permits.
   * Off by default: it is on the call path (the breakers then read the clock and emit an event per call;
   * see BENCHMARKS.md for its cost). `true` uses buckets from 1 ms to 10 s; `{ buckets }` gives your own (seconds).
   */
  breakerCallDuration?: boolean | { readonly buckets: readonly number[] };
  /**
   * Time source of `health_component_status_seconds_total` (time spent in each status). Give the clock the
   * health module uses. Default: the app's `RESILIENCE_CLOCK` (ResilienceModule's `clock`), else `systemClock`.
   */
  clock?: Clock;
  /** Breakers to report. Default: the app's `BreakerRegistry`, if any. */
  breakers?: BreakerMetricsSource;
  /** Health to report. Default: the app's `HealthRegistry`, if any. */
  health?: HealthMetricsSource;
}

/** What is fixed when the module is defined: the scrape route and the global interceptor. */
export interface MetricsMount {
  path: string | false;
  grpcInterceptor: boolean;
}

/** The options with defaults applied. */
export interface ResolvedMetricsOptions {
  registry: Registry<RegistryContentType> | undefined;
  prefix: string;
  defaultMetrics: boolean;
  path: string | false;
  grpcInterceptor: boolean;
  checkDurationBuckets: number[];
  grpcDurationBuckets: number[];
  /** Undefined: no call-duration histogram. */
  breakerCallDurationBuckets: number[] | undefined;
  /** Undefined: the app's `RESILIENCE_CLOCK`, else `systemClock`. */
  clock: Clock | undefined;
  breakers: BreakerMetricsSource | undefined;
  health: HealthMetricsSource | undefined;
}

const OWNER = 'MetricsModule';
// Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]*, so a prefix follows the same rule.
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Validates the parts that shape the module (at module definition); bad values throw `InvalidOptionError`. */
export function resolveMetricsMount(options: Partial<MetricsMount> | undefined): MetricsMount {
  const { path = '/metrics', grpcInterceptor = false } = options ?? {};
  if (path !== false && (typeof path !== 'string' || path.trim() === '')) {
    throw new InvalidOptionError(OWNER, 'path', path, 'must be a non-empty route string or false');
  }
  requireBoolean(OWNER, 'grpcInterceptor', grpcInterceptor);
  return { path, grpcInterceptor };
}

/**
 * Validates and defaults the options (at bootstrap, for `forRoot` and `forRootAsync` alike); bad values
 * throw `InvalidOptionError` naming the option. `mount` is what the module was defined with.
 */
export function resolveMetricsOptions(options: MetricsModuleOptions = {}, mount: MetricsMount): ResolvedMetricsOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(OWNER, 'options', options, 'must be an object (what forRootAsync\'s factory returned)');
  }
  const {
    registry: given,
    prefix = '',
    defaultMetrics = true,
    path = mount.path,
    grpcInterceptor = mount.grpcInterceptor,
    checkDurationBuckets = DEFAULT_CHECK_BUCKETS,
    grpcDurationBuckets = DEFAULT_GRPC_BUCKETS,
    breakerCallDuration = false,
    clock,
    breakers,
    health,
  } = options;
  if (given !== undefined && given !== 'global' && !(given instanceof Registry)) {
    throw new InvalidOptionError(OWNER, 'registry', given, "must be a prom-client Registry or 'global'");
  }
  const registry = given === 'global' ? (register as Registry<RegistryContentType>) : given;
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix))) {
    throw new InvalidOptionError(OWNER, 'prefix', prefix, 'must be empty or match [a-zA-Z_:][a-zA-Z0-9_:]*');
  }
  requireBoolean(OWNER, 'defaultMetrics', defaultMetrics);
  if (path !== mount.path) {
    throw new InvalidOptionError(OWNER, 'path', path, `is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as ${JSON.stringify(mount.path)})`);
  }
  if (grpcInterceptor !== mount.grpcInterceptor) {
    throw new InvalidOptionError(OWNER, 'grpcInterceptor', grpcInterceptor, `is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as ${mount.grpcInterceptor})`);
  }
  if (breakers !== undefined && (!hasFunctions(breakers, 'list') || !isObservable(breakers, 'stateChanges$'))) {
    throw new InvalidOptionError(OWNER, 'breakers', breakers, 'must have list() and stateChanges$ (a BreakerMetricsSource)');
  }
  if (clock !== undefined && !isClock(clock)) {
    throw new InvalidOptionError(OWNER, 'clock', clock, 'must implement now(), setTimeout() and clearTimeout()');
  }
  const breakerCallDurationBuckets = callDurationBuckets(OWNER, breakerCallDuration);
  if (breakerCallDurationBuckets !== undefined && breakers !== undefined && !isObservable(breakers, 'events$')) {
    throw new InvalidOptionError(OWNER, 'breakers', breakers, 'must have events$ when breakerCallDuration is on (the histogram times calls from it)');
  }
  if (health !== undefined && (!hasFunctions(health, 'components') || !isObservable(health, 'events$'))) {
    throw new InvalidOptionError(OWNER, 'health', health, 'must have components() and events$ (a HealthMetricsSource)');
  }
  return {
    registry,
    prefix,
    defaultMetrics,
    path,
    grpcInterceptor,
    checkDurationBuckets: requireBuckets(OWNER, 'checkDurationBuckets', checkDurationBuckets),
    grpcDurationBuckets: requireBuckets(OWNER, 'grpcDurationBuckets', grpcDurationBuckets),
    breakerCallDurationBuckets,
    clock,
    breakers,
    health,
  };
}
