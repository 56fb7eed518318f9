import { Counter, Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { CallCounts } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import type { BreakerMetricsSource } from './metrics.sources.js';

const STATES = Object.values(CircuitState);

/** The `outcome` label of `circuit_breaker_calls_total`. */
export type CallOutcome = 'successful' | 'failed' | 'ignored' | 'not_permitted' | 'timeout';
const OUTCOMES: readonly (readonly [CallOutcome, keyof CallCounts])[] = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timedOut'],
];

/**
 * Breaker metrics. Nothing runs per call: the state gauge and the call counters are read from the
 * breakers at scrape time (`metrics().calls`, which every breaker keeps anyway), and only state changes
 * are followed as they happen.
 * - `circuit_breaker_state{name,state}`: 1 for the current state, 0 for the others;
 * - `circuit_breaker_calls_total{name,outcome}`: `failed` includes `timeout`, which is also counted alone;
 * - `circuit_breaker_transitions_total{name,from,to}`.
 */
export class BreakerMetrics {
  private readonly transitions: Counter<'name' | 'from' | 'to'>;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly source: BreakerMetricsSource,
  ) {
    const state = new Gauge({
      name: `${prefix}circuit_breaker_state`,
      help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
      labelNames: ['name', 'state'],
      registers: [registry],
      collect: () => {
        state.reset();
        for (const breaker of source.list()) {
          for (const s of STATES) state.set({ name: breaker.name, state: s }, breaker.state === s ? 1 : 0);
        }
      },
    });
    const calls = new Counter({
      name: `${prefix}circuit_breaker_calls_total`,
      help: 'Calls through a circuit breaker by outcome (failed includes timeout; not_permitted = rejected).',
      labelNames: ['name', 'outcome'],
      registers: [registry],
      // The breaker's own totals: monotonic for the breaker's lifetime, every outcome present from the start.
      collect: () => {
        calls.reset();
        for (const breaker of source.list()) {
          const counts = breaker.metrics().calls;
          for (const [outcome, key] of OUTCOMES) calls.inc({ name: breaker.name, outcome }, counts[key]);
        }
      },
    });
    this.transitions = new Counter({
      name: `${prefix}circuit_breaker_transitions_total`,
      help: 'Circuit breaker state transitions.',
      labelNames: ['name', 'from', 'to'],
      registers: [registry],
    });
  }

  /** Counts state transitions until the returned subscription is unsubscribed. */
  follow(): Subscription {
    return this.source.stateChanges$.subscribe((event) => {
      this.transitions.inc({ name: event.breaker, from: event.from, to: event.to });
    });
  }
}
