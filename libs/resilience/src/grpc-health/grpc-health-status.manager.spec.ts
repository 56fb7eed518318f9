import { describe, expect, it } from '@jest/globals';
import { isInvalidOptionError } from '../common/invalid-option.error.js';
import { GrpcHealthStatusManager } from './grpc-health-status.manager.js';
import { ServingStatus, servingStatusOf } from './serving-status.js';

const { SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN } = ServingStatus;

function watched(manager: GrpcHealthStatusManager, service: string) {
  const seen: ServingStatus[] = [];
  const stop = manager.watch(service, (status) => seen.push(status));
  return { seen, stop };
}

describe('servingStatusOf', () => {
  it('serves HEALTHY and DEGRADED, refuses UNHEALTHY, keeps UNKNOWN', () => {
    expect(servingStatusOf('HEALTHY')).toBe(SERVING);
    expect(servingStatusOf('DEGRADED')).toBe(SERVING);
    expect(servingStatusOf('UNHEALTHY')).toBe(NOT_SERVING);
    expect(servingStatusOf('UNKNOWN')).toBe(UNKNOWN);
  });
});

describe('GrpcHealthStatusManager', () => {
  it('sends the current status at once, then only changes', () => {
    const manager = new GrpcHealthStatusManager();
    manager.setStatus('db', SERVING);
    const { seen } = watched(manager, 'db');
    manager.setStatus('db', SERVING);
    manager.setStatus('db', NOT_SERVING);
    manager.setStatus('db', NOT_SERVING);
    manager.setStatus('db', SERVING);
    expect(seen).toEqual([SERVING, NOT_SERVING, SERVING]);
  });

  it('tells a watcher of an unknown service SERVICE_UNKNOWN, then the status once registered', () => {
    const manager = new GrpcHealthStatusManager();
    const { seen } = watched(manager, 'cache');
    manager.setStatus('cache', UNKNOWN);
    manager.setStatus('cache', SERVING);
    manager.clearStatus('cache');
    expect(seen).toEqual([SERVICE_UNKNOWN, UNKNOWN, SERVING, SERVICE_UNKNOWN]);
    expect(manager.get('cache')).toBeUndefined();
  });

  it('stops notifying after the watch is stopped', () => {
    const manager = new GrpcHealthStatusManager();
    const { seen, stop } = watched(manager, 'db');
    stop();
    manager.setStatus('db', SERVING);
    expect(seen).toEqual([SERVICE_UNKNOWN]);
  });

  it('enters a terminal state: everything NOT_SERVING, later updates ignored', () => {
    const manager = new GrpcHealthStatusManager();
    manager.setStatus('', SERVING);
    manager.setStatus('db', UNKNOWN);
    const overall = watched(manager, '');
    manager.enterTerminalState();
    manager.setStatus('', SERVING);
    manager.setStatus('new', SERVING);
    manager.clearStatus('db');
    expect(overall.seen).toEqual([SERVING, NOT_SERVING]);
    expect([...manager.entries()]).toEqual([
      ['', NOT_SERVING],
      ['db', NOT_SERVING],
    ]);
    expect(manager.isTerminal).toBe(true);
  });

  it('rejects SERVICE_UNKNOWN and out-of-range statuses, naming the service and value', () => {
    const manager = new GrpcHealthStatusManager();
    for (const bad of [SERVICE_UNKNOWN, 7]) {
      let error: unknown;
      try {
        manager.setStatus('db', bad);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toContain(`"db"`);
      expect((error as Error).message).toContain(`got ${bad}`);
    }
  });
});
