import { type ClientRequest, type IncomingMessage, request } from 'node:http';

/** One server-sent event, or a comment (`comment` set, the rest empty). */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/**
 * A raw SSE client over `node:http`: keeps every frame it has parsed, can stop reading (a slow client:
 * the socket's buffers fill and the server sees backpressure) and resume. Waits are on events with a
 * real-time deadline, never fixed sleeps.
 */
export class SseReader {
  readonly frames: SseFrame[] = [];
  status = 0;
  headers: IncomingMessage['headers'] = {};
  ended = false;
  private buffer = '';
  private response: IncomingMessage | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly req: ClientRequest) {}

  /** Opens the stream; resolves once the status line and headers are in. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
      const reader = new SseReader(req);
      req.on('response', (response) => {
        reader.response = response;
        reader.status = response.statusCode ?? 0;
        reader.headers = response.headers;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => reader.feed(chunk));
        response.on('end', () => {
          reader.ended = true;
          reader.wake();
        });
        response.on('error', () => undefined);
        resolve(reader);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The events (not comments) received so far. */
  get events(): SseFrame[] {
    return this.frames.filter((frame) => frame.comment === undefined);
  }

  /** Waits until `condition` holds over the frames (or the stream ends, which fails unless it holds). */
  async until(condition: (reader: SseReader) => boolean, what: string, deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (!condition(this)) {
      if (this.ended) throw new Error(`stream ended while waiting for ${what}; got ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.length} frames, last ${JSON.stringify(this.frames.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the server to end the stream. */
  async untilEnded(deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the stream to end');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Stops reading from the socket (a slow client). */
  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  /** Whether the response body is being read. */
  get paused(): boolean {
    return this.response?.isPaused() ?? false;
  }

  close(): void {
    this.req.destroy();
    this.response?.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.frames.push(parseBlock(block));
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}

function parseBlock(block: string): SseFrame {
  const frame: { id?: string; event?: string; data?: string; comment?: string } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}
