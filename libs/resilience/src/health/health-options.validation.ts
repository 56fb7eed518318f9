import { type Clock, systemClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import type { BackoffSettings } from './heal-backoff.js';
import type {
  CheckFn,
  ComponentOptions,
  FlappingOptions,
  HealFn,
  HealthComponentDefinition,
} from './health-component.options.js';
import type {
  DetailVisibility,
  HealthHttpMount,
  HealthModuleOptions,
} from './health-module.options.js';
import {
  COMPONENT_TYPES,
  type ComponentType,
  EXTERNAL_COMPONENT_TYPES,
  HealthStatus,
  PROBE_GROUPS,
  type ProbeGroup,
} from './health-status.js';

/** Largest delay Node timers accept. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Healing policy with every default applied. */
export interface ResolvedHealing {
  timeoutMs: number;
  backoff: BackoffSettings;
  maxAttempts: number;
  windowMs: number;
  stableForMs: number;
  verifyWindowMs: number;
  escalation: { readiness: boolean; livenessAfterMs?: number };
}

/** Flap detection with every default applied. */
export interface ResolvedFlapping {
  maxTransitions: number;
  windowMs: number;
  /** Reported while flapping: DEGRADED or UNHEALTHY. */
  status: HealthStatus;
}

/** A component with every default applied and every option checked. */
export interface ResolvedComponent {
  name: string;
  type: ComponentType;
  critical: boolean;
  probes: readonly ProbeGroup[];
  allowInLiveness: boolean;
  dependsOn: readonly string[];
  /** Names of the circuit breakers guarding this dependency (checked against `BreakerRegistry` at bootstrap). */
  guards: readonly string[];
  intervalMs: number;
  timeoutMs: number;
  initialDelayMs: number;
  jitter: number;
  failureThreshold: number;
  successThreshold: number;
  /** 0: never stale. */
  maxResultAgeMs: number;
  /** Status of a throwing or timed-out check: UNHEALTHY or UNKNOWN. */
  onError: HealthStatus;
  healing: ResolvedHealing;
  /** Absent when turned off (`flapping: false`). */
  flapping?: ResolvedFlapping;
  /** Absent for breaker components, which follow their breaker's events instead of being checked. */
  check?: CheckFn;
  heal?: HealFn;
}

/** `HealthModule` options with every default applied and every option checked. */
export interface ResolvedHealthOptions {
  clock: Clock;
  startupGraceMs: number;
  maxConcurrentHeals: number;
  drainDelayMs: number;
  drainSignals: readonly string[];
  http: { enabled: boolean; path: string; details: DetailVisibility; token?: string };
  historySize: number;
  components: readonly HealthComponentDefinition[];
  defaults: ComponentOptions;
  breakers: { enabled: boolean; probes: readonly ProbeGroup[]; critical: boolean; namePrefix: string };
}

const MODULE = 'HealthModule';

/** Defaults of every component option (documented in the README's option table). */
export const COMPONENT_DEFAULTS = {
  type: 'custom' as ComponentType,
  critical: true,
  probes: ['readiness'] as readonly ProbeGroup[],
  allowInLiveness: false,
  intervalMs: 10_000,
  timeoutMs: 5_000,
  initialDelayMs: 0,
  jitter: 0,
  failureThreshold: 3,
  successThreshold: 1,
  onError: 'unhealthy' as const,
  healing: {
    timeoutMs: 30_000,
    backoff: { minMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.2 },
    maxAttempts: 5,
    windowMs: 300_000,
    stableForMs: 60_000,
    verifyWindowMs: 0,
    escalation: { readiness: true },
  },
};

/** Defaults of `flapping`: more than 4 result changes within 20 check intervals. */
export const FLAPPING_DEFAULTS = { maxTransitions: 4, windowIntervals: 20 };

/** Checks the module options and fills in defaults. `mount` is the HTTP mount the module was defined with. */
export function resolveHealthOptions(raw: HealthModuleOptions | undefined, mount: HealthHttpMount): ResolvedHealthOptions {
  const options = raw ?? {};
  if (typeof options !== 'object') throw new InvalidOptionError(MODULE, 'options', options, 'must be an object');
  const http = options.http ?? {};
  if (http.enabled !== undefined && http.enabled !== mount.enabled) {
    throw new InvalidOptionError(MODULE, 'http.enabled', http.enabled, `is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as ${mount.enabled})`);
  }
  if (http.path !== undefined && normalizePath(http.path) !== mount.path) {
    throw new InvalidOptionError(MODULE, 'http.path', http.path, `is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as "${mount.path}")`);
  }
  const details = oneOf(MODULE, 'http.details', http.details ?? 'never', ['never', 'always', 'token'] as const);
  if (details === 'token' && (typeof http.token !== 'string' || http.token.length === 0)) {
    throw new InvalidOptionError(MODULE, 'http.token', http.token, 'must be a non-empty string when http.details is "token"');
  }
  const breakers = options.breakers ?? {};
  const defaults = options.defaults ?? {};
  // Validate the defaults once with the module as owner, so a bad default names the module, not the first component.
  resolveComponentOptions(MODULE, 'defaults.', defaults, {});
  const components = options.components ?? [];
  if (!Array.isArray(components)) throw new InvalidOptionError(MODULE, 'components', components, 'must be an array');
  return {
    clock: clock(options.clock),
    startupGraceMs: ms(MODULE, 'startupGraceMs', options.startupGraceMs ?? 10_000, 0),
    maxConcurrentHeals: int(MODULE, 'maxConcurrentHeals', options.maxConcurrentHeals ?? 4, 1),
    drainDelayMs: ms(MODULE, 'drainDelayMs', options.drainDelayMs ?? 5_000, 0),
    drainSignals: stringArray(MODULE, 'drainSignals', options.drainSignals ?? ['SIGTERM']),
    http: { enabled: mount.enabled, path: mount.path, details, token: http.token },
    historySize: int(MODULE, 'historySize', options.historySize ?? 50, 0),
    components,
    defaults,
    breakers: {
      enabled: bool(MODULE, 'breakers.enabled', breakers.enabled ?? true),
      probes: probes(MODULE, 'breakers.probes', breakers.probes ?? ['readiness']),
      critical: bool(MODULE, 'breakers.critical', breakers.critical ?? false),
      namePrefix: stringOr(MODULE, 'breakers.namePrefix', breakers.namePrefix, 'breaker:'),
    },
  };
}

/** Checks a mount path and strips its slashes (`'/health/'` → `'health'`). Throws at module definition. */
export function resolveMount(http: { enabled?: boolean; path?: string } | undefined): HealthHttpMount {
  const enabled = bool(MODULE, 'http.enabled', http?.enabled ?? true);
  const path = http?.path ?? 'health';
  if (typeof path !== 'string' || /\s/.test(path)) {
    throw new InvalidOptionError(MODULE, 'http.path', path, 'must be a URL path without spaces');
  }
  return { enabled, path: normalizePath(path) };
}

function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/**
 * Checks one component (its own options over `defaults`) and fills in defaults. Rejects external types
 * in liveness unless `allowInLiveness`. `dependsOn` names are checked later, against the whole registry.
 */
export function resolveComponent(definition: HealthComponentDefinition, defaults: ComponentOptions): ResolvedComponent {
  if (typeof definition !== 'object' || definition === null) {
    throw new InvalidOptionError('Health component', 'definition', definition, 'must be an object');
  }
  const name = definition.name;
  if (typeof name !== 'string' || name.length === 0 || name.trim() !== name) {
    throw new InvalidOptionError('Health component', 'name', name, 'must be a non-empty string without surrounding spaces');
  }
  const owner = `Health component "${name}"`;
  if (typeof definition.check !== 'function') {
    throw new InvalidOptionError(owner, 'check', definition.check, 'must be a function');
  }
  if (definition.heal !== undefined && typeof definition.heal !== 'function') {
    throw new InvalidOptionError(owner, 'heal', definition.heal, 'must be a function');
  }
  const resolved = resolveComponentOptions(owner, '', definition, defaults);
  return { name, ...resolved, check: definition.check, heal: definition.heal };
}

function resolveComponentOptions(
  owner: string,
  prefix: string,
  own: ComponentOptions,
  defaults: ComponentOptions,
): Omit<ResolvedComponent, 'name' | 'check' | 'heal'> {
  const pick = <K extends keyof ComponentOptions>(key: K): ComponentOptions[K] => (own[key] !== undefined ? own[key] : defaults[key]);
  const at = (path: string): string => prefix + path;
  const type = oneOf(owner, at('type'), pick('type') ?? COMPONENT_DEFAULTS.type, COMPONENT_TYPES);
  const probeList = probes(owner, at('probes'), pick('probes') ?? COMPONENT_DEFAULTS.probes);
  const allowInLiveness = bool(owner, at('allowInLiveness'), pick('allowInLiveness') ?? COMPONENT_DEFAULTS.allowInLiveness);
  if (probeList.includes('liveness') && EXTERNAL_COMPONENT_TYPES.has(type) && !allowInLiveness) {
    throw new InvalidOptionError(
      owner,
      at('probes'),
      probeList,
      `must not include "liveness" for a ${type} component (restarting the pod does not fix a failed dependency); set allowInLiveness: true to override`,
    );
  }
  const intervalMs = ms(owner, at('intervalMs'), pick('intervalMs') ?? COMPONENT_DEFAULTS.intervalMs, 1);
  const timeoutMs = ms(owner, at('timeoutMs'), pick('timeoutMs') ?? COMPONENT_DEFAULTS.timeoutMs, 1);
  const onError = oneOf(owner, at('onError'), pick('onError') ?? COMPONENT_DEFAULTS.onError, ['unhealthy', 'unknown'] as const);
  return {
    type,
    critical: bool(owner, at('critical'), pick('critical') ?? COMPONENT_DEFAULTS.critical),
    probes: probeList,
    allowInLiveness,
    dependsOn: stringArray(owner, at('dependsOn'), pick('dependsOn') ?? []),
    guards: stringArray(owner, at('guards'), pick('guards') ?? []),
    intervalMs,
    timeoutMs,
    initialDelayMs: ms(owner, at('initialDelayMs'), pick('initialDelayMs') ?? COMPONENT_DEFAULTS.initialDelayMs, 0),
    jitter: fraction(owner, at('jitter'), pick('jitter') ?? COMPONENT_DEFAULTS.jitter),
    failureThreshold: int(owner, at('failureThreshold'), pick('failureThreshold') ?? COMPONENT_DEFAULTS.failureThreshold, 1),
    successThreshold: int(owner, at('successThreshold'), pick('successThreshold') ?? COMPONENT_DEFAULTS.successThreshold, 1),
    maxResultAgeMs: ms(owner, at('maxResultAgeMs'), pick('maxResultAgeMs') ?? Math.min(MAX_TIMER_MS, 2 * intervalMs + timeoutMs), 0),
    onError: onError === 'unknown' ? HealthStatus.UNKNOWN : HealthStatus.UNHEALTHY,
    healing: resolveHealing(owner, at('healing.'), own.healing, defaults.healing),
    ...resolveFlapping(owner, at('flapping'), own.flapping, defaults.flapping, intervalMs),
  };
}

/** `{ flapping }` with the defaults applied, or `{}` when turned off. The component's own object is merged over the defaults' one. */
function resolveFlapping(
  owner: string,
  option: string,
  own: ComponentOptions['flapping'],
  defaults: ComponentOptions['flapping'],
  intervalMs: number,
): { flapping?: ResolvedFlapping } {
  for (const value of [own, defaults]) {
    if (value !== undefined && value !== false && (typeof value !== 'object' || value === null)) {
      throw new InvalidOptionError(owner, option, value, 'must be an object of FlappingOptions or false');
    }
  }
  if (own === false || (own === undefined && defaults === false)) return {};
  const f: FlappingOptions = { ...(defaults as FlappingOptions | undefined), ...(own as FlappingOptions | undefined) };
  const d = FLAPPING_DEFAULTS;
  return {
    flapping: {
      maxTransitions: int(owner, `${option}.maxTransitions`, f.maxTransitions ?? d.maxTransitions, 1),
      windowMs: ms(owner, `${option}.windowMs`, f.windowMs ?? Math.min(MAX_TIMER_MS, d.windowIntervals * intervalMs), 1),
      status: oneOf(owner, `${option}.status`, f.status ?? 'degraded', ['degraded', 'unhealthy'] as const) === 'unhealthy' ? HealthStatus.UNHEALTHY : HealthStatus.DEGRADED,
    },
  };
}

function resolveHealing(
  owner: string,
  prefix: string,
  own: ComponentOptions['healing'],
  defaults: ComponentOptions['healing'],
): ResolvedHealing {
  // `defaults.healing` was checked with the module as owner; only the component's own object is new here.
  if (own !== undefined && (typeof own !== 'object' || own === null)) {
    throw new InvalidOptionError(owner, prefix.slice(0, -1), own, 'must be an object');
  }
  const h = { ...defaults, ...own };
  const b = { ...defaults?.backoff, ...own?.backoff };
  const e = { ...defaults?.escalation, ...own?.escalation };
  const d = COMPONENT_DEFAULTS.healing;
  const minMs = ms(owner, `${prefix}backoff.minMs`, b.minMs ?? d.backoff.minMs, 0);
  const maxMs = ms(owner, `${prefix}backoff.maxMs`, b.maxMs ?? Math.max(d.backoff.maxMs, minMs), 0);
  if (maxMs < minMs) {
    throw new InvalidOptionError(owner, `${prefix}backoff.maxMs`, maxMs, `must be ≥ backoff.minMs (${minMs})`);
  }
  const factor = b.factor ?? d.backoff.factor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new InvalidOptionError(owner, `${prefix}backoff.factor`, factor, 'must be a finite number ≥ 1');
  }
  const livenessAfterMs = e.livenessAfterMs === undefined ? undefined : ms(owner, `${prefix}escalation.livenessAfterMs`, e.livenessAfterMs, 0);
  return {
    timeoutMs: ms(owner, `${prefix}timeoutMs`, h.timeoutMs ?? d.timeoutMs, 1),
    backoff: { minMs, maxMs, factor, jitter: fraction(owner, `${prefix}backoff.jitter`, b.jitter ?? d.backoff.jitter) },
    maxAttempts: int(owner, `${prefix}maxAttempts`, h.maxAttempts ?? d.maxAttempts, 1),
    windowMs: ms(owner, `${prefix}windowMs`, h.windowMs ?? d.windowMs, 1),
    stableForMs: ms(owner, `${prefix}stableForMs`, h.stableForMs ?? d.stableForMs, 0),
    verifyWindowMs: ms(owner, `${prefix}verifyWindowMs`, h.verifyWindowMs ?? d.verifyWindowMs, 0),
    escalation: {
      readiness: bool(owner, `${prefix}escalation.readiness`, e.readiness ?? d.escalation.readiness),
      ...(livenessAfterMs === undefined ? {} : { livenessAfterMs }),
    },
  };
}

