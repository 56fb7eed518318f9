import { type Clock, isClock, systemClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import type {
  AdminMount,
  ResilienceAdminModuleExtras,
  ResilienceAdminModuleOptions,
  ResolvedAdminOptions,
  ResolvedAdminToken,
} from './admin-options.interface.js';
import { digestToken } from './bearer-token.js';
import type { BreakerOverrideStore } from './overrides/breaker-override.store.js';

const OWNER = 'ResilienceAdminModule';
/** Shortest accepted token: a guessable token would make the constant-time compare pointless. */
export const MIN_TOKEN_LENGTH = 16;
const DEFAULT_ACTOR = 'operator';
/** What an actor (a token's label) may be: it appears in events and log lines. */
export const ACTOR_PATTERN = /^[\w.@:-]{1,64}$/;
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'token',
  'tokens',
  'publicReads',
  'dashboard',
  'eventBufferSize',
  'streamQueueSize',
  'maxStreamClients',
  'heartbeatMs',
  'rejectionSampleMs',
  'maxReasonLength',
  'clock',
  'overrideStore',
]);
const MOUNT_KEYS: ReadonlySet<string> = new Set(['enabled', 'prefix']);
/** Literal path segments only: no route parameters (`:x`) or wildcards. */
const PREFIX = /^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Documented defaults (the README's options table). */
export const ADMIN_DEFAULTS = Object.freeze({
  enabled: false,
  prefix: '/resilience',
  publicReads: false,
  dashboard: true,
  eventBufferSize: 500,
  streamQueueSize: 100,
  maxStreamClients: 16,
  heartbeatMs: 15_000,
  rejectionSampleMs: 1_000,
  maxReasonLength: 500,
});

/** Checks the mount when the module is defined (`forRoot` / `forRootAsync` throw at once). */
export function resolveAdminMount(extras: ResilienceAdminModuleExtras): AdminMount {
  const enabled = extras.enabled ?? ADMIN_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw new InvalidOptionError(OWNER, 'enabled', enabled, 'must be a boolean');
  const prefix = extras.prefix ?? ADMIN_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidOptionError(OWNER, 'prefix', prefix, 'must be a non-empty URL path of literal segments, e.g. "/resilience" or "/ops/breakers"');
  }
  return { enabled, path: prefix.replace(/^\/+|\/+$/g, '') };
}

/**
 * Validates and normalises the options; the one place both `forRoot` and `forRootAsync` pass through.
 * @param fallbackClock the `ResilienceModule` clock, used when `clock` is not given.
 * @throws InvalidOptionError naming `ResilienceAdminModule`, the option and the value (never a token's value).
 */
export function validateAdminOptions(
  raw: ResilienceAdminModuleOptions | undefined | null,
  mount: AdminMount,
  fallbackClock: Clock | undefined,
): ResolvedAdminOptions {
  const options = raw ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionError(OWNER, 'options', raw, 'must be an object');
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (MOUNT_KEYS.has(key)) {
      throw new InvalidOptionError(OWNER, key, value, 'is fixed when the module is defined: pass it to forRoot, or next to useFactory in forRootAsync');
    }
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidOptionError(OWNER, key, value, `is not an option (expected ${[...OPTION_KEYS, ...MOUNT_KEYS].join(', ')})`);
    }
  }
  return {
    mount,
    tokens: validateTokens(options),
    publicReads: bool('publicReads', options.publicReads ?? ADMIN_DEFAULTS.publicReads),
    dashboard: bool('dashboard', options.dashboard ?? ADMIN_DEFAULTS.dashboard),
    eventBufferSize: int('eventBufferSize', options.eventBufferSize ?? ADMIN_DEFAULTS.eventBufferSize, 1, 1_000_000),
    streamQueueSize: int('streamQueueSize', options.streamQueueSize ?? ADMIN_DEFAULTS.streamQueueSize, 1, 1_000_000),
    maxStreamClients: int('maxStreamClients', options.maxStreamClients ?? ADMIN_DEFAULTS.maxStreamClients, 1, 10_000),
    heartbeatMs: int('heartbeatMs', options.heartbeatMs ?? ADMIN_DEFAULTS.heartbeatMs, 1, MAX_TIMER_MS),
    rejectionSampleMs: int('rejectionSampleMs', options.rejectionSampleMs ?? ADMIN_DEFAULTS.rejectionSampleMs, 1, MAX_TIMER_MS),
    maxReasonLength: int('maxReasonLength', options.maxReasonLength ?? ADMIN_DEFAULTS.maxReasonLength, 1, 100_000),
    clock: validateClock(options.clock, fallbackClock),
    overrideStore: validateOverrideStore(options.overrideStore),
  };
}

