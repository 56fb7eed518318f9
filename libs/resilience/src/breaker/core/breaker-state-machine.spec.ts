import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../testing/fake-clock.js';
import type { CircuitBreakerOptions } from '../circuit-breaker.options.js';
import { resolveCircuitBreakerOptions } from '../circuit-breaker.options-validation.js';
import { CircuitState } from '../circuit-state.js';
import { BreakerStateMachine } from './breaker-state-machine.js';
import { NO_SLOT } from './half-open-probes.js';
import { REGULAR } from './tracked-call.js';

/** A machine on a fake clock whose transitions are logged as `from→to@at: reason`. */
function machineWith(options: CircuitBreakerOptions = {}, random = () => 0.5) {
  const clock = new FakeClock();
  const machine = new BreakerStateMachine(
    resolveCircuitBreakerOptions({ clock, window: { kind: 'consecutive', failures: 2 }, openDurationMs: 1_000, ...options }),
    random,
  );
  const log: string[] = [];
  machine.onTransition = (from, to, at, reason) => {
    // The listener runs once the new state is in place.
    expect(machine.state).toBe(to);
    log.push(`${from}→${to}@${at}: ${reason}`);
  };
  const fail = (slot = REGULAR) => machine.applyOutcome(slot, false, false, clock.now());
  const succeed = (slot = REGULAR) => machine.applyOutcome(slot, true, false, clock.now());
  return { clock, machine, log, fail, succeed };
}

