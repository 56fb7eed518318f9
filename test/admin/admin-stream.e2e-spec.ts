import { afterEach, describe, expect, it } from '@jest/globals';
import { EventStreamHub } from '../../libs/resilience/src/admin/event-stream.hub.js';
import { type AdminApp, bearer, startAdminApp, until } from './support/admin-app.js';
import { type SseFrame, SseReader } from './support/sse-reader.js';

const data = (frame: SseFrame): Record<string, unknown> => JSON.parse(frame.data ?? 'null') as Record<string, unknown>;

/** SSE clients the server has registered (and not yet dropped). */
const clients = (app: AdminApp): number => app.app.get(EventStreamHub).stats().clients;

/** Six events, ids 1..6: three force-open / reset pairs of `db`. */
function sixEvents(app: AdminApp): void {
  for (let i = 0; i < 3; i++) {
    app.breakers.forceOpen('db', `hold ${i}`);
    app.breakers.reset('db', 'x');
  }
}

describe('admin API: event stream (server-sent events)', () => {
  let served: AdminApp | undefined;
  const readers: SseReader[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await served?.close();
    served = undefined;
  });

  async function start(admin: Parameters<typeof startAdminApp>[0] = {}) {
    served = await startAdminApp({ breakers: { db: {} }, ...admin });
    return served;
  }

  async function open(app: AdminApp, query = '', headers: Record<string, string> = bearer()): Promise<SseReader> {
    const reader = await SseReader.open(`${app.url}/resilience/events/stream${query}`, headers);
    readers.push(reader);
    return reader;
  }

  it('streams live events with id, event type and JSON data; without since it replays nothing', async () => {
    const app = await start();
    app.breakers.forceOpen('db', 'before connecting');
    const reader = await open(app);
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['cache-control']).toBe('no-cache, no-transform');
    await reader.until((r) => r.frames.length >= 1, 'the opening comment');
    expect(reader.frames[0]).toEqual({ comment: 'engined resilience events' });
    app.breakers.reset('db', 'live');
    await reader.until((r) => r.events.length >= 1, 'a live event');
    expect(reader.events[0]).toMatchObject({ id: '2', event: 'breaker.transition' });
    expect(data(reader.events[0]!)).toMatchObject({ id: 2, type: 'breaker.transition', breaker: 'db', from: 'FORCED_OPEN', to: 'CLOSED', reason: 'operator: live' });
  });

  it('replays the kept events after ?since=, then goes live', async () => {
    const app = await start();
    for (let i = 0; i < 3; i++) {
      app.breakers.forceOpen('db', `drill ${i}`);
      app.breakers.reset('db', `over ${i}`);
    }
    const reader = await open(app, '?since=3');
    await reader.until((r) => r.events.length >= 3, 'the replay');
    expect(reader.events.map((frame) => frame.id)).toEqual(['4', '5', '6']);
    app.breakers.forceOpen('db', 'after replay');
    await reader.until((r) => r.events.length >= 4, 'a live event after the replay');
    expect(reader.events.map((frame) => frame.id)).toEqual(['4', '5', '6', '7']);
  });

  it('resumes after Last-Event-ID (what a reconnecting EventSource sends), which wins over ?since=', async () => {
    const app = await start();
    sixEvents(app);
    const reader = await open(app, '?since=0', { ...bearer(), 'last-event-id': '5' });
    await reader.until((r) => r.events.length >= 1, 'the replay');
    expect(reader.events.map((frame) => frame.id)).toEqual(['6']);
  });

  it('says when events after the id were evicted (dropped, cause evicted) and when the id is from an earlier run (reset)', async () => {
    const app = await start({ admin: { eventBufferSize: 2 } });
    sixEvents(app);
    const behind = await open(app, '?since=1');
    await behind.until((r) => r.events.length >= 3, 'the marker and the replay');
    expect(behind.events[0]).toEqual({ event: 'dropped', data: expect.any(String) });
    expect(data(behind.events[0]!)).toEqual({ dropped: 3, afterId: 1, cause: 'evicted', resync: '/resilience/events?since=1' });
    expect(behind.events.slice(1).map((frame) => frame.id)).toEqual(['5', '6']);

    const ahead = await open(app, '?since=99');
    await ahead.until((r) => r.events.length >= 3, 'the reset and the replay');
    expect(ahead.events[0]).toMatchObject({ event: 'reset' });
    expect(data(ahead.events[0]!)).toEqual({ lastId: 6, oldestId: 5 });
    expect(ahead.events.slice(1).map((frame) => frame.id)).toEqual(['5', '6']);
  });

  it('sends heartbeat comments on the clock only while a client is connected', async () => {
    const app = await start({ admin: { heartbeatMs: 5_000 } });
    expect(app.clock.pendingTimers).toBe(0);
    const reader = await open(app);
    await until(() => clients(app) === 1, 'the server to register the client');
    expect(app.clock.pendingTimers).toBe(1);
    app.clock.advance(4_999);
    app.clock.advance(1);
    await reader.until((r) => r.frames.some((frame) => frame.comment === 'heartbeat'), 'a heartbeat');
    app.clock.advance(5_000);
    await reader.until((r) => r.frames.filter((frame) => frame.comment === 'heartbeat').length === 2, 'a second heartbeat');
    reader.close();
    await until(() => clients(app) === 0, 'the server to notice the client left');
    expect(app.clock.pendingTimers).toBe(0);
  });

  it('bounds what a slow client costs: its queue never exceeds streamQueueSize, the rest is dropped with a marker naming how many', async () => {
    const queue = 8;
    const app = await start({ admin: { streamQueueSize: queue, maxReasonLength: 10_000 } });
    const hub = app.app.get(EventStreamHub);
    const reader = await open(app);
    await until(() => clients(app) === 1, 'the server to register the client');
    reader.pause();
    // One large event per turn of the event loop, so the socket can flush between events: nothing is
    // dropped until the stalled client's socket buffers are full.
    const reason = 'r'.repeat(8_000);
    let produced = 0;
    let maxQueued = 0;
    while (hub.stats().dropped === 0) {
      if (produced > 20_000) throw new Error(`no frame was dropped after ${produced} events: the client did not apply backpressure`);
      app.breakers.forceOpen('db', `${reason}${produced}`);
      app.breakers.reset('db', 'x');
      produced += 2;
      maxQueued = Math.max(maxQueued, hub.stats().maxQueued);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Far more than the queue holds went through the socket before anything was dropped.
    expect(produced).toBeGreaterThan(queue * 4);
    // Keep going a while: memory must stay bounded however long the client stalls.
    for (let i = 0; i < 200; i++) {
      app.breakers.forceOpen('db', 'more');
      app.breakers.reset('db', 'x');
      produced += 2;
      maxQueued = Math.max(maxQueued, hub.stats().maxQueued);
    }
    expect(maxQueued).toBeLessThanOrEqual(queue);
    const dropped = hub.stats().dropped;
    expect(dropped).toBeGreaterThanOrEqual(400 - queue);

    reader.resume();
    const lastId = produced;
    await reader.until((r) => r.events.some((frame) => frame.event === 'dropped'), 'the dropped marker', 30_000);
    app.breakers.forceOpen('db', 'after the stall');
    await reader.until((r) => r.events.at(-1)?.id === String(lastId + 1), 'the event after the stall', 30_000);

    const markers = reader.events.filter((frame) => frame.event === 'dropped').map(data);
    const delivered = reader.events.filter((frame) => frame.event === 'breaker.transition');
    expect(markers.reduce((sum, marker) => sum + (marker.dropped as number), 0)).toBe(dropped);
    expect(delivered.length + dropped).toBe(lastId + 1);
    const firstMarker = markers[0]!;
    expect(firstMarker).toMatchObject({ cause: 'slow-client', resync: `/resilience/events?since=${firstMarker.afterId as number}` });
    // Ids are delivered in order, with the gap where the marker is.
    const ids = delivered.map((frame) => Number(frame.id));
    expect(ids).toEqual(ids.toSorted((a, b) => a - b));
  }, 60_000);

  it('drops nothing for a client that keeps up, under the same load', async () => {
    const app = await start({ admin: { maxReasonLength: 10_000 } });
    const hub = app.app.get(EventStreamHub);
    const reader = await open(app);
    await until(() => clients(app) === 1, 'the server to register the client');
    const reason = 'r'.repeat(8_000);
    for (let i = 0; i < 300; i++) {
      app.breakers.forceOpen('db', reason);
      app.breakers.reset('db', 'x');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reader.until((r) => r.events.length === 600, 'every event', 30_000);
    expect(hub.stats().dropped).toBe(0);
    expect(reader.events.some((frame) => frame.event === 'dropped')).toBe(false);
  }, 60_000);

  it('answers 503 once maxStreamClients are connected', async () => {
    const app = await start({ admin: { maxStreamClients: 2 } });
    await open(app);
    await open(app);
    await until(() => clients(app) === 2, 'both clients');
    const third = await fetch(`${app.url}/resilience/events/stream`, { headers: bearer() });
    expect(third.status).toBe(503);
    expect(await third.json()).toMatchObject({ statusCode: 503, code: 'TOO_MANY_STREAMS' });
  });

  it.each([
    ['?since=x', {}, 'since'],
    ['', { 'last-event-id': 'abc' }, 'Last-Event-ID'],
  ])('answers 400 before streaming for a bad event id (%s %j)', async (query, headers, field) => {
    const app = await start();
    const response = await fetch(`${app.url}/resilience/events/stream${query}`, { headers: { ...bearer(), ...headers } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_REQUEST', field });
  });

  it('serves the stream without a token when reads are public', async () => {
    const app = await start({ admin: { publicReads: true } });
    const reader = await open(app, '', {});
    expect(reader.status).toBe(200);
  });

  it('ends every stream when the application closes, and app.close() does not wait on them', async () => {
    const app = await start();
    const first = await open(app);
    const second = await open(app, '?since=0');
    await until(() => clients(app) === 2, 'both clients');
    await app.close();
    await first.untilEnded();
    await second.untilEnded();
    expect(app.clock.pendingTimers).toBe(0);
  });
});
