import type { AdminEvent, AdminEventInput } from './admin.events.js';

/** What `EventLog.since` returns. */
export interface EventPage {
  /** The kept events after the id asked for, oldest first. */
  readonly events: readonly AdminEvent[];
  /** Id of the newest event recorded so far (0 before the first). */
  readonly lastId: number;
  /** Id of the oldest event still kept (`lastId + 1` when none is kept). */
  readonly oldestId: number;
  /** Events after the id asked for that are no longer kept (evicted by newer ones). */
  readonly missed: number;
  /**
   * The id asked for is beyond `lastId`: it comes from an earlier run of the process (ids restart at 1),
   * so every kept event is returned.
   */
  readonly reset: boolean;
}

/**
 * The last `capacity` events, with increasing ids. Framework-free: the admin module feeds it and serves
 * it; listeners see each event as it is appended (synchronously, in order).
 */
export class EventLog {
  private readonly items: (AdminEvent | undefined)[];
  private next = 0;
  private size = 0;
  private last = 0;
  private readonly listeners = new Set<(event: AdminEvent) => void>();

  constructor(private readonly capacity: number) {
    this.items = Array.from<AdminEvent | undefined>({ length: capacity });
  }

  /** Id of the newest event (0 before the first). */
  get lastId(): number {
    return this.last;
  }

  /** Id of the oldest kept event (`lastId + 1` when empty). */
  get oldestId(): number {
    return this.last - this.size + 1;
  }

  /** Gives the event the next id, keeps it (evicting the oldest when full), tells the listeners; returns it frozen. */
  append(input: AdminEventInput): AdminEvent {
    const event = Object.freeze({ id: ++this.last, ...input }) as AdminEvent;
    this.items[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Events after `afterId` (every kept event when undefined). */
  since(afterId: number | undefined): EventPage {
    const oldest = this.oldestId;
    const reset = afterId !== undefined && afterId > this.last;
    const from = afterId === undefined || reset ? oldest : Math.max(afterId + 1, oldest);
    const missed = afterId === undefined || reset ? 0 : Math.max(0, oldest - afterId - 1);
    const events: AdminEvent[] = [];
    for (let id = from; id <= this.last; id++) events.push(this.at(id));
    return { events, lastId: this.last, oldestId: oldest, missed, reset };
  }

  /** Calls `listener` with every event appended from now on; returns the unsubscribe function. */
  subscribe(listener: (event: AdminEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private at(id: number): AdminEvent {
    const age = this.last - id;
    return this.items[(this.next - 1 - age + this.capacity * 2) % this.capacity]!;
  }
}
