import { systemClock, type Clock } from './common/clock.js';
import { InvalidOptionError, isInvalidOptionError } from './common/invalid-option.error.js';
import { resolveCircuitBreakerOptions } from './breaker/circuit-breaker.options-validation.js';
import type { CircuitBreakerSnapshot } from './breaker/circuit-breaker.snapshot.js';
import { resolveBulkheadOptions } from './bulkhead/bulkhead.options-validation.js';
import { resolveRetryOptions } from './retry/retry.options-validation.js';
import type {
  BreakerProfile,
  ResolvedPolicyProfiles,
  ResilienceModuleOptions,
  ResolvedResilienceOptions,
} from './resilience-options.interface.js';

const OWNER = 'ResilienceModule';
const MODULE_KEYS: ReadonlySet<string> = new Set(['defaults', 'profiles', 'retry', 'bulkhead', 'clock', 'initialStates']);
/** Options that belong to one breaker or to the module, never to defaults or profiles. */
const PER_BREAKER_KEYS = ['name', 'initialState', 'clock'] as const;

/**
 * Validates and normalises the module options; the one place both `forRoot` and `forRootAsync` pass through.
 * Breaker options (defaults, and each profile merged over them) are checked by the breaker's own validator,
 * so a bad profile fails at bootstrap, not at the first decorated call.
 * @throws InvalidOptionError naming `ResilienceModule`, the option path (`profiles.slow.timeoutMs`) and the value.
 */
export function validateResilienceOptions(raw: ResilienceModuleOptions | undefined | null): ResolvedResilienceOptions {
  const options = raw ?? {};
  if (!isPlainObject(options)) throw new InvalidOptionError(OWNER, 'options', raw, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!MODULE_KEYS.has(key)) {
      throw new InvalidOptionError(OWNER, key, options[key as keyof typeof options], 'is not an option (expected defaults, profiles, retry, bulkhead, clock or initialStates)');
    }
  }
  const clock = validateClock(options.clock);
  const defaults = validateProfile('defaults', options.defaults ?? {}, {});
  const profiles = new Map<string, Readonly<BreakerProfile>>();
  const rawProfiles: unknown = options.profiles ?? {};
  if (!isPlainObject(rawProfiles)) throw new InvalidOptionError(OWNER, 'profiles', rawProfiles, 'must be an object of named breaker options');
  for (const [name, profile] of Object.entries(rawProfiles)) {
    if (name.trim() === '') throw new InvalidOptionError(OWNER, 'profiles', name, 'must not contain an empty profile name');
    profiles.set(name, validateProfile(`profiles.${name}`, profile, defaults));
  }
  return {
    defaults,
    profiles,
    retry: validatePolicyProfiles('retry', options.retry, resolveRetryOptions),
    bulkhead: validatePolicyProfiles('bulkhead', options.bulkhead, resolveBulkheadOptions),
    clock,
    initialStates: validateInitialStates(options.initialStates),
  };
}

/** Options of one policy, shared: never its name, its clock (the module's) or a profile of its own. */
const PER_POLICY_KEYS = ['name', 'clock', 'profile'] as const;

/**
 * `retry` / `bulkhead`: `{ defaults, profiles }`, each profile merged over `defaults` and checked by the policy's
 * own validator, so a bad profile fails at bootstrap with its path (`retry.profiles.idempotent.maxAttempts`).
 */
