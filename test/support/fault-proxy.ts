import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP fault proxy for real-socket tests: listens on loopback, forwards each connection to a target,
 * and injects faults that can be switched at run time, for every connection or for one.
 *
 * ```ts
 * const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: db.port } });
 * connect(`postgres://app@127.0.0.1:${proxy.port}/app`);
 * proxy.setMode('reset');                                 // kill every connection now, refuse new ones
 * proxy.setMode({ kind: 'latency', ms: 200 });            // +200 ms per chunk, each way
 * proxy.on('connection', (c) => c.id === 3 && c.setMode('blackhole')); // one connection only, from accept
 * await proxy.until(() => proxy.stats.active === 0);      // wait on events, never on time
 * await proxy.close();
 * ```
 *
 * Modes (a connection follows the proxy's mode unless it has one of its own):
 * - `pass`: forward both ways.
 * - `latency`: hold each chunk `ms` before forwarding it (order kept), in `direction` (default both).
 * - `drop`: accept and keep the connection, discard the data in `direction` (default both). A new
 *   connection is still dialled through to the target, so the target sees a silent peer.
 * - `reset`: answer with a TCP RST: new connections are reset on accept, live ones at once (both sides).
 * - `blackhole`: accept, never answer, never close; a new connection is not dialled through at all.
 *   Data already on its way (held by `latency`) is lost when a lane goes dark.
 * A connection accepted while blackholed is dialled through once its mode forwards again; what it sent
 * meanwhile is gone, as on a real network. A target that closed while the link was dark is reported to
 * the client (as a reset) once the link is back.
 */

/** Which way data flows: client → target, target → client, or both. */
export type FaultDirection = 'both' | 'toTarget' | 'toClient';

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'latency'; ms: number; direction?: FaultDirection }
  | { kind: 'drop'; direction?: FaultDirection }
  | { kind: 'reset' }
  | { kind: 'blackhole' };

/** A mode, or the name of a mode without parameters. */
export type FaultModeInput = FaultMode | 'pass' | 'drop' | 'reset' | 'blackhole';

/** Where connections go. */
export interface FaultTarget {
  host?: string;
  port: number;
}

/** The timers `latency` uses; any `Clock` of `@engined/resilience` fits (e.g. `FakeClock`, to hold data exactly). */
export interface FaultProxyTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FaultProxyOptions {
  /** The target: a port on 127.0.0.1, or `{ host, port }`. */
  target: FaultTarget | number;
  /** Initial mode. Default `pass`. */
  mode?: FaultModeInput;
  /** Listen host. Default `127.0.0.1`. */
  host?: string;
  /** Listen port. Default 0 (any free port; read it from `port`). */
  port?: number;
  /** Timers for `latency`. Default: the global `setTimeout` / `clearTimeout`. */
  timers?: FaultProxyTimers;
}

/** Bytes seen and moved, per connection and in total. */
export interface TrafficCounters {
  /** Received from clients. */
  bytesFromClient: number;
  /** Written to the target. */
  bytesToTarget: number;
  /** Received from the target. */
  bytesFromTarget: number;
  /** Written to clients. */
  bytesToClient: number;
  /** Discarded by `drop` or `blackhole` (either way). */
  bytesDropped: number;
}

export interface FaultProxyStats extends TrafficCounters {
  /** Connections accepted since start. */
  accepted: number;
  /** Connections open now. */
  active: number;
  /** Connections the proxy reset (mode `reset`, `conn.reset()`, or a reset mirrored from the other side). */
  resets: number;
  /** Dials to the target that failed (e.g. ECONNREFUSED: the client is then reset). */
  targetFailures: number;
}

const realTimers: FaultProxyTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function normalize(mode: FaultModeInput): FaultMode {
  const value: FaultMode = typeof mode === 'string' ? ({ kind: mode } as FaultMode) : { ...mode };
  if (value.kind === 'latency' && !(Number.isFinite(value.ms) && value.ms >= 0)) {
    throw new RangeError(`FaultProxy: latency ms must be a finite number >= 0, got ${value.ms}`);
  }
  if (!['pass', 'latency', 'drop', 'reset', 'blackhole'].includes(value.kind)) {
    throw new RangeError(`FaultProxy: unknown mode ${JSON.stringify(mode)}`);
  }
  return value;
}

function covers(direction: FaultDirection | undefined, lane: 'toTarget' | 'toClient'): boolean {
  return direction === undefined || direction === 'both' || direction === lane;
}

function zeroCounters(): TrafficCounters {
  return { bytesFromClient: 0, bytesToTarget: 0, bytesFromTarget: 0, bytesToClient: 0, bytesDropped: 0 };
}

interface Held {
  chunk: Buffer;
  ready: boolean;
  timer?: unknown;
}

/** One direction of one connection: holds chunks for `latency`, keeps their order, ends after the last. */
class Lane {
  private readonly held: Held[] = [];
  private ending = false;
  private ended = false;

  constructor(
    private readonly connection: ProxyConnection,
    readonly name: 'toTarget' | 'toClient',
  ) {}

  push(chunk: Buffer): void {
    if (this.dropping()) {
      this.connection.counted('bytesDropped', chunk.length);
      return;
    }
    const mode = this.connection.mode;
    const item: Held = { chunk, ready: true };
    if (mode.kind === 'latency' && covers(mode.direction, this.name) && mode.ms > 0) {
      item.ready = false;
      item.timer = this.connection.proxy.timers.setTimeout(() => {
        item.timer = undefined;
        item.ready = true;
        this.flush();
      }, mode.ms);
    }
    this.held.push(item);
    this.flush();
  }

  /** The source ended: end the destination once everything held has been written. */
  end(): void {
    this.ending = true;
    this.flush();
  }

  /** The mode changed: release held chunks at once if this lane no longer delays, drop them if it went dark. */
  remode(): void {
    const mode = this.connection.mode;
    const delaying = mode.kind === 'latency' && covers(mode.direction, this.name);
    if (!delaying) {
      for (const item of this.held) this.release(item);
    }
    this.flush();
  }

  clear(): void {
    for (const item of this.held.splice(0)) this.release(item);
  }

  private release(item: Held): void {
    if (item.timer !== undefined) this.connection.proxy.timers.clearTimeout(item.timer);
    item.timer = undefined;
    item.ready = true;
  }

  private dropping(): boolean {
    return this.connection.dark(this.name);
  }

  private flush(): void {
    const destination = this.name === 'toTarget' ? this.connection.target : this.connection.client;
    if (destination === undefined || destination.connecting || destination.destroyed) return;
    const dark = this.dropping();
    while (this.held.length > 0 && this.held[0]!.ready) {
      const { chunk } = this.held.shift()!;
      if (dark) {
        this.connection.counted('bytesDropped', chunk.length);
        continue;
      }
      destination.write(chunk);
      this.connection.counted(this.name === 'toTarget' ? 'bytesToTarget' : 'bytesToClient', chunk.length);
    }
    if (this.ending && !this.ended && this.held.length === 0 && !dark) {
      this.ended = true;
      destination.end();
    }
  }
}

/**
 * One accepted connection. Its mode is its own once `setMode` is called, else the proxy's. Emits
 * `close` once both sockets are closed.
 */
export class ProxyConnection extends EventEmitter {
  /** 1 for the first connection the proxy accepted, then 2, 3, … */
  readonly id: number;
  /** The client's port on its side (match it against your socket's `localPort`). */
  readonly clientPort: number | undefined;
  readonly counters: TrafficCounters = zeroCounters();
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;
  /** The socket to the target; undefined until dialled (never, for a connection that stays blackholed). */
  target: Socket | undefined;
  private own: FaultMode | undefined;
  private readonly toTarget: Lane;
  private readonly toClient: Lane;
  private started = false;
  private clientClosed = false;
  private targetClosed = false;
  private done = false;
  private markClosed!: () => void;

  constructor(
    readonly proxy: FaultProxy,
    readonly client: Socket,
    id: number,
  ) {
    super();
    this.id = id;
    this.clientPort = client.remotePort;
    this.toTarget = new Lane(this, 'toTarget');
    this.toClient = new Lane(this, 'toClient');
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    client.on('data', (chunk: Buffer) => {
      this.counted('bytesFromClient', chunk.length);
      this.toTarget.push(chunk);
    });
    client.on('end', () => this.toTarget.end());
    client.on('error', (error: NodeJS.ErrnoException) => this.mirrorFailure(this.target, error, false));
    client.on('close', () => {
      this.clientClosed = true;
      // The client is gone and a dark lane will never pass its FIN on: nothing else would end the target side.
      if (this.target !== undefined && !this.target.destroyed && this.dark('toTarget')) this.target.destroy();
      this.settle();
    });
  }

  /** The mode in force for this connection. */
  get mode(): FaultMode {
    return this.own ?? this.proxy.mode;
  }

  /** False once both sockets are closed. */
  get isOpen(): boolean {
    return !this.done;
  }

  /** Gives this connection a mode of its own; `undefined` makes it follow the proxy again. */
  setMode(mode: FaultModeInput | undefined): void {
    this.own = mode === undefined ? undefined : normalize(mode);
    this.apply();
  }

  /** Resets both sides now (TCP RST). */
  reset(): void {
    if (this.client.destroyed && (this.target === undefined || this.target.destroyed)) return;
    this.proxy.count('resets', 1);
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.target !== undefined && !this.target.destroyed) this.target.resetAndDestroy();
  }

  /** Closes both sides now (no RST). */
  destroy(): void {
    this.client.destroy();
    this.target?.destroy();
  }

  /** @internal Starts the connection in the mode in force, once the `connection` listeners have run. */
  start(): void {
    this.started = true;
    this.apply();
  }

  /** @internal */
  counted(counter: keyof TrafficCounters, bytes: number): void {
    this.counters[counter] += bytes;
    this.proxy.count(counter, bytes);
  }

  /** @internal Applies the mode in force: reset now, dial through if it forwards, release or drop held data. */
  apply(): void {
    if (!this.started || this.client.destroyed) return;
    const mode = this.mode;
    if (mode.kind === 'reset') {
      this.reset();
      return;
    }
    if (mode.kind !== 'blackhole' && this.target === undefined) this.dial();
    if (this.target?.destroyed && !this.dark('toClient') && !this.client.destroyed) {
      // The target went away while this connection was dark: now that the link is back, the client learns it.
      this.proxy.count('resets', 1);
      this.client.resetAndDestroy();
      return;
    }
    this.toTarget.remode();
    this.toClient.remode();
    this.proxy.touch();
  }

  /** @internal True when this lane discards its data (and never passes a FIN or a reset on). */
  dark(lane: 'toTarget' | 'toClient'): boolean {
    const mode = this.mode;
    return mode.kind === 'blackhole' || (mode.kind === 'drop' && covers(mode.direction, lane));
  }

  private dial(): void {
    const { host, port } = this.proxy.target;
    // No Nagle on either side: held behind delayed ACKs, small writes would gain ~40 ms in `pass` mode.
    const target = createConnection({ host, port, allowHalfOpen: true, noDelay: true });
    this.target = target;
    target.on('connect', () => {
      this.toTarget.remode();
      this.proxy.touch();
    });
    target.on('data', (chunk: Buffer) => {
      this.counted('bytesFromTarget', chunk.length);
      this.toClient.push(chunk);
    });
    target.on('end', () => {
      // Behind a dark lane the FIN is lost and the target side is simply gone (the client learns it once the link is back).
      if (this.dark('toClient')) target.destroy();
      else this.toClient.end();
      this.proxy.touch();
    });
    target.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error.syscall === 'connect';
      if (refused) this.proxy.count('targetFailures', 1);
      if (!this.dark('toClient')) this.mirrorFailure(this.client, error, refused);
    });
    target.on('close', () => {
      this.targetClosed = true;
      this.settle();
    });
  }

  /** One side failed: a reset (or a refused dial) is passed on as a reset, anything else as a close. */
  private mirrorFailure(other: Socket | undefined, error: NodeJS.ErrnoException, refused: boolean): void {
    if (other === undefined || other.destroyed) return;
    if (refused || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      this.proxy.count('resets', 1);
      other.resetAndDestroy();
    } else {
      other.destroy();
    }
  }

  private settle(): void {
    if (this.done || !this.clientClosed || (this.target !== undefined && !this.targetClosed)) {
      this.proxy.touch();
      return;
    }
    this.done = true;
    this.toTarget.clear();
    this.toClient.clear();
    this.proxy.forget(this);
    this.markClosed();
    this.emit('close');
  }
}

/**
 * The proxy. Events: `connection` (a `ProxyConnection`, emitted synchronously on accept, before the
 * target is dialled, so a listener can give that connection its own mode), `connection-closed`, and
 * `activity` (any change: data, mode, close), which `until()` listens to.
 */
export class FaultProxy extends EventEmitter {
  readonly host: string;
  /** The listening port. */
  readonly port: number;
  /** @internal */
  readonly timers: FaultProxyTimers;
  private current: FaultMode;
  private where: Required<FaultTarget>;
  private readonly live = new Set<ProxyConnection>();
  private readonly totals: FaultProxyStats = { ...zeroCounters(), accepted: 0, active: 0, resets: 0, targetFailures: 0 };
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    options: FaultProxyOptions,
  ) {
    super();
    this.setMaxListeners(0); // one listener per pending until()
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('FaultProxy: not listening on TCP');
    this.host = address.address;
    this.port = address.port;
    this.timers = options.timers ?? realTimers;
    this.current = normalize(options.mode ?? 'pass');
    this.where = FaultProxy.toTarget(options.target);
  }

  /** Starts listening (on 127.0.0.1 and a free port unless told otherwise). */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const proxy = new FaultProxy(server, options);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** `host:port` to hand to clients. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** The proxy-wide mode. */
  get mode(): FaultMode {
    return this.current;
  }

  /** Where new connections (and re-dials) go. */
  get target(): Required<FaultTarget> {
    return this.where;
  }

  /** Open connections, in accept order. */
  get connections(): readonly ProxyConnection[] {
    return [...this.live];
  }

  /** Totals since start (a copy). */
  get stats(): FaultProxyStats {
    return { ...this.totals, active: this.live.size };
  }

  /** Switches the mode of every connection without a mode of its own, live ones included, and of new ones. */
  setMode(mode: FaultModeInput): void {
    this.current = normalize(mode);
    // Deleting from a Set while iterating it is safe: a reset connection leaves it at once.
    for (const connection of this.live) connection.apply();
    this.touch();
  }

  /** Sends new connections elsewhere (e.g. a database restarted on another port); live ones stay. */
  setTarget(target: FaultTarget | number): void {
    this.where = FaultProxy.toTarget(target);
  }

  /** The next connection the proxy accepts. */
  nextConnection(): Promise<ProxyConnection> {
    return new Promise((resolve) => this.once('connection', resolve));
  }

  /** Resolves once `count` connections have been accepted since start. */
  waitForConnections(count: number): Promise<void> {
    return this.until(() => this.totals.accepted >= count);
  }

  /** Resolves once `condition()` holds, re-checked on every proxy event (no polling, no timer). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        let done: boolean;
        try {
          done = condition();
        } catch (error) {
          this.off('activity', check);
          reject(error);
          return;
        }
        if (done) {
          this.off('activity', check);
          resolve();
        }
      };
      this.on('activity', check);
    });
  }

  /** Destroys every open connection (both sides); the proxy keeps listening. Resolves once they are closed. */
  async closeAll(): Promise<void> {
    const connections = [...this.live];
    for (const connection of connections) connection.destroy();
    await Promise.all(connections.map((connection) => connection.closed));
  }

  /** Stops listening and destroys every connection; nothing is left open. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await this.closeAll();
      await stopped;
      this.touch();
    })();
    return this.closing;
  }

  /** @internal */
  count(counter: keyof FaultProxyStats, amount: number): void {
    this.totals[counter] += amount;
    this.touch();
  }

  /** @internal */
  forget(connection: ProxyConnection): void {
    this.live.delete(connection);
    this.emit('connection-closed', connection);
    this.touch();
  }

  /** @internal */
  touch(): void {
    this.emit('activity');
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.totals.accepted++;
    const connection = new ProxyConnection(this, socket, this.totals.accepted);
    this.live.add(connection);
    this.emit('connection', connection);
    connection.start();
    socket.resume();
  }

  private static toTarget(target: FaultTarget | number): Required<FaultTarget> {
    return typeof target === 'number' ? { host: '127.0.0.1', port: target } : { host: target.host ?? '127.0.0.1', port: target.port };
  }
}
