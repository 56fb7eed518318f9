import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../common/clock.js';
import { isThenable, rejectLater, sharedIdleSignal } from '../common/promises.js';
import type { BulkheadCallCounts, BulkheadEvent, BulkheadMetrics } from './bulkhead.events.js';
import { resolveBulkheadOptions } from './bulkhead.options-validation.js';
import type { BulkheadOptions } from './bulkhead.options.js';
import { createBulkheadRejectedError, type BulkheadRejection } from './errors/bulkhead-rejected.error.js';

const ONCE = { once: true };
/** A private entry point of the policy for its helper objects (assigned in the policy's static block). */
let cancel: (policy: BulkheadPolicy, entry: Queued) => void;

/**
 * Limits how many calls run at once: `maxConcurrent` run, up to `maxQueued` wait in FIFO order for a slot
 * (at most `queueTimeoutMs`), and any further call is rejected at once with `BulkheadRejectedError`. A
 * queued call whose caller aborts leaves the queue at once with the signal's reason.
 *
 * Framework-free: usable without Nest. Queued calls share one timer of `options.clock`, armed only while
 * a call waits with a queue timeout; an idle bulkhead holds none.
 */
export class BulkheadPolicy {
  /** `options.name`, default `bulkhead`. */
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /** `Infinity` when queued calls wait without limit. */
  readonly queueTimeoutMs: number;

