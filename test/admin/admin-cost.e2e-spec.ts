import { afterEach, describe, expect, it } from '@jest/globals';
import { EventStreamHub } from '../../libs/resilience/src/admin/event-stream.hub.js';
import { FakeClock } from '../../libs/resilience/src/testing/fake-clock.js';
import { type AdminApp, bearer, START, startAdminApp, until } from './support/admin-app.js';
import { SseReader } from './support/sse-reader.js';

/** A FakeClock that counts its readings: a breaker reads the clock per call only when something needs a time. */
class CountingClock extends FakeClock {
  reads = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
}

const succeed = (): Promise<string> => Promise.resolve('ok');
const CALLS = 1_000;

/**
 * The admin module follows breakers through `stateChanges$` and samples rejections from their counters,
 * so it adds nothing to a call: no clock reading and no event object (a breaker builds call events, and
 * reads the clock for them, only while its `events$` is observed). The controls subscribe to `events$`
 * to show what that would cost, and that the measure can tell.
 */
describe('admin API: nothing on the breaker call path', () => {
  let served: AdminApp | undefined;
  let reader: SseReader | undefined;
  afterEach(async () => {
    reader?.close();
    await served?.close();
    served = reader = undefined;
  });

  async function start() {
    const clock = new CountingClock(START);
    served = await startAdminApp({ clock, breakers: { db: {} }, health: {} });
    // A dashboard is watching: the stream is open.
    reader = await SseReader.open(`${served.url}/resilience/events/stream?since=0`, bearer());
    await until(() => served!.app.get(EventStreamHub).stats().clients === 1, 'the stream client');
    return { app: served, clock, db: served.breakers.get('db')! };
  }

  it('a CLOSED breaker reads no clock per call with the admin module and a stream client active', async () => {
    const { clock, db } = await start();
    const before = clock.reads;
    for (let i = 0; i < CALLS; i++) await db.execute(succeed);
    expect(clock.reads - before).toBe(0);

    const subscription = db.events$.subscribe(() => undefined);
    const observed = clock.reads;
    for (let i = 0; i < CALLS; i++) await db.execute(succeed);
    subscription.unsubscribe();
    expect(clock.reads - observed).toBeGreaterThanOrEqual(CALLS);
  });

  it('a FORCED_OPEN breaker rejects without a clock reading, the sampler counts from the breaker’s total', async () => {
    const { app, clock, db } = await start();
    app.breakers.forceOpen('db', 'cost');
    const before = clock.reads;
    for (let i = 0; i < CALLS; i++) await db.execute(succeed).catch(() => undefined);
    expect(clock.reads - before).toBe(0);
    clock.advance(1_000);
    await reader!.until((r) => r.events.some((frame) => frame.event === 'breaker.rejections'), 'the sampled rejections');
    const sample = reader!.events.find((frame) => frame.event === 'breaker.rejections')!;
    expect(JSON.parse(sample.data!)).toMatchObject({ breaker: 'db', count: CALLS });

    const subscription = db.events$.subscribe(() => undefined);
    const observed = clock.reads;
    for (let i = 0; i < CALLS; i++) await db.execute(succeed).catch(() => undefined);
    subscription.unsubscribe();
    expect(clock.reads - observed).toBeGreaterThanOrEqual(CALLS);
  });
});