function int(owner: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(owner, option, value, `must be an integer ≥ ${min}`);
  }
  return value;
}

function ms(owner: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new InvalidOptionError(owner, option, value, `must be an integer number of milliseconds in [${min}, ${MAX_TIMER_MS}]`);
  }
  return value;
}

function fraction(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(owner, option, value, 'must be a number in [0, 1]');
  }
  return value;
}

function bool(owner: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(owner, option, value, 'must be a boolean');
  return value;
}

function oneOf<T extends string>(owner: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(owner, option, value, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return value as T;
}

function stringArray(owner: string, option: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new InvalidOptionError(owner, option, value, 'must be an array of non-empty strings');
  }
  if (new Set(value).size !== value.length) throw new InvalidOptionError(owner, option, value, 'must not repeat a name');
  return [...(value as string[])];
}

function stringOr(owner: string, option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new InvalidOptionError(owner, option, value, 'must be a string');
  return value;
}

function probes(owner: string, option: string, value: unknown): readonly ProbeGroup[] {
  if (!Array.isArray(value) || value.some((group) => !PROBE_GROUPS.includes(group as ProbeGroup))) {
    throw new InvalidOptionError(owner, option, value, `must be an array of ${PROBE_GROUPS.map((g) => `"${g}"`).join(', ')}`);
  }
  if (new Set(value).size !== value.length) throw new InvalidOptionError(owner, option, value, 'must not repeat a group');
  return [...(value as ProbeGroup[])];
}

function clock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  const c = value as Partial<Clock> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.now !== 'function' ||
    typeof c.setTimeout !== 'function' ||
    typeof c.clearTimeout !== 'function'
  ) {
    throw new InvalidOptionError(MODULE, 'clock', value, 'must implement now(), setTimeout() and clearTimeout()');
  }
  return c as Clock;
}
