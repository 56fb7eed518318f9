import type { ResolvedPolicyProfiles } from '../resilience-options.interface.js';
import { InvalidOptionError } from './invalid-option.error.js';

/**
 * The options a retry policy or bulkhead is created with: the module's `defaults`, then the named `profile`
 * (already merged over them), then its own. Returns them without `profile`.
 * @throws InvalidOptionError when `profile` names no profile of the module options.
 */
export function applyPolicyProfile<P extends object, O extends P & { profile?: string }>(
  kind: 'retry' | 'bulkhead',
  owner: string,
  module: ResolvedPolicyProfiles<P>,
  options: O,
): Omit<O, 'profile'> {
  const { profile, ...own } = options;
  let base = module.defaults;
  if (profile !== undefined) {
    const found = typeof profile === 'string' ? module.profiles.get(profile) : undefined;
    if (found === undefined) {
      const known = [...module.profiles.keys()].map((name) => JSON.stringify(name)).join(', ') || 'none';
      throw new InvalidOptionError(owner, 'profile', profile, `must name a ${kind} profile of the ResilienceModule options (known: ${known})`);
    }
    base = found;
  }
  return { ...base, ...own } as Omit<O, 'profile'>;
}
