import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import {
  BreakerRegistry,
  type CircuitBreakerEvent,
  CircuitState,
  type FailureEvent,
  isCircuitBreakerTimeoutError,
  type StateChangeEvent,
} from '@engined/resilience';
import { FALLBACK_QUOTE, QuoteClient } from '../../apps/engined/src/downstream/quote.client.js';
import { Cleanup } from '../app/support/cleanup.js';
import { startEnginedApp } from '../app/support/engined-test-app.js';
import { type Outcome, RecordsClient } from '../app/support/records-client.js';
import { startProxiedDownstream } from './support/fault-rig.js';

/** The daemon's limit on each downstream call (DOWNSTREAM_TIMEOUT_MS): its breaker's timeout and the gRPC deadline. */
const DOWNSTREAM_TIMEOUT_MS = 500;
/** Each client call's own deadline: the daemon must answer well within it. */
const CLIENT_DEADLINE_MS = 5_000;
/** Consecutive failures that open the daemon's downstream breaker (apps/engined/src/downstream/downstream.breaker.ts). */
const TRIP_FAILURES = 5;

/** The breaker's timeout (it cancels the gRPC call) or the gRPC deadline, whichever fired first. */
function timedOut(error: unknown): boolean {
  return isCircuitBreakerTimeoutError(error) || (error as { code?: unknown }).code === status.DEADLINE_EXCEEDED;
}

interface Enriched {
  record: { id: string };
  quote: string;
  quoteAuthor: string;
  degraded: boolean;
}

describe('downstream blackholed (real sockets: daemon → fault proxy → downstream)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('times the calls out, answers with the fallback, and no request outlives its deadline', async () => {
    const { proxy } = await startProxiedDownstream(cleanup);
    // The system clock: the timeouts under test are real ones. (Health checks wait out the startup grace.)
    const daemon = cleanup.add(
      await startEnginedApp({ DOWNSTREAM_URL: proxy.address, DOWNSTREAM_TIMEOUT_MS: String(DOWNSTREAM_TIMEOUT_MS) }),
      (d) => d.close(),
    );
    const breaker = daemon.app.get(BreakerRegistry).get('downstream')!;
    const events: CircuitBreakerEvent[] = [];
    const subscription = breaker.events$.subscribe((e) => events.push(e));
    cleanup.add(subscription, (s) => s.unsubscribe());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const enrich = (id: string) => client.call<Enriched>('EnrichRecord', { id }, CLIENT_DEADLINE_MS);

    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'blackhole' });
    // The channel connects first (a health check shares it, with a deadline of its own): dialling is not under test.
    await expect(daemon.app.get(QuoteClient).checkHealth(5_000)).resolves.toBe('SERVING');
    // Through the proxy while it passes: a real quote, and a live connection to go dark.
    await expect(client.ok<Enriched>('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false });

    proxy.setMode('blackhole');
    const bytesDroppedBefore = proxy.stats.bytesDropped;
    // More concurrent calls than the breaker needs to trip, then more once it has opened.
    const whileClosed = await Promise.all(Array.from({ length: TRIP_FAILURES + 2 }, () => enrich(record.id)));
    const whileOpen = await Promise.all(Array.from({ length: 3 }, () => enrich(record.id)));

    // Every client call ended OK before its deadline, with the fallback marked degraded: none saw DEADLINE_EXCEEDED.
    for (const outcome of [...whileClosed, ...whileOpen] as Outcome<Enriched>[]) {
      expect(outcome.ok ? outcome.value : [status[outcome.error.code], outcome.error.details]).toEqual({
        record: expect.objectContaining({ id: record.id }),
        quote: FALLBACK_QUOTE.text,
        quoteAuthor: FALLBACK_QUOTE.author,
        degraded: true,
      });
    }
    expect(proxy.stats.bytesDropped).toBeGreaterThan(bytesDroppedBefore); // the requests did go into the hole

    // A timeout ended each admitted call. The breaker counted them, opened after TRIP_FAILURES, and from then on
    // rejected calls at once (how many of the concurrent calls got in before it opened depends on timing).
    const failures = events.filter((e): e is FailureEvent => e.type === 'failure');
    const rejected = events.filter((e) => e.type === 'rejected');
    expect(failures.length).toBeGreaterThanOrEqual(TRIP_FAILURES);
    expect(failures.filter((f) => !timedOut(f.error))).toEqual([]);
    expect(failures.length + rejected.length).toBe(whileClosed.length + whileOpen.length);
    expect(rejected.length).toBeGreaterThanOrEqual(whileOpen.length);
    const opened = events.find((e): e is StateChangeEvent => e.type === 'state_change' && e.to === CircuitState.OPEN);
    expect(opened?.reason).toMatch(/consecutive/);
    expect(breaker.state).toBe(CircuitState.OPEN);
    // A daemon boot, a downstream and a proxy on real sockets: 20 s was not enough on a 2-core machine at load 11.
  }, 60_000);
});
