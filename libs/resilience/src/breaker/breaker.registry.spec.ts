import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { ResilienceModule } from '../resilience.module.js';
import { FakeClock } from '../testing/fake-clock.js';
import { BreakerRegistry } from './breaker.registry.js';
import type { CircuitBreakerEvent, StateChangeEvent } from './circuit-breaker.events.js';
import type { CircuitBreakerPolicy } from './circuit-breaker.policy.js';
import { CircuitState } from './circuit-state.js';
import { isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { UnknownCircuitBreakerError } from './errors/unknown-circuit-breaker.error.js';

async function setUp() {
  const clock = new FakeClock();
  const ref = await Test.createTestingModule({
    imports: [
      ResilienceModule.forRoot({
        clock,
        defaults: { window: { kind: 'consecutive', failures: 1 }, openDurationMs: 1_000 },
        profiles: { slow: { timeoutMs: 500 } },
      }),
    ],
  }).compile();
  await ref.init();
  return { ref, clock, registry: ref.get(BreakerRegistry) };
}

const ok = () => Promise.resolve('ok');

describe('BreakerRegistry', () => {
  it('creates a breaker once per name and lists and gets it', async () => {
    const { ref, registry } = await setUp();
    const db = registry.getOrCreate('db');
    expect(registry.getOrCreate('db')).toBe(db);
    expect(registry.get('db')).toBe(db);
    expect(registry.get('nope')).toBeUndefined();
    registry.getOrCreate('cache', { profile: 'slow' });
    expect(registry.list().map((breaker) => breaker.name)).toEqual(['db', 'cache']);
    await ref.close();
  });

  it('uses the module clock: an OPEN breaker half-opens when the fake clock has moved past the open duration', async () => {
    const { ref, clock, registry } = await setUp();
    const db = registry.getOrCreate('db');
    await expect(db.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(db.state).toBe(CircuitState.OPEN);
    clock.advance(1_000);
    expect(db.state).toBe(CircuitState.HALF_OPEN);
    await ref.close();
  });

  it('rejects options that conflict with the ones a shared name was created with, naming the option', async () => {
    const { ref, registry } = await setUp();
    registry.getOrCreate('db', { timeoutMs: 100 });
    expect(registry.getOrCreate('db', { timeoutMs: 100 })).toBe(registry.get('db'));
    expect(() => registry.getOrCreate('db', { timeoutMs: 200 })).toThrow(InvalidOptionError);
    expect(() => registry.getOrCreate('db', { timeoutMs: 200 })).toThrow(/"timeoutMs".*getOrCreate\("db"\).*100.*got 200/s);
    await ref.close();
  });

  it('rejects an unknown profile and invalid options with InvalidOptionError', async () => {
    const { ref, registry } = await setUp();
    expect(() => registry.getOrCreate('a', { profile: 'nope' })).toThrow(
      expect.objectContaining({ option: 'profile', value: 'nope' }) as never,
    );
    expect(() => registry.getOrCreate('b', { minimumCalls: 0 })).toThrow(
      expect.objectContaining({ option: 'minimumCalls', value: 0 }) as never,
    );
    expect(() => registry.getOrCreate('', {})).toThrow(expect.objectContaining({ option: 'name' }) as never);
    await ref.close();
  });

  it('manual control changes the state and records the reason in the state_change event', async () => {
    const { ref, registry } = await setUp();
    const db = registry.getOrCreate('db');
    const changes: StateChangeEvent[] = [];
    const subscription = registry.events$.subscribe((event) => {
      if (event.type === 'state_change') changes.push(event);
    });

    registry.forceOpen('db', 'maintenance window');
    expect(db.state).toBe(CircuitState.FORCED_OPEN);
    const rejection = await db.execute(ok).catch((error: unknown) => error);
    expect(isCircuitBreakerOpenError(rejection)).toBe(true);

    registry.disable('db', 'incident 42: bypass');
    expect(db.state).toBe(CircuitState.DISABLED);
    await expect(db.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(db.state).toBe(CircuitState.DISABLED);

    registry.metricsOnly('db', 'shadow mode');
    expect(db.state).toBe(CircuitState.METRICS_ONLY);

    registry.reset('db', 'all clear');
    expect(db.state).toBe(CircuitState.CLOSED);

    // halfOpen only ends an OPEN period.
    expect(registry.halfOpen('db', 'nothing to end')).toBe(false);
    await db.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(registry.halfOpen('db', 'the database answers again')).toBe(true);
    expect(db.state).toBe(CircuitState.HALF_OPEN);
    registry.forceOpen('db', 'hold');
    expect(registry.halfOpen('db', 'the operator hold stays')).toBe(false);
    registry.reset('db', 'again');

    expect(changes.map(({ to, reason }) => [to, reason])).toEqual([
      [CircuitState.FORCED_OPEN, expect.stringContaining('maintenance window')],
      [CircuitState.DISABLED, expect.stringContaining('incident 42: bypass')],
      [CircuitState.METRICS_ONLY, expect.stringContaining('shadow mode')],
      [CircuitState.CLOSED, expect.stringContaining('all clear')],
      [CircuitState.OPEN, '1 consecutive failures'],
      [CircuitState.HALF_OPEN, 'the database answers again'],
      [CircuitState.FORCED_OPEN, 'operator: hold'],
      [CircuitState.CLOSED, 'operator: again'],
    ]);
    subscription.unsubscribe();
    await ref.close();
  });

  it('manual control of an unknown name throws UnknownCircuitBreakerError listing the known names', async () => {
    const { ref, registry } = await setUp();
    registry.getOrCreate('db');
    for (const control of [
      () => registry.forceOpen('dbb', 'x'),
      () => registry.disable('dbb', 'x'),
      () => registry.metricsOnly('dbb', 'x'),
      () => registry.reset('dbb'),
      () => registry.halfOpen('dbb', 'x'),
    ]) {
      expect(control).toThrow(UnknownCircuitBreakerError);
      expect(control).toThrow('No circuit breaker named "dbb" (known: "db")');
    }
    await ref.close();
  });

  it('added$ replays existing breakers, then follows new ones; events$ includes breakers created later', async () => {
    const { ref, registry } = await setUp();
    registry.getOrCreate('first');
    const seen: string[] = [];
    const events: CircuitBreakerEvent[] = [];
    const added = registry.added$.subscribe((breaker) => seen.push(breaker.name));
    const eventsSub = registry.events$.subscribe((event) => events.push(event));
    const later = registry.getOrCreate('later');
    registry.getOrCreate('later');
    expect(seen).toEqual(['first', 'later']);

    await later.execute(ok);
    await registry.get('first')!.execute(ok);
    expect(events.filter((event) => event.type === 'success').map((event) => event.breaker)).toEqual(['later', 'first']);
    added.unsubscribe();
    eventsSub.unsubscribe();
    await ref.close();
  });

  it('app.close() disposes every breaker, empties the registry and completes its streams, leaving no timer', async () => {
    const { ref, clock, registry } = await setUp();
    const slow = registry.getOrCreate('slow', { profile: 'slow' });
    const pending = slow.execute(() => new Promise<never>(() => undefined));
    pending.catch(() => undefined);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    let addedDone = false;
    let eventsDone = false;
    registry.added$.subscribe({ complete: () => (addedDone = true) });
    registry.events$.subscribe({ complete: () => (eventsDone = true) });
    const disposed: CircuitBreakerPolicy[] = [];
    for (const breaker of registry.list()) {
      const dispose = breaker.dispose.bind(breaker);
      breaker.dispose = () => {
        disposed.push(breaker);
        dispose();
      };
    }

    await ref.close();

    expect(disposed).toEqual([slow]);
    expect(registry.list()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    expect(addedDone).toBe(true);
    expect(eventsDone).toBe(true);
    expect(() => registry.getOrCreate('after')).toThrow(/shut down/);
  });
});