  private subject: Subject<BulkheadEvent> | undefined;
  private eventsView: Observable<BulkheadEvent> | undefined;
  private readonly clock: Clock;
  private running = 0;
  /** Queued calls in arrival order from `head` to `tail`; a call that left is marked and skipped. */
  private readonly queue: (Queued | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private waitingCount = 0;
  private draining = false;
  private timer: TimerHandle | undefined;
  private disposed = false;
  private readonly counts: BulkheadCallCounts = { admitted: 0, rejected: 0, queueTimedOut: 0, cancelled: 0 };
  /** Frees the slot of a call that settled; one function shared by every call. */
  private readonly onSettled: () => void;
  private readonly onQueueTimer: () => void;

  /** @param options validated here; a bad value throws `InvalidOptionError` naming the option and value. */
  constructor(options?: BulkheadOptions) {
    const o = resolveBulkheadOptions(options);
    this.name = o.name;
    this.maxConcurrent = o.maxConcurrent;
    this.maxQueued = o.maxQueued;
    this.queueTimeoutMs = o.queueTimeoutMs;
    this.clock = o.clock;
    this.onSettled = () => this.release();
    this.onQueueTimer = () => this.expireQueued();
  }

  /** Hot stream of admissions, queueing, rejections and cancellations; built only while someone subscribes. Completes on `dispose()`. */
  get events$(): Observable<BulkheadEvent> {
    if (this.eventsView === undefined) {
      this.subject = new Subject<BulkheadEvent>();
      if (this.disposed) this.subject.complete();
      this.eventsView = this.subject.asObservable();
    }
    return this.eventsView;
  }

  /** Calls running now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.waitingCount;
  }

  /**
   * Runs `fn` in a slot: at once when one is free, after waiting in the queue otherwise; rejects at once with
   * `BulkheadRejectedError` when the slots and the queue are full. Resolves or rejects with `fn`'s outcome.
   * When `fn` runs at once the promise returned is `fn`'s own (a native promise it returned).
   *
   * @param signal the caller's signal, handed to `fn`: if already aborted, `fn` is not called and the promise
   *   rejects with its reason; if it aborts while the call is queued, the call leaves the queue the same way.
   */
  execute<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError(`${this.name}: execute(fn) needs a function`));
    if (signal !== undefined && signal.aborted) return this.cancelledBeforeStart(signal);
    if (this.running < this.maxConcurrent) return this.run(fn, signal);
    if (this.waitingCount < this.maxQueued) return this.enqueue(fn, signal);
    return this.reject('full') as Promise<T>;
  }

  /** A point-in-time view: limits, slots and queue in use, calls by outcome. */
  metrics(): BulkheadMetrics {
    return {
      name: this.name,
      maxConcurrent: this.maxConcurrent,
      maxQueued: this.maxQueued,
      active: this.running,
      queued: this.waitingCount,
      calls: { ...this.counts },
    };
  }

  /** Clears the queue timer and completes `events$`. Queued calls still get slots as running calls finish, without a queue timeout. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.subject?.complete();
  }

  /** Takes a slot and calls `fn`; the slot is freed by a reaction attached before the caller's. */
  private run<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
    this.running++;
    this.counts.admitted++;
    if (this.isObserved()) this.emit({ type: 'admitted', bulkhead: this.name, at: this.clock.now(), queuedMs: 0, active: this.running });
    let result: T | PromiseLike<T>;
    try {
      result = fn(signal ?? sharedIdleSignal());
    } catch (error) {
      this.release();
      return rejectLater(error);
    }
    if (!isThenable(result)) {
      this.release();
      return Promise.resolve(result);
    }
    const answer = Promise.resolve(result);
    void answer.then(this.onSettled, this.onSettled);
    return answer;
  }

  private enqueue<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
    const timed = this.queueTimeoutMs !== Number.POSITIVE_INFINITY && !this.disposed;
    const now = timed || this.isObserved() ? this.clock.now() : Number.NaN;
    return new Promise<T>((resolve, reject) => {
      const entry = new Queued(this, fn as Queued['fn'], signal, resolve as (value: unknown) => void, reject, now, now + this.queueTimeoutMs);
      this.queue[this.tail++] = entry;
      this.waitingCount++;
      if (signal !== undefined) signal.addEventListener('abort', entry, ONCE);
      if (this.isObserved()) this.emit({ type: 'queued', bulkhead: this.name, at: now, queued: this.waitingCount });
      if (timed && this.timer === undefined) this.timer = this.clock.setTimeout(this.onQueueTimer, this.queueTimeoutMs);
    });
  }

  /** A slot freed: hands it to the queued calls in order. */
  private release(): void {
    this.running--;
    // Nothing queued (the usual case): nothing to start, nothing to compact.
    if (this.draining || this.head === this.tail) return;
    this.draining = true;
    try {
      while (this.running < this.maxConcurrent) {
        const entry = this.shift();
        if (entry === undefined) break;
        this.start(entry);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Runs a queued call in the slot it was handed. */
  private start(entry: Queued): void {
    this.running++;
    this.counts.admitted++;
    if (this.isObserved()) {
      const now = this.clock.now();
      const queuedMs = entry.enqueuedAt === entry.enqueuedAt ? now - entry.enqueuedAt : -1;
      this.emit({ type: 'admitted', bulkhead: this.name, at: now, queuedMs, active: this.running });
    }
    let result: unknown;
    try {
      result = entry.fn(entry.signal ?? sharedIdleSignal());
    } catch (error) {
      this.running--;
      entry.reject(error);
      return;
    }
    if (!isThenable(result)) {
      this.running--;
      entry.resolve(result);
      return;
    }
    const answer = Promise.resolve(result);
    void answer.then(this.onSettled, this.onSettled);
    entry.resolve(answer);
  }

  /** The oldest call still queued, taken out of the queue; undefined when none. */
  private shift(): Queued | undefined {
    while (this.head < this.tail) {
      const entry = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (entry.left) continue;
      this.leave(entry);
      this.compact();
      return entry;
    }
    this.compact();
    return undefined;
  }

  /** Marks a queued call as gone from the queue (it got a slot, timed out or was cancelled). */
  private leave(entry: Queued): void {
    entry.left = true;
    this.waitingCount--;
    entry.signal?.removeEventListener('abort', entry);
  }

  private compact(): void {
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      this.queue.length = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.queue.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.queue.length = this.tail;
      this.head = 0;
    }
  }

  /** The queue timer fired: every call waiting since `queueTimeoutMs` leaves; re-armed for the next one. */
  private expireQueued(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.tail) {
      const entry = this.queue[this.head]!;
      if (!entry.left && entry.deadline > now) break;
      this.queue[this.head++] = undefined;
      if (entry.left) continue;
      this.leave(entry);
      this.counts.queueTimedOut++;
      this.announceRejection('queue_timeout', now);
      entry.reject(createBulkheadRejectedError(this.name, 'queue_timeout', this.maxConcurrent, this.maxQueued));
    }
    this.compact();
    // Queued calls share one timeout length, so the head is the next to expire.
    if (this.head < this.tail && !this.disposed) this.timer = this.clock.setTimeout(this.onQueueTimer, this.queue[this.head]!.deadline - now);
  }

  /** A queued call's caller aborted. */
  private cancelQueued(entry: Queued): void {
    if (entry.left) return;
    this.leave(entry);
    this.counts.cancelled++;
    if (this.isObserved()) this.emit({ type: 'cancelled', bulkhead: this.name, at: this.clock.now(), queued: this.waitingCount });
    entry.reject(entry.signal!.reason);
  }

  private reject(reason: BulkheadRejection): Promise<never> {
    this.counts.rejected++;
    if (this.isObserved()) this.announceRejection(reason, this.clock.now());
    return rejectLater(createBulkheadRejectedError(this.name, reason, this.maxConcurrent, this.maxQueued));
  }

  private announceRejection(reason: BulkheadRejection, at: number): void {
    if (this.isObserved()) this.emit({ type: 'rejected', bulkhead: this.name, at, reason, active: this.running, queued: this.waitingCount });
  }

  private cancelledBeforeStart<T>(signal: AbortSignal): Promise<T> {
    this.counts.cancelled++;
    if (this.isObserved()) this.emit({ type: 'cancelled', bulkhead: this.name, at: this.clock.now(), queued: this.waitingCount });
    return rejectLater(signal.reason);
  }

  private isObserved(): boolean {
    return this.subject !== undefined && this.subject.observed;
  }

  private emit(event: BulkheadEvent): void {
    this.subject!.next(event);
  }

  static {
    cancel = (policy, entry) => policy.cancelQueued(entry);
  }
}

/** A call waiting for a slot; its own abort listener. */
class Queued {
  left = false;

  constructor(
    private readonly policy: BulkheadPolicy,
    readonly fn: (signal: AbortSignal) => unknown,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
    /** Clock reading at enqueue; NaN when not read. */
    readonly enqueuedAt: number,
    /** When it leaves the queue timed out (`Infinity` without a queue timeout). */
    readonly deadline: number,
  ) {}

  handleEvent(): void {
    cancel(this.policy, this);
  }
}
