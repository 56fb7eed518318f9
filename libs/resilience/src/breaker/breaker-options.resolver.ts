import { InvalidOptionError, describeValue } from '../common/invalid-option.error.js';
import type { BreakerProfile, ResolvedResilienceOptions } from '../resilience-options.interface.js';
import type { CircuitBreakerOptions } from './circuit-breaker.options.js';

/** Breaker options as handed to the policy by the Nest layer (the registry adds `name` and `clock`). */
export type PolicyOptions = Omit<CircuitBreakerOptions, 'name' | 'clock'>;

/**
 * The options a breaker is created with: module defaults, then the named profile (already merged over the
 * defaults at validation), then `own`.
 * @throws InvalidOptionError when `profile` names no profile of the module options.
 */
export function mergeBreakerOptions(
  module: ResolvedResilienceOptions,
  profile: string | undefined,
  own: PolicyOptions,
  owner: string,
): PolicyOptions {
  let base: Readonly<BreakerProfile> = module.defaults;
  if (profile !== undefined) {
    const found = typeof profile === 'string' ? module.profiles.get(profile) : undefined;
    if (found === undefined) {
      const known = [...module.profiles.keys()].map((name) => JSON.stringify(name)).join(', ') || 'none';
      throw new InvalidOptionError(owner, 'profile', profile, `must name a profile of the ResilienceModule options (known: ${known})`);
    }
    base = found;
  }
  return { ...base, ...own };
}

/** The first option on which two breaker option sets differ, or undefined when they agree. */
export function findOptionDifference(
  a: PolicyOptions,
  b: PolicyOptions,
): { option: string; a: unknown; b: unknown } | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const left = (a as Record<string, unknown>)[key];
    const right = (b as Record<string, unknown>)[key];
    if (!sameValue(left, right)) return { option: key, a: left, b: right };
  }
  return undefined;
}

/** Structural equality for option values: functions and class matchers by identity, data by content. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Renders an option value for a conflict message (functions by name, data as JSON). */
export function describeOption(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  return describeValue(value);
}
