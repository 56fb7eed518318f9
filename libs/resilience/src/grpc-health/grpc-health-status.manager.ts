import { InvalidOptionError } from '../common/invalid-option.error.js';
import { ServingStatus } from './serving-status.js';

/** Receives a service's serving status: at once, then on every change. */
export type ServingStatusListener = (status: ServingStatus) => void;

/**
 * The status table behind `grpc.health.v1`, free of Nest and of gRPC transport (the role of Go's
 * `health.Server` and Java's `HealthStatusManager`). Stores one status per service name, tells
 * watchers only about real changes, and has a terminal state: once entered, every service is
 * NOT_SERVING and further updates are ignored.
 */
export class GrpcHealthStatusManager {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Map<string, Set<ServingStatusListener>>();
  private terminal = false;

  /** True once {@link enterTerminalState} has run. */
  get isTerminal(): boolean {
    return this.terminal;
  }

  /** Number of registered services. */
  get size(): number {
    return this.statuses.size;
  }

  /** Status of a registered service, `undefined` for an unknown one. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Every registered service with its status. */
  entries(): IterableIterator<[string, ServingStatus]> {
    return this.statuses.entries();
  }

  /** Registers or updates a service. Ignored in the terminal state. */
  setStatus(service: string, status: ServingStatus): void {
    if (status === ServingStatus.SERVICE_UNKNOWN || ServingStatus[status] === undefined) {
      throw new InvalidOptionError(
        `gRPC health service "${service}"`,
        'status',
        status,
        'must be ServingStatus.UNKNOWN, SERVING or NOT_SERVING',
      );
    }
    if (this.terminal || this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    this.notify(service, status);
  }

  /** Unregisters a service; its watchers see SERVICE_UNKNOWN. Ignored in the terminal state. */
  clearStatus(service: string): void {
    if (this.terminal || !this.statuses.delete(service)) return;
    this.notify(service, ServingStatus.SERVICE_UNKNOWN);
  }

  /**
   * Calls `listener` at once with the current status (SERVICE_UNKNOWN for an unknown service),
   * then on every change. Returns the function that stops the watch.
   */
  watch(service: string, listener: ServingStatusListener): () => void {
    let set = this.listeners.get(service);
    if (!set) this.listeners.set(service, (set = new Set()));
    set.add(listener);
    listener(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(service) === set) this.listeners.delete(service);
    };
  }

  /** Sets every service NOT_SERVING for good (Go `Shutdown()`, Java `enterTerminalState()`). */
  enterTerminalState(): void {
    if (this.terminal) return;
    this.terminal = true;
    for (const [service, status] of this.statuses) {
      if (status === ServingStatus.NOT_SERVING) continue;
      this.statuses.set(service, ServingStatus.NOT_SERVING);
      this.notify(service, ServingStatus.NOT_SERVING);
    }
  }

  private notify(service: string, status: ServingStatus): void {
    const set = this.listeners.get(service);
    if (!set) return;
    // A copy: a listener may stop or start watches while being called.
    for (const listener of Array.from(set)) listener(status);
  }
}
