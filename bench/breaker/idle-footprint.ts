import { CircuitBreakerPolicy } from '@engined/resilience';
import { CountBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { collectGarbage, countTimerCreation, heapUsed } from '../call-cost.js';
import { CALL_TIMEOUT_MS, succeed } from './workloads.js';

export const IDLE_BREAKERS = 10_000;

/** Heap and timers held by `IDLE_BREAKERS` breakers that were created and never called. */
export interface IdleFootprint {
  readonly name: string;
  readonly heapBytes: number;
  /** Timers created and not cleared while building them. */
  readonly timers: number;
}

interface IdleCase {
  readonly name: string;
  create(index: number): unknown;
  dispose(breaker: unknown): void;
}

const idleCases: readonly IdleCase[] = [
  {
    name: 'engined CircuitBreakerPolicy, default options',
    create: (i) => new CircuitBreakerPolicy({ name: `idle-${i}` }),
    dispose: (breaker) => (breaker as CircuitBreakerPolicy).dispose(),
  },
  {
    name: 'engined CircuitBreakerPolicy, timeoutMs 1 s',
    create: (i) => new CircuitBreakerPolicy({ name: `idle-${i}`, timeoutMs: CALL_TIMEOUT_MS }),
    dispose: (breaker) => (breaker as CircuitBreakerPolicy).dispose(),
  },
  {
    name: 'cockatiel CountBreaker(20)',
    create: () => circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new CountBreaker({ threshold: 0.5, size: 20 }) }),
    dispose: () => undefined,
  },
  {
    name: 'opossum, default options',
    create: (i) => new CircuitBreaker(succeed, { name: `idle-${i}` }),
    dispose: (breaker) => (breaker as CircuitBreaker).shutdown(),
  },
];

/** Builds `IDLE_BREAKERS` breakers of each kind, measures, then disposes them. */
export function measureIdleFootprints(filter: RegExp | undefined): IdleFootprint[] {
  return idleCases.filter((c) => filter === undefined || filter.test(c.name)).map(measure);
}

function measure(idle: IdleCase): IdleFootprint {
  collectGarbage();
  const before = heapUsed();
  const timers = countTimerCreation();
  const breakers: unknown[] = [];
  try {
    for (let i = 0; i < IDLE_BREAKERS; i++) breakers.push(idle.create(i));
  } finally {
    timers.restore();
  }
  collectGarbage();
  const heapBytes = heapUsed() - before;
  const live = timers.live();
  for (const breaker of breakers) idle.dispose(breaker);
  return { name: idle.name, heapBytes, timers: live };
}