function validatePolicyProfiles<P extends object>(kind: 'retry' | 'bulkhead', raw: unknown, resolve: (options: P) => unknown): ResolvedPolicyProfiles<P> {
  if (raw === undefined) return { defaults: Object.freeze({} as P), profiles: new Map() };
  if (!isPlainObject(raw)) throw new InvalidOptionError(OWNER, kind, raw, 'must be an object: { defaults?, profiles? }');
  for (const key of Object.keys(raw)) {
    if (key !== 'defaults' && key !== 'profiles') throw new InvalidOptionError(OWNER, `${kind}.${key}`, raw[key], 'is not an option (expected defaults or profiles)');
  }
  const check = (path: string, profile: unknown, base: Readonly<P>): Readonly<P> => {
    if (!isPlainObject(profile)) throw new InvalidOptionError(OWNER, path, profile, `must be an object of ${kind} options`);
    for (const key of PER_POLICY_KEYS) {
      if (key in profile) throw new InvalidOptionError(OWNER, `${path}.${key}`, profile[key], 'cannot be shared; set it per policy (clock: on the module)');
    }
    const merged = { ...base, ...(profile as P) };
    try {
      resolve(merged);
    } catch (error) {
      if (!isInvalidOptionError(error)) throw error;
      throw new InvalidOptionError(OWNER, `${path}.${error.option}`, error.value, error.expected);
    }
    return Object.freeze(merged);
  };
  const defaults = check(`${kind}.defaults`, raw.defaults ?? {}, Object.freeze({} as P));
  const profiles = new Map<string, Readonly<P>>();
  const rawProfiles: unknown = raw.profiles ?? {};
  if (!isPlainObject(rawProfiles)) throw new InvalidOptionError(OWNER, `${kind}.profiles`, rawProfiles, `must be an object of named ${kind} options`);
  for (const [name, profile] of Object.entries(rawProfiles)) {
    if (name.trim() === '') throw new InvalidOptionError(OWNER, `${kind}.profiles`, name, 'must not contain an empty profile name');
    profiles.set(name, check(`${kind}.profiles.${name}`, profile, defaults));
  }
  return { defaults, profiles };
}

/** Each snapshot is checked as the breaker will check it, so a corrupt save fails at bootstrap. */
function validateInitialStates(raw: unknown): ReadonlyMap<string, CircuitBreakerSnapshot> {
  const states = new Map<string, CircuitBreakerSnapshot>();
  if (raw === undefined) return states;
  if (!Array.isArray(raw)) throw new InvalidOptionError(OWNER, 'initialStates', raw, 'must be an array of breaker snapshots (toJSON())');
  raw.forEach((snapshot: unknown, i) => {
    const path = `initialStates[${i}]`;
    const name = (snapshot as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidOptionError(OWNER, `${path}.name`, name, 'must be the name of the breaker the snapshot was taken from');
    }
    if (states.has(name)) throw new InvalidOptionError(OWNER, `${path}.name`, name, 'must not repeat an earlier snapshot\'s name');
    try {
      resolveCircuitBreakerOptions({ name, initialState: snapshot as CircuitBreakerSnapshot });
    } catch (error) {
      if (!isInvalidOptionError(error)) throw error;
      throw new InvalidOptionError(OWNER, `${path}${error.option.slice('initialState'.length)}`, error.value, error.expected);
    }
    states.set(name, snapshot as CircuitBreakerSnapshot);
  });
  return states;
}

function validateClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock;
  const candidate = clock as Partial<Clock> | null;
  const ok =
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.now === 'function' &&
    typeof candidate.setTimeout === 'function' &&
    typeof candidate.clearTimeout === 'function';
  if (!ok) throw new InvalidOptionError(OWNER, 'clock', clock, 'must implement now(), setTimeout() and clearTimeout()');
  return clock as Clock;
}

/** Checks one option set merged over `base` and returns the merged, frozen result. */
function validateProfile(path: string, profile: unknown, base: Readonly<BreakerProfile>): Readonly<BreakerProfile> {
  if (!isPlainObject(profile)) throw new InvalidOptionError(OWNER, path, profile, 'must be an object of breaker options');
  for (const key of PER_BREAKER_KEYS) {
    if (key in profile) {
      throw new InvalidOptionError(OWNER, `${path}.${key}`, profile[key], 'cannot be shared; set it per breaker (clock: on the module)');
    }
  }
  const merged: BreakerProfile = { ...base, ...(profile as BreakerProfile) };
  const { fallback, ...checked } = merged;
  if (typeof fallback === 'string' && fallback.trim() === '') {
    throw new InvalidOptionError(OWNER, `${path}.fallback`, fallback, 'must name a method of the decorated provider');
  }
  try {
    resolveCircuitBreakerOptions({ ...checked, ...(typeof fallback === 'function' ? { fallback } : {}) });
  } catch (error) {
    if (!isInvalidOptionError(error)) throw error;
    throw new InvalidOptionError(OWNER, `${path}.${error.option}`, error.value, error.expected);
  }
  return Object.freeze(merged);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
