/** The part of a Node `ServerResponse` (or any writable) an SSE client writes to. */
export interface SseSink {
  /** False when the sink's buffer is full: write again after `drain`. */
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** Builds the frame that tells a client `dropped` events after `afterId` were not sent to it. */
export type DroppedFrame = (dropped: number, afterId: number) => string;

/**
 * One server-sent-events connection with a bounded queue. Frames go straight to the sink while it
 * takes them; once its buffer is full (`write` returned false) they wait in a queue of at most `limit`
 * frames until `drain`. A frame that finds the queue full drops the whole queue and itself, and the next
 * frame the client gets says how many were dropped and after which id, so a slow client costs at most
 * `limit` frames plus the sink's own buffer, however far behind it falls. Framework-free.
 */
export class SseClient {
  private readonly queue: { id: number; frame: string }[] = [];
  private waiting = false;
  private pendingDrop = 0;
  private lastSentId: number;
  private closed = false;
  /** Frames dropped over the connection's life. */
  droppedTotal = 0;
  private readonly onDrain = (): void => this.flush();

  /**
   * @param afterId the id the client has seen up to (what a drop marker names as the resync point).
   */
  constructor(
    private readonly sink: SseSink,
    private readonly limit: number,
    private readonly droppedFrame: DroppedFrame,
    afterId: number,
  ) {
    this.lastSentId = afterId;
  }

  /** Frames waiting for the sink to drain. */
  get queued(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Writes frames that are already bounded (the replay of the event log, a marker) past the queue: they
   * are sent whatever the sink's state, and later frames wait until it drains.
   */
  writeDirect(chunk: string, lastId?: number): void {
    if (this.closed) return;
    if (lastId !== undefined) this.lastSentId = lastId;
    if (!this.sink.write(chunk)) this.waitForDrain();
  }

  /** Sends a frame now, or queues it while the sink is full, or drops it (and the queue) when the queue is full. */
  push(id: number, frame: string): void {
    if (this.closed) return;
    if (!this.waiting && this.pendingDrop === 0) {
      this.send(id, frame);
      return;
    }
    if (this.queue.length >= this.limit) {
      const dropped = this.queue.length + 1;
      this.pendingDrop += dropped;
      this.droppedTotal += dropped;
      this.queue.length = 0;
      return;
    }
    this.queue.push({ id, frame });
  }

  /** A comment that keeps proxies from closing an idle connection; skipped while frames are waiting. */
  heartbeat(frame: string): void {
    if (this.closed || this.waiting || this.queue.length > 0) return;
    if (!this.sink.write(frame)) this.waitForDrain();
  }

  /** Ends the response; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.sink.removeListener('drain', this.onDrain);
    this.sink.end();
  }

  private send(id: number, frame: string): void {
    this.lastSentId = id;
    if (!this.sink.write(frame)) this.waitForDrain();
  }

  private waitForDrain(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.sink.once('drain', this.onDrain);
  }

  private flush(): void {
    this.waiting = false;
    if (this.closed) return;
    if (this.pendingDrop > 0) {
      const dropped = this.pendingDrop;
      this.pendingDrop = 0;
      if (!this.sink.write(this.droppedFrame(dropped, this.lastSentId))) {
        this.waitForDrain();
        return;
      }
    }
    let sent = 0;
    while (sent < this.queue.length && !this.waiting) {
      const next = this.queue[sent++]!;
      this.send(next.id, next.frame);
    }
    this.queue.splice(0, sent);
  }
}