/** Never puts a token in an error: the value is replaced by a description. */
function validateTokens(options: ResilienceAdminModuleOptions): ResolvedAdminToken[] {
  const resolved: ResolvedAdminToken[] = [];
  const seen = new Set<string>();
  const add = (path: string, token: unknown, label: unknown): void => {
    if (typeof token !== 'string') throw new InvalidOptionError(OWNER, path, describeSecret(token), 'must be a string');
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new InvalidOptionError(OWNER, path, describeSecret(token), `must be at least ${MIN_TOKEN_LENGTH} characters without whitespace`);
    }
    if (seen.has(token)) throw new InvalidOptionError(OWNER, path, describeSecret(token), 'must not repeat another token');
    seen.add(token);
    const actor = label ?? DEFAULT_ACTOR;
    if (typeof actor !== 'string' || !ACTOR_PATTERN.test(actor)) {
      throw new InvalidOptionError(OWNER, `${path.replace(/\.token$/, '')}.label`, label, 'must be 1 to 64 letters, digits or ._@:-');
    }
    resolved.push({ digest: digestToken(token), label: actor });
  };
  if (options.token !== undefined) add('token', options.token, undefined);
  const tokens: unknown = options.tokens ?? [];
  if (!Array.isArray(tokens)) throw new InvalidOptionError(OWNER, 'tokens', tokens, 'must be an array of { token, label }');
  tokens.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw new InvalidOptionError(OWNER, `tokens[${i}]`, entry, 'must be an object { token, label }');
    const { token, label } = entry as Record<string, unknown>;
    add(`tokens[${i}].token`, token, label);
  });
  if (resolved.length === 0) {
    throw new InvalidOptionError(OWNER, 'token', undefined, 'is required when the admin API is mounted (every mutating route needs a bearer token); give token or tokens');
  }
  return resolved;
}

/** A token's shape for an error message, never its value. */
function describeSecret(value: unknown): unknown {
  return typeof value === 'string' ? `<${value.length} characters, hidden>` : value;
}

function bool(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(OWNER, option, value, 'must be a boolean');
  return value;
}

function int(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(OWNER, option, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function validateClock(clock: unknown, fallback: Clock | undefined): Clock {
  if (clock === undefined) return fallback ?? systemClock;
  if (!isClock(clock)) throw new InvalidOptionError(OWNER, 'clock', clock, 'must implement now(), setTimeout() and clearTimeout()');
  return clock;
}

function validateOverrideStore(store: unknown): BreakerOverrideStore | undefined {
  if (store === undefined) return undefined;
  if (typeof store !== 'object' || store === null) {
    throw new InvalidOptionError(OWNER, 'overrideStore', store, 'must be a BreakerOverrideStore object');
  }
  const candidate = store as Partial<Record<keyof BreakerOverrideStore, unknown>>;
  const missing = (['publish', 'load', 'subscribe'] as const).filter((method) => typeof candidate[method] !== 'function').map((method) => `${method}()`);
  if (typeof candidate.description !== 'string') missing.push('description');
  if (missing.length > 0) {
    throw new InvalidOptionError(OWNER, 'overrideStore', store, `must implement BreakerOverrideStore (missing ${missing.join(', ')})`);
  }
  return store as BreakerOverrideStore;
}
