import { describe, expect, it } from '@jest/globals';
import type { AdminEventInput } from './admin.events.js';
import { EventLog } from './event-log.js';

const transition = (at: number): AdminEventInput => ({ type: 'breaker.transition', at, breaker: 'db', from: 'CLOSED' as never, to: 'OPEN' as never, reason: 'r' });

describe('EventLog', () => {
  it('numbers events 1, 2, 3… and keeps the last `capacity`', () => {
    const log = new EventLog(3);
    expect(log.since(undefined)).toEqual({ events: [], lastId: 0, oldestId: 1, missed: 0, reset: false });
    for (let at = 0; at < 5; at++) log.append(transition(at));
    const page = log.since(undefined);
    expect(page.events.map((event) => [event.id, event.at])).toEqual([[3, 2], [4, 3], [5, 4]]);
    expect(page).toMatchObject({ lastId: 5, oldestId: 3, missed: 0, reset: false });
  });

  it('returns the events after an id, counts the evicted ones, and treats an id beyond the last as a reset', () => {
    const log = new EventLog(3);
    for (let at = 0; at < 5; at++) log.append(transition(at));
    expect(log.since(3).events.map((event) => event.id)).toEqual([4, 5]);
    expect(log.since(5).events).toEqual([]);
    expect(log.since(0)).toMatchObject({ missed: 2, events: [{ id: 3 }, { id: 4 }, { id: 5 }] });
    expect(log.since(1)).toMatchObject({ missed: 1 });
    expect(log.since(2)).toMatchObject({ missed: 0 });
    expect(log.since(9)).toMatchObject({ reset: true, missed: 0, events: [{ id: 3 }, { id: 4 }, { id: 5 }] });
  });

  it('tells listeners of each event in order, frozen, until they unsubscribe', () => {
    const log = new EventLog(2);
    const seen: number[] = [];
    const unsubscribe = log.subscribe((event) => {
      expect(Object.isFrozen(event)).toBe(true);
      seen.push(event.id);
    });
    log.append(transition(0));
    log.append(transition(1));
    unsubscribe();
    log.append(transition(2));
    expect(seen).toEqual([1, 2]);
  });
});
