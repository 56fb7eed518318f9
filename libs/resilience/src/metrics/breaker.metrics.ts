import { Counter, Gauge, type Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import type { CircuitBreakerEvent } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import type { BreakerMetricsSource } from './metrics.sources.js';

const STATES = Object.values(CircuitState);

/** The `outcome` label of `circuit_breaker_calls_total`. */
export type CallOutcome = 'successful' | 'failed' | 'ignored' | 'not_permitted' | 'timeout';
const OUTCOMES: readonly CallOutcome[] = ['successful', 'failed', 'ignored', 'not_permitted', 'timeout'];

type OutcomeCounters = Record<CallOutcome, Counter.Internal>;

/**
 * Breaker metrics, fed by breaker events (counters) and read at scrape time (state gauge):
 * - `circuit_breaker_state{name,state}`: 1 for the current state, 0 for the others;
 * - `circuit_breaker_calls_total{name,outcome}`: `failed` includes `timeout`, which is also counted alone;
 * - `circuit_breaker_transitions_total{name,from,to}`.
 */
export class BreakerMetrics {
  private readonly calls: Counter<'name' | 'outcome'>;
  private readonly transitions: Counter<'name' | 'from' | 'to'>;
  // Label children resolved once per breaker: a call costs one Map lookup and one inc.
  private readonly counters = new Map<string, OutcomeCounters>();

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
    this.calls = new Counter({
      name: `${prefix}circuit_breaker_calls_total`,
      help: 'Calls through a circuit breaker by outcome (failed includes timeout; not_permitted = rejected).',
      labelNames: ['name', 'outcome'],
      registers: [registry],
    });
    this.transitions = new Counter({
      name: `${prefix}circuit_breaker_transitions_total`,
      help: 'Circuit breaker state transitions.',
      labelNames: ['name', 'from', 'to'],
      registers: [registry],
    });
  }

  /** Follows the source's events until the returned subscription is unsubscribed. */
  follow(): Subscription {
    const source = this.source;
    const subscription = new Subscription();
    if (source.added$) subscription.add(source.added$.subscribe((breaker) => this.countersOf(breaker.name)));
    subscription.add(source.events$.subscribe((event) => this.record(event)));
    return subscription;
  }

  /** Counts one event. */
  record(event: CircuitBreakerEvent): void {
    switch (event.type) {
      case 'success':
        this.countersOf(event.breaker).successful.inc();
        break;
      case 'failure':
        this.countersOf(event.breaker).failed.inc();
        break;
      case 'ignored':
        this.countersOf(event.breaker).ignored.inc();
        break;
      case 'rejected':
        this.countersOf(event.breaker).not_permitted.inc();
        break;
      case 'timeout':
        this.countersOf(event.breaker).timeout.inc();
        break;
      case 'state_change':
        this.transitions.inc({ name: event.breaker, from: event.from, to: event.to });
        break;
    }
  }

  private countersOf(name: string): OutcomeCounters {
    let counters = this.counters.get(name);
    if (counters === undefined) {
      counters = {} as OutcomeCounters;
      for (const outcome of OUTCOMES) {
        counters[outcome] = this.calls.labels(name, outcome);
        counters[outcome].inc(0); // every outcome series exists from the start, so rate() sees the first call
      }
      this.counters.set(name, counters);
    }
    return counters;
  }
}
