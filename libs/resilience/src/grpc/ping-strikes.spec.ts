import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../testing/fake-clock.js';
import { type PingPolicy, PingStrikes } from './ping-strikes.js';

const FIVE_MINUTES = 300_000;
const TWO_HOURS = 7_200_000;

function strikes(policy: Partial<PingPolicy> = {}): { clock: FakeClock; pings: PingStrikes } {
  const clock = new FakeClock();
  return { clock, pings: new PingStrikes({ minTimeMs: FIVE_MINUTES, permitWithoutCalls: false, maxStrikes: 2, ...policy }, clock) };
}

describe('PingStrikes (gRPC keepalive enforcement)', () => {
  it('with calls open, allows one PING per minTimeMs and strikes out after maxStrikes earlier ones', () => {
    const { clock, pings } = strikes();
    expect(pings.ping(true)).toBe(false);
    clock.advance(FIVE_MINUTES);
    expect(pings.ping(true)).toBe(false); // on time
    clock.advance(FIVE_MINUTES - 1);
    expect(pings.ping(true)).toBe(false); // strike 1
    expect(pings.ping(true)).toBe(false); // strike 2
    expect(pings.ping(true)).toBe(true); // strike 3 > 2
  });

  it('without calls, counts any PING within 2 hours of the previous one, unless permitWithoutCalls', () => {
    const strict = strikes();
    strict.pings.ping(false);
    strict.clock.advance(TWO_HOURS - 1);
    strict.pings.ping(false);
    strict.pings.ping(false);
    expect(strict.pings.ping(false)).toBe(true);

    const permissive = strikes({ permitWithoutCalls: true });
    for (let i = 0; i < 10; i++) {
      expect(permissive.pings.ping(false)).toBe(false);
      permissive.clock.advance(FIVE_MINUTES);
    }
  });

  it('forgives every strike when a call starts', () => {
    const { pings } = strikes();
    for (let i = 0; i < 20; i++) {
      pings.ping(true);
      expect(pings.ping(true)).toBe(false);
      pings.callStarted();
    }
  });

  it('with maxStrikes 0, the first early PING closes; with minTimeMs 0, any rate is allowed', () => {
    const none = strikes({ maxStrikes: 0 });
    none.pings.ping(true);
    expect(none.pings.ping(true)).toBe(true);
    const any = strikes({ minTimeMs: 0 });
    for (let i = 0; i < 100; i++) expect(any.pings.ping(true)).toBe(false);
  });
});
