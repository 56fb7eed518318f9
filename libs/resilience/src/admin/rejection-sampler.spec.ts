import { describe, expect, it } from '@jest/globals';
import { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { FakeClock } from '../testing/fake-clock.js';
import { RejectionSampler, type RejectionSample } from './rejection-sampler.js';

const succeed = (): Promise<string> => Promise.resolve('ok');
const fail = (): Promise<never> => Promise.reject(new Error('down'));

function rig(options: ConstructorParameters<typeof CircuitBreakerPolicy>[0] = {}) {
  const clock = new FakeClock(1_000);
  const policy = new CircuitBreakerPolicy({ name: 'db', clock, window: { kind: 'consecutive', failures: 1 }, openDurationMs: 5_000, ...options });
  const samples: RejectionSample[] = [];
  const sampler = new RejectionSampler(clock, 1_000, (sample) => samples.push(sample));
  policy.stateChanges$.subscribe((event) => sampler.stateChanged(policy, event.to));
  sampler.track(policy);
  const reject = async (n: number) => {
    for (let i = 0; i < n; i++) await policy.execute(succeed).catch(() => undefined);
  };
  return { clock, policy, samples, sampler, reject };
}

describe('RejectionSampler', () => {
  it('arms no timer while the breaker does not reject', async () => {
    const { clock, policy, sampler } = rig();
    await policy.execute(succeed);
    expect(sampler.sampling).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('emits one sample per interval with the rejections since the last one, and follows OPEN into HALF_OPEN', async () => {
    const { clock, policy, samples, reject } = rig();
    await policy.execute(fail).catch(() => undefined);
    expect(policy.state).toBe(CircuitState.OPEN);
    await reject(4);
    clock.advance(1_000);
    await reject(2);
    clock.advance(1_000);
    clock.advance(3_000); // half-opens at 6_000 on the sampler's read; nothing rejected meanwhile
    expect(samples).toEqual([
      { breaker: 'db', count: 4, fromAt: 1_000, at: 2_000, state: CircuitState.OPEN },
      { breaker: 'db', count: 2, fromAt: 2_000, at: 3_000, state: CircuitState.OPEN },
    ]);
    expect(policy.state).toBe(CircuitState.HALF_OPEN);
  });

  it('flushes at once when the breaker stops rejecting, then stops its timer', async () => {
    const { clock, policy, samples, sampler, reject } = rig();
    policy.forceOpen('drill');
    await reject(3);
    clock.advance(250);
    policy.reset('over');
    expect(samples).toEqual([{ breaker: 'db', count: 3, fromAt: 1_000, at: 1_250, state: CircuitState.CLOSED }]);
    expect(sampler.sampling).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('starts from the breaker’s own total, so rejections of a restored breaker are not counted twice', async () => {
    const clock = new FakeClock(0);
    const restored = new CircuitBreakerPolicy({
      name: 'db',
      clock,
      initialState: { name: 'db', state: CircuitState.FORCED_OPEN, stateSince: 0, consecutiveTrips: 0, transitions: 1, reason: 'x', calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 500, timedOut: 0, slow: 0 } },
    });
    const samples: RejectionSample[] = [];
    const sampler = new RejectionSampler(clock, 1_000, (sample) => samples.push(sample));
    sampler.track(restored);
    expect(sampler.sampling).toBe(true);
    await restored.execute(succeed).catch(() => undefined);
    clock.advance(1_000);
    expect(samples).toEqual([{ breaker: 'db', count: 1, fromAt: 0, at: 1_000, state: CircuitState.FORCED_OPEN }]);
    sampler.dispose();
    expect(clock.pendingTimers).toBe(0);
  });
});
