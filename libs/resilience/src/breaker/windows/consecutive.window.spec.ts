import { describe, expect, it } from '@jest/globals';
import { ConsecutiveWindow } from './consecutive.window.js';

describe('ConsecutiveWindow', () => {
  it('trips on the n-th failure in a row', () => {
    const window = new ConsecutiveWindow(3);
    expect(window.failure()).toBe(false);
    expect(window.failure()).toBe(false);
    expect(window.failure()).toBe(true);
    expect(window.tripReason()).toBe('3 consecutive failures');
  });

  it('starts the run over after a success, slow or not', () => {
    const window = new ConsecutiveWindow(2);
    window.failure();
    expect(window.success()).toBe(false);
    expect(window.failure()).toBe(false);
    expect(window.stats()).toEqual({ bufferedCalls: 1, failureRate: -1, slowCallRate: -1 });
    expect(window.failure()).toBe(true);
  });

  it('forgets the run on reset', () => {
    const window = new ConsecutiveWindow(2);
    window.failure();
    window.reset();
    expect(window.failure()).toBe(false);
  });
});
