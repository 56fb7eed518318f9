import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { currentIncomingCall, incomingCallOf, runInIncomingCall } from './incoming-call.js';

/** A grpc-js server call as far as the module reads it. */
function serverCall(deadline: Date | number) {
  return Object.assign(new EventEmitter(), { getDeadline: () => deadline, cancelled: false });
}

describe('IncomingCall', () => {
  it('reads the deadline (Date, number, or Infinity for none) and the time left', () => {
    const at = Date.now() + 60_000;
    expect(incomingCallOf(serverCall(new Date(at))).deadline).toBe(at);
    expect(incomingCallOf(serverCall(at)).remainingMs()).toBeGreaterThan(0);
    expect(incomingCallOf(serverCall(at)).remainingMs()).toBeLessThanOrEqual(60_000);
    const none = incomingCallOf(serverCall(Number.POSITIVE_INFINITY));
    expect([none.deadline, none.remainingMs()]).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(incomingCallOf(serverCall(Date.now() - 5)).remainingMs()).toBe(0);
  });

  it("aborts its signal when the client cancels, also if the signal is first read after the cancel", () => {
    const call = serverCall(Number.POSITIVE_INFINITY);
    const early = incomingCallOf(call).signal;
    expect(early.aborted).toBe(false);
    call.emit('cancelled');
    expect(early.aborted).toBe(true);
    expect((early.reason as DOMException).name).toBe('AbortError');

    const late = serverCall(Number.POSITIVE_INFINITY);
    const incoming = incomingCallOf(late);
    late.emit('cancelled');
    expect(incoming.signal.aborted).toBe(true);
  });

  it("does not abort for the 'cancelled' grpc-js reports after the answer (every call ends with one)", async () => {
    const call = serverCall(Number.POSITIVE_INFINITY);
    let signal: AbortSignal | undefined;
    await runInIncomingCall(call, async (answered) => {
      signal = currentIncomingCall()!.signal;
      answered();
    });
    call.emit('cancelled');
    expect(signal!.aborted).toBe(false);
  });

  it('is one object per call', () => {
    const call = serverCall(Number.POSITIVE_INFINITY);
    expect(incomingCallOf(call)).toBe(incomingCallOf(call));
  });

  it('is current inside runInIncomingCall, across awaits, until answered; never outside', async () => {
    const call = serverCall(Number.POSITIVE_INFINITY);
    expect(currentIncomingCall()).toBeUndefined();
    let later: (() => unknown) | undefined;
    await runInIncomingCall(call, async (answered) => {
      expect(currentIncomingCall()).toBe(incomingCallOf(call));
      await Promise.resolve();
      expect(currentIncomingCall()).toBe(incomingCallOf(call));
      later = () => currentIncomingCall();
      answered();
      expect(currentIncomingCall()).toBeUndefined();
    });
    expect(currentIncomingCall()).toBeUndefined();
    // Work the handler left behind keeps its async context but no longer sees the answered call.
    expect(later!()).toBeUndefined();
    expect(incomingCallOf(call).active).toBe(false);
  });
});
