import { describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FakeClock } from '../testing/fake-clock.js';
import { HealthTimers } from './health.timers.js';

describe('HealthTimers.setAt', () => {
  it('shares one clock timer between names due at the same instant, each registered and clearable on its own', () => {
    const clock = new FakeClock(0);
    const registry = new SchedulerRegistry();
    const timers = new HealthTimers(clock, registry);
    const fired: string[] = [];
    timers.setAt('a:check', 1_050, () => fired.push('a'));
    timers.setAt('b:check', 1_050, () => fired.push('b'));
    timers.setAt('c:check', 1_050, () => fired.push('c'));
    timers.setAt('d:check', 1_100, () => fired.push('d'));
    expect(clock.pendingTimers).toBe(2);
    expect(registry.getTimeouts().filter((k) => k.endsWith(':check'))).toHaveLength(4);
    timers.clear('b:check');
    expect(timers.has('b:check')).toBe(false);
    expect(clock.pendingTimers).toBe(2);
    clock.advance(1_049);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a', 'c']);
    expect(timers.has('a:check')).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    timers.clear('d:check');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    expect(fired).toEqual(['a', 'c']);
    expect(registry.getTimeouts().filter((k) => k.endsWith(':check'))).toEqual([]);
  });

  it('skips a name cleared by an earlier callback of the same slot, and clearAll releases the shared timer', () => {
    const clock = new FakeClock(0);
    const timers = new HealthTimers(clock, new SchedulerRegistry());
    const fired: string[] = [];
    timers.setAt('a:check', 100, () => {
      fired.push('a');
      timers.clear('b:check');
    });
    timers.setAt('b:check', 100, () => fired.push('b'));
    clock.advance(100);
    expect(fired).toEqual(['a']);
    timers.setAt('x:check', 200, () => fired.push('x'));
    timers.setAt('y:check', 200, () => fired.push('y'));
    timers.clearAll();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(500);
    expect(fired).toEqual(['a']);
  });
});
