import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { TimerHandle } from '../common/clock.js';
import { ADMIN_OPTIONS } from './admin.constants.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import type { AdminEvent } from './admin.events.js';
import { EventLog } from './event-log.js';
import { SseClient, type SseSink } from './sse-client.js';

/** A response the hub can stream to: the sink plus headers and the close notification. */
export interface SseResponse extends SseSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders?(): void;
  on(event: 'close', listener: () => void): unknown;
}

/** What the hub is doing, for the index route (and the metrics of issue 10 §3). */
export interface EventStreamStats {
  /** SSE clients connected now. */
  readonly clients: number;
  /** Frames waiting in the fullest client queue. */
  readonly maxQueued: number;
  /** Frames dropped for slow clients since start. */
  readonly dropped: number;
}

/** Thrown by `open` when `maxStreamClients` are connected (the controller answers 503). */
export class TooManyStreamClientsError extends Error {
  override readonly name = 'TooManyStreamClientsError';
}

const HEARTBEAT = ': heartbeat\n\n';

/**
 * Serves the event log as server-sent events: replay from an id, then every new event, each serialised
 * once for all clients. Each client has a bounded queue (`SseClient`). The log is followed and the
 * heartbeat timer (on the admin clock) armed only while a client is connected; every connection is ended
 * before the HTTP server closes (`beforeApplicationShutdown`).
 */
@Injectable()
export class EventStreamHub implements BeforeApplicationShutdown {
  private readonly clients = new Set<SseClient>();
  private unsubscribe: (() => void) | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private droppedByGone = 0;
  private closed = false;
  private readonly resyncPath: string;

  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(EventLog) private readonly log: EventLog,
  ) {
    this.resyncPath = `/${options.mount.path}/events?since=`;
  }

  /**
   * Starts streaming to `response`: the status line and headers, the kept events after `afterId` (none
   * when undefined: live only), then live events until the client goes or the application shuts down.
   * @throws TooManyStreamClientsError before writing anything when `maxStreamClients` are connected.
   */
  open(response: SseResponse, afterId: number | undefined): void {
    if (this.closed || this.clients.size >= this.options.maxStreamClients) {
      throw new TooManyStreamClientsError(`at most ${this.options.maxStreamClients} event stream clients at once`);
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const page = this.log.since(afterId);
    const client = new SseClient(response, this.options.streamQueueSize, (dropped, after) => this.droppedFrame(dropped, after, 'slow-client'), page.lastId);
    this.clients.add(client);
    response.on('close', () => this.remove(client));
    // A comment first, so the headers leave at once even through buffering proxies.
    let replay = ': engined resilience events\n\n';
    if (afterId !== undefined) {
      if (page.reset) replay += frame('reset', undefined, { lastId: page.lastId, oldestId: page.oldestId });
      if (page.missed > 0) replay += this.droppedFrame(page.missed, afterId, 'evicted');
      for (const event of page.events) replay += frameOf(event);
    }
    client.writeDirect(replay, page.lastId);
    response.flushHeaders?.();
    this.unsubscribe ??= this.log.subscribe((event) => this.broadcast(event));
    this.armHeartbeat();
  }

  stats(): EventStreamStats {
    let maxQueued = 0;
    let dropped = this.droppedByGone;
    for (const client of this.clients) {
      maxQueued = Math.max(maxQueued, client.queued);
      dropped += client.droppedTotal;
    }
    return { clients: this.clients.size, maxQueued, dropped };
  }

  /** @internal Ends every stream, so the HTTP server can close; later `open` calls are refused. */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const client of Array.from(this.clients)) this.remove(client);
  }

  private broadcast(event: AdminEvent): void {
    const text = frameOf(event);
    for (const client of this.clients) client.push(event.id, text);
  }

  private remove(client: SseClient): void {
    if (!this.clients.delete(client)) return;
    this.droppedByGone += client.droppedTotal;
    client.close();
    if (this.clients.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.heartbeatTimer !== undefined) this.options.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private armHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) return;
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      for (const client of this.clients) client.heartbeat(HEARTBEAT);
      if (this.clients.size > 0) this.armHeartbeat();
    }, this.options.heartbeatMs);
  }

  private droppedFrame(dropped: number, afterId: number, cause: 'slow-client' | 'evicted'): string {
    return frame('dropped', undefined, { dropped, afterId, cause, resync: `${this.resyncPath}${afterId}` });
  }
}

/** `id`, `event` and one `data` line (JSON never contains a raw newline). */
function frameOf(event: AdminEvent): string {
  return frame(event.type, event.id, event);
}

function frame(type: string, id: number | undefined, data: unknown): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
