import type { Clock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { OptionChecker } from '../common/option-checker.js';
import type { BulkheadOptions } from './bulkhead.options.js';

/** Default bulkhead name when `name` is not given. */
export const DEFAULT_BULKHEAD_NAME = 'bulkhead';

/** The defaults of every option, as documented on `BulkheadOptions`. */
export const BULKHEAD_DEFAULTS = Object.freeze({ maxConcurrent: 10, maxQueued: 0 });

/** Options after defaults and validation. */
export interface ResolvedBulkheadOptions {
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /** `Infinity` when queued calls wait without limit. */
  readonly queueTimeoutMs: number;
  readonly clock: Clock;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof BulkheadOptions>(['name', 'maxConcurrent', 'maxQueued', 'queueTimeoutMs', 'clock']);

/**
 * Applies the defaults and checks every option of one bulkhead; an option set to `undefined` takes its default.
 * @throws InvalidOptionError naming the bulkhead, the option and the value, e.g.
 *   `Bulkhead "db": option "maxConcurrent" must be a positive integer, got 0`.
 */
export function resolveBulkheadOptions(options: BulkheadOptions = {}): ResolvedBulkheadOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('Bulkhead', 'options', options, 'must be an object');
  }
  const name = options.name ?? DEFAULT_BULKHEAD_NAME;
  if (typeof name !== 'string' || name.trim() === '') throw new InvalidOptionError('Bulkhead', 'name', name, 'must be a non-empty string');
  const check = new OptionChecker(`Bulkhead "${name}"`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) check.fail(key, (options as Record<string, unknown>)[key], 'is not a bulkhead option');
  }
  return {
    name,
    maxConcurrent: check.positiveInteger('maxConcurrent', options.maxConcurrent, BULKHEAD_DEFAULTS.maxConcurrent),
    maxQueued: options.maxQueued === undefined ? BULKHEAD_DEFAULTS.maxQueued : check.nonNegativeInteger('maxQueued', options.maxQueued),
    queueTimeoutMs: options.queueTimeoutMs === undefined ? Number.POSITIVE_INFINITY : check.positiveFinite('queueTimeoutMs', options.queueTimeoutMs),
    clock: check.clock(options.clock),
  };
}
