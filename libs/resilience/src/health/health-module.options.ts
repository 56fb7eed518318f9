import type { Clock } from '../common/clock.js';
import type { ComponentOptions, HealthComponentDefinition } from './health-component.options.js';
import type { ProbeGroup } from './health-status.js';

/** Who sees component details in HTTP responses. */
export type DetailVisibility = 'never' | 'always' | 'token';

/** The Terminus HTTP endpoints. */
export interface HealthHttpOptions {
  /**
   * Mount the controller. Default true; false for pure gRPC apps. Fixed when the module is defined:
   * with `forRootAsync`, pass it next to `useFactory`, not from the factory.
   */
  enabled?: boolean;
  /** Route prefix of `GET /<path>`, `/<path>/live`, `/<path>/ready`, `/<path>/startup`. Default `'health'`. Fixed like `enabled`. */
  path?: string;
  /** `never`: status only; `always`: every component's details; `token`: details for `Authorization: Bearer <token>`. Default `'never'`. */
  details?: DetailVisibility;
  /** The bearer token for `details: 'token'` (required then). */
  token?: string;
}

/** How circuit breakers from `BreakerRegistry` appear as components. */
export interface BreakerComponentsOptions {
  /** Add every breaker as a component (type `breaker`). Default true. */
  enabled?: boolean;
  /** Probe groups of breaker components. Default `['readiness']`. */
  probes?: readonly ProbeGroup[];
  /** Breaker components are non-critical by default: an open breaker degrades, it never takes the instance out of rotation. */
  critical?: boolean;
  /** Component name = prefix + breaker name. Default `'breaker:'`. */
  namePrefix?: string;
}

/** Options of `HealthModule.forRoot` / the factory of `forRootAsync`. Every field is optional. */
export interface HealthModuleOptions {
  /** Time source for every decision (staleness, backoff, windows, grace, drain). Default `systemClock`. */
  clock?: Clock;
  /** No healing during this long after bootstrap; components UNHEALTHY when it ends are healed then. Default 10 000 ms. */
  startupGraceMs?: number;
  /** At most this many heals run at once across all components; more wait in line. Default 4. */
  maxConcurrentHeals?: number;
  /** On a drain signal, readiness fails at once and the app waits this long before closing. Default 5 000 ms. */
  drainDelayMs?: number;
  /** Shutdown signals that wait `drainDelayMs` (`app.close()` without a signal never waits). Default `['SIGTERM']`. */
  drainSignals?: readonly string[];
  /** The HTTP endpoints. */
  http?: HealthHttpOptions;
  /** Check results and heal attempts kept per component (two ring buffers of this size). Default 50. */
  historySize?: number;
  /** Components registered at init, next to the decorated ones. Default []. */
  components?: readonly HealthComponentDefinition[];
  /** Defaults for every component's options (a component's own options win). */
  defaults?: ComponentOptions;
  /** Breakers as components. */
  breakers?: BreakerComponentsOptions;
}

/** The HTTP mount, fixed when the module is defined (the controller's path is class metadata). */
export interface HealthHttpMount {
  enabled: boolean;
  path: string;
}
