import type { FailureWindowOptions } from '../circuit-breaker.options.js';
import { ConsecutiveWindow } from './consecutive.window.js';
import { CountWindow } from './count.window.js';
import type { FailureWindow, RateThresholds } from './failure-window.js';
import { TimeWindow } from './time.window.js';

/** Default bucket count of a time window. */
export const DEFAULT_TIME_WINDOW_BUCKETS = 10;

/** Builds the strategy selected by (already validated) window options. */
export function createFailureWindow(options: FailureWindowOptions, thresholds: RateThresholds): FailureWindow {
  switch (options.kind) {
    case 'consecutive':
      return new ConsecutiveWindow(options.failures);
    case 'count':
      return new CountWindow(options.size, thresholds);
    case 'time':
      return new TimeWindow(options.durationMs, options.buckets ?? DEFAULT_TIME_WINDOW_BUCKETS, thresholds);
  }
}
