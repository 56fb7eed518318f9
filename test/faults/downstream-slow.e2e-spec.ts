import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BreakerRegistry,
  type CircuitBreakerEvent,
  CircuitState,
  type StateChangeEvent,
  type SuccessEvent,
} from '@engined/resilience';
import { DOWNSTREAM_BREAKER, SLOW_CALL_RATE_PERCENT, SLOW_CALL_WINDOW } from '../../apps/engined/src/downstream/downstream.breaker.js';
import { FALLBACK_QUOTE, QuoteClient } from '../../apps/engined/src/downstream/quote.client.js';
import { Cleanup } from '../app/support/cleanup.js';
import { startEnginedApp } from '../app/support/engined-test-app.js';
import { RecordsClient } from '../app/support/records-client.js';
import { nextEvent, startProxiedDownstream } from './support/fault-rig.js';

/** The daemon's DOWNSTREAM_SLOW_CALL_MS: a downstream call taking this long (real time) is slow. */
const SLOW_CALL_MS = 50;
/** Added by the proxy to every answer of the downstream: well above SLOW_CALL_MS, well below the call deadline. */
const LATENCY_MS = 100;

interface Enriched {
  record: { id: string };
  quote: string;
  quoteAuthor: string;
  degraded: boolean;
}

describe('downstream slow (real sockets: EnrichRecord → daemon → fault proxy with latency → downstream)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('opens the breaker on the slow-call rate while every call still succeeds', async () => {
    const { proxy } = await startProxiedDownstream(cleanup);
    const daemon = cleanup.add(
      await startEnginedApp({ DOWNSTREAM_URL: proxy.address, DOWNSTREAM_TIMEOUT_MS: '5000', DOWNSTREAM_SLOW_CALL_MS: String(SLOW_CALL_MS) }),
      (d) => d.close(),
    );
    const breaker = daemon.app.get(BreakerRegistry).get(DOWNSTREAM_BREAKER.name)!;
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const enrich = (id: string) => client.ok<Enriched>('EnrichRecord', { id });

    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'slow downstream' });
    // Connect the channel first (a health check shares it): dialling is not what this test measures.
    await expect(daemon.app.get(QuoteClient).checkHealth(5_000)).resolves.toBe('SERVING');
    const events: CircuitBreakerEvent[] = [];
    cleanup.add(
      breaker.events$.subscribe((e) => events.push(e)),
      (s) => s.unsubscribe(),
    );

    // Fast answers fill the window: too few of them slow (a loaded machine may make one slow) to trip it.
    for (let i = 0; i < SLOW_CALL_WINDOW; i++) await expect(enrich(record.id)).resolves.toMatchObject({ degraded: false });
    expect(breaker.state).toBe(CircuitState.CLOSED);

    // The downstream's answers now arrive LATENCY_MS late: successful calls, but slow ones.
    proxy.setMode({ kind: 'latency', ms: LATENCY_MS, direction: 'toClient' });
    const opened = nextEvent(breaker.events$, (e): e is StateChangeEvent => e.type === 'state_change' && e.to === CircuitState.OPEN);
    const slowAnswers: Enriched[] = [];
    while (breaker.state === CircuitState.CLOSED && slowAnswers.length < SLOW_CALL_WINDOW) slowAnswers.push(await enrich(record.id));

    expect(await opened).toMatchObject({ from: CircuitState.CLOSED, reason: expect.stringMatching(/^slow-call rate/) });
    // Tripped on slowness alone: every slow call succeeded with a real quote, and enough of the window was slow.
    expect(slowAnswers.map((a) => [a.record.id, a.degraded])).toEqual(slowAnswers.map(() => [record.id, false]));
    expect(events.filter((e) => e.type === 'failure')).toEqual([]);
    const slow = events.filter((e): e is SuccessEvent => e.type === 'success' && e.slow);
    expect(slow.length).toBeGreaterThanOrEqual((SLOW_CALL_WINDOW * SLOW_CALL_RATE_PERCENT) / 100);
    for (const call of slow) expect(call.durationMs).toBeGreaterThanOrEqual(SLOW_CALL_MS);
    // Open: the downstream is not called; EnrichRecord still succeeds, at once, with the fallback.
    await expect(enrich(record.id)).resolves.toEqual({
      record: expect.objectContaining({ id: record.id }),
      quote: FALLBACK_QUOTE.text,
      quoteAuthor: FALLBACK_QUOTE.author,
      degraded: true,
    });
    expect(events.at(-1)).toMatchObject({ type: 'rejected', state: CircuitState.OPEN });
  });
});