describe('BreakerStateMachine', () => {
  it('trips CLOSED → OPEN when the window says so, in a new generation, with the window’s reason', () => {
    const { machine, log, fail } = machineWith();
    fail();
    expect(machine.state).toBe(CircuitState.CLOSED);
    fail();
    expect(machine.state).toBe(CircuitState.OPEN);
    expect(machine.generation).toBe(1);
    expect(log).toEqual(['CLOSED→OPEN@0: 2 consecutive failures']);
  });

  it('reads the clock only when a window that ignores time trips', () => {
    const { clock, machine, log } = machineWith();
    clock.advance(40);
    machine.applyOutcome(REGULAR, false, false, Number.NaN);
    machine.applyOutcome(REGULAR, false, false, Number.NaN);
    expect(log).toEqual(['CLOSED→OPEN@40: 2 consecutive failures']);
    expect(machine.openUntil).toBe(1_040);
  });

  it('half-opens on the first read after the open duration, dated when the duration ended', () => {
    const { clock, machine, log, fail } = machineWith();
    fail();
    fail();
    clock.advance(999);
    machine.refresh(clock.now());
    expect(machine.state).toBe(CircuitState.OPEN);
    expect(machine.retryAfterMs(clock.now())).toBe(1);
    clock.advance(5_000);
    machine.refresh(clock.now());
    expect(machine.state).toBe(CircuitState.HALF_OPEN);
    expect(machine.since).toBe(1_000);
    expect(log.at(-1)).toBe('OPEN→HALF_OPEN@1000: open duration elapsed');
  });

  it('admits probes only in HALF_OPEN, and the probes close it', () => {
    const { clock, machine, log, fail, succeed } = machineWith();
    fail();
    fail();
    expect(machine.admitProbe(clock.now())).toBe(NO_SLOT);
    clock.advance(1_000);
    machine.refresh(clock.now());
    const slot = machine.admitProbe(clock.now());
    expect(slot).toBe(0);
    expect(machine.admitProbe(clock.now())).toBe(NO_SLOT);
    succeed(slot);
    expect(machine.state).toBe(CircuitState.CLOSED);
    expect(machine.consecutiveTrips).toBe(0);
    expect(log.at(-1)).toBe('HALF_OPEN→CLOSED@1000: 1 of 1 probes succeeded (1 needed)');
  });

  it('re-opens for longer on each trip in a row, up to maxMs, and starts over once closed', () => {
    const { clock, machine, fail, succeed } = machineWith({ openDurationMs: { initialMs: 1_000, multiplier: 2, maxMs: 3_000 } });
    const trip = (): number => {
      const at = clock.now();
      if (machine.state === CircuitState.HALF_OPEN) fail(machine.admitProbe(at));
      else {
        fail();
        fail();
      }
      const openFor = machine.openUntil - at;
      clock.advance(openFor);
      machine.refresh(clock.now());
      return openFor;
    };
    expect([trip(), trip(), trip(), trip()]).toEqual([1_000, 2_000, 3_000, 3_000]);
    succeed(machine.admitProbe(clock.now()));
    expect(trip()).toBe(1_000);
  });

  it('counts an expired probe lease as a failure when time is next applied', () => {
    const { clock, machine, log, fail } = machineWith({ maxWaitInHalfOpenMs: 500 });
    fail();
    fail();
    clock.advance(1_000);
    machine.refresh(clock.now());
    machine.admitProbe(clock.now());
    clock.advance(1_000);
    machine.refresh(clock.now());
    expect(machine.state).toBe(CircuitState.OPEN);
    expect(log.slice(-1)).toEqual(['HALF_OPEN→OPEN@1500: probe did not settle within 500 ms']);
    // Re-opened at the lease's end, so the next open period runs from there.
    expect(machine.openUntil).toBe(2_500);
  });

  it('frees a cancelled probe’s slot, but not after a transition', () => {
    const { clock, machine, fail } = machineWith({ permittedCallsInHalfOpen: 1 });
    fail();
    fail();
    clock.advance(1_000);
    machine.refresh(clock.now());
    const generation = machine.generation;
    const slot = machine.admitProbe(clock.now());
    machine.probeCancelled(slot, generation, clock.now());
    expect(machine.admitProbe(clock.now())).toBe(slot);
    machine.reset('test', clock.now());
    machine.probeCancelled(slot, generation, clock.now());
    expect(machine.state).toBe(CircuitState.CLOSED);
  });

  it('holds an operator state with its reason; reset leaves it for CLOSED', () => {
    const { clock, machine, log, fail } = machineWith();
    machine.operate(CircuitState.FORCED_OPEN, 'maintenance', clock.now());
    expect(machine.operatorReason).toBe('maintenance');
    expect(machine.retryAfterMs(clock.now())).toBe(-1);
    machine.operate(CircuitState.METRICS_ONLY, 'shadow', clock.now());
    fail();
    fail();
    expect(machine.state).toBe(CircuitState.METRICS_ONLY);
    expect(machine.window.stats(clock.now()).bufferedCalls).toBe(2);
    machine.reset('done', clock.now());
    expect(machine.operatorReason).toBeUndefined();
    expect(log).toEqual([
      'CLOSED→FORCED_OPEN@0: operator: maintenance',
      'FORCED_OPEN→METRICS_ONLY@0: operator: shadow',
      'METRICS_ONLY→CLOSED@0: operator: done',
    ]);
  });

  it('reset when already CLOSED starts a new generation with an empty window, without a transition', () => {
    const { clock, machine, log, fail } = machineWith();
    fail();
    machine.reset('again', clock.now());
    expect(machine.generation).toBe(1);
    expect(machine.transitions).toBe(0);
    fail();
    expect(machine.state).toBe(CircuitState.CLOSED);
    expect(log).toEqual([]);
  });

  it('ends an OPEN period on request (keeping the backoff), and only in OPEN', () => {
    const { clock, machine, fail } = machineWith();
    expect(machine.halfOpen('health check passed', clock.now())).toBe(false);
    fail();
    fail();
    clock.advance(100);
    expect(machine.halfOpen('health check passed', clock.now())).toBe(true);
    expect(machine.state).toBe(CircuitState.HALF_OPEN);
    expect(machine.openUntil).toBe(100);
    expect(machine.consecutiveTrips).toBe(1);
  });

  it('restores a saved HALF_OPEN breaker as the OPEN period it came from', () => {
    const clock = new FakeClock(10_000);
    const machine = new BreakerStateMachine(
      resolveCircuitBreakerOptions({
        clock,
        initialState: {
          name: 'db',
          state: CircuitState.HALF_OPEN,
          stateSince: 4_000,
          openUntil: 9_000,
          consecutiveTrips: 2,
          transitions: 5,
          calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
        },
      }),
      Math.random,
    );
    expect(machine.state).toBe(CircuitState.OPEN);
    machine.refresh(clock.now());
    expect(machine.state).toBe(CircuitState.HALF_OPEN);
    expect(machine.since).toBe(9_000);
    expect(machine.transitions).toBe(6);
  });
});
