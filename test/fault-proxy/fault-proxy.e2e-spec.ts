import { afterEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FakeClock } from '@engined/resilience/testing';
import { FaultProxy, type ProxyConnection } from '../support/fault-proxy.js';

/** Resolves once `condition()` holds, re-checked on each `activity` event of `emitter`. */
function until(emitter: EventEmitter, condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!condition()) return;
      emitter.off('activity', check);
      resolve();
    };
    emitter.on('activity', check);
  });
}

/** A loopback echo server that counts what reaches it. */
class EchoServer extends EventEmitter {
  accepted = 0;
  bytes = 0;
  readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    super();
    server.on('connection', (socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('data', (chunk: Buffer) => {
        this.bytes += chunk.length;
        socket.write(chunk);
        this.emit('activity');
      });
      socket.on('error', () => undefined); // resets are what some tests cause
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.emit('activity');
      });
      this.emit('activity');
    });
  }

  static async start(): Promise<EchoServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new EchoServer(server);
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  until(condition: () => boolean): Promise<void> {
    return until(this, condition);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A client socket that keeps what it received and how it ended. */
class Client extends EventEmitter {
  data = '';
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | undefined;

  private constructor(readonly socket: Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.data += chunk;
      this.emit('activity');
    });
    socket.on('end', () => {
      this.ended = true;
      this.emit('activity');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error;
      this.emit('activity');
    });
    socket.on('close', () => {
      this.closed = true;
      this.emit('activity');
    });
  }

  /**
   * Connects; resolves once connected, or once closed if the connection failed. (A proxy that resets on
   * accept may hit the client before or after its connect completes: `error` tells either way.)
   */
  static connect(port: number): Promise<Client> {
    const socket = createConnection({ host: '127.0.0.1', port });
    const client = new Client(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve(client));
      socket.once('close', () => resolve(client));
    });
  }

  until(condition: () => boolean): Promise<void> {
    return until(this, condition);
  }

  /** Waits until `text.length` characters have been received in total; rejects unless they are exactly `text`. */
  async receives(text: string): Promise<void> {
    await this.until(() => this.data.length >= text.length);
    if (this.data !== text) throw new Error(`expected to receive ${JSON.stringify(text)}, got ${JSON.stringify(this.data)}`);
  }
}

describe('FaultProxy (test/support/fault-proxy.ts) against a loopback echo server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).toReversed()) await cleanup();
  });

  async function setUp(options: Partial<Parameters<typeof FaultProxy.start>[0]> = {}) {
    const echo = await EchoServer.start();
    cleanups.push(() => echo.close());
    const proxy = await FaultProxy.start({ target: echo.port, ...options });
    cleanups.push(() => proxy.close());
    const connect = async () => {
      const client = await Client.connect(proxy.port);
      cleanups.push(() => void client.socket.destroy());
      return client;
    };
    return { echo, proxy, connect };
  }

  it('pass: forwards both ways, announces each connection, counts bytes, and closes with the client', async () => {
    const { echo, proxy, connect } = await setUp();
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const accepted = proxy.nextConnection();
    const client = await connect();
    const connection = await accepted;
    expect(connection.id).toBe(1);
    expect(connection.clientPort).toBe(client.socket.localPort);

    client.socket.write('hello');
    await client.receives('hello');
    expect(proxy.stats).toEqual({
      accepted: 1,
      active: 1,
      resets: 0,
      targetFailures: 0,
      bytesFromClient: 5,
      bytesToTarget: 5,
      bytesFromTarget: 5,
      bytesToClient: 5,
      bytesDropped: 0,
    });
    expect(connection.counters).toMatchObject({ bytesFromClient: 5, bytesToClient: 5 });

    client.socket.end(); // the FIN goes through; the echo server ends its side; everything closes
    await connection.closed;
    await client.until(() => client.closed);
    expect(client.ended).toBe(true);
    expect(proxy.stats.active).toBe(0);
    await echo.until(() => echo.sockets.size === 0);
  });

  it('latency: holds each chunk exactly ms in each direction, keeps the order, and releases at once on pass (timers from a FakeClock)', async () => {
    const clock = new FakeClock();
    const { echo, proxy, connect } = await setUp({ timers: clock, mode: { kind: 'latency', ms: 100 } });
    const client = await connect();

    client.socket.write('a');
    await proxy.until(() => proxy.stats.bytesFromClient === 1);
    clock.advance(99);
    expect(proxy.stats.bytesToTarget).toBe(0);
    clock.advance(1);
    expect(proxy.stats.bytesToTarget).toBe(1);
    await proxy.until(() => proxy.stats.bytesFromTarget === 1); // the echo answered; the answer is held too
    clock.advance(99);
    expect(proxy.stats.bytesToClient).toBe(0);
    clock.advance(1);
    await client.receives('a');

    // A chunk held 100 ms, then one held 10 ms: the second waits for the first.
    client.socket.write('b');
    await proxy.until(() => proxy.stats.bytesFromClient === 2);
    proxy.setMode({ kind: 'latency', ms: 10, direction: 'toTarget' });
    client.socket.write('c');
    await proxy.until(() => proxy.stats.bytesFromClient === 3);
    clock.advance(10);
    expect(proxy.stats.bytesToTarget).toBe(1); // 'c' is due but waits behind 'b'
    clock.advance(90);
    expect(proxy.stats.bytesToTarget).toBe(3);
    await client.receives('abc'); // toClient no longer delayed: the echo comes straight back
    expect(echo.bytes).toBe(3);

    proxy.setMode({ kind: 'latency', ms: 1_000 });
    client.socket.write('d');
    await proxy.until(() => proxy.stats.bytesFromClient === 4);
    expect(clock.pendingTimers).toBe(1);
    proxy.setMode('pass'); // held data goes at once
    await client.receives('abcd');
    expect(clock.pendingTimers).toBe(0);
  });

  it('latency with the default (real) timers delays the round trip', async () => {
    const { proxy, connect } = await setUp({ mode: { kind: 'latency', ms: 25 } });
    const client = await connect();
    const started = performance.now();
    client.socket.write('x');
    await client.receives('x');
    // Two 25 ms holds; asserting one of them leaves room for timer granularity.
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(proxy.stats.bytesToClient).toBe(1);
  });

  it('drop: keeps the connection, discards the data; switching back to pass forwards again on the same connection', async () => {
    const { echo, proxy, connect } = await setUp({ mode: 'drop' });
    const client = await connect();
    await echo.until(() => echo.accepted === 1); // the target sees a connection that stays silent

    client.socket.write('lost');
    await proxy.until(() => proxy.stats.bytesDropped === 4);
    expect(proxy.stats).toMatchObject({ bytesFromClient: 4, bytesToTarget: 0, bytesToClient: 0, active: 1 });
    expect(echo.bytes).toBe(0);
    expect([client.data, client.ended, client.closed]).toEqual(['', false, false]);

    proxy.setMode('pass');
    client.socket.write('kept');
    await client.receives('kept');
    expect(echo.accepted).toBe(1);
  });

  it('drop toClient: requests reach the target, answers are lost', async () => {
    const { echo, proxy, connect } = await setUp({ mode: { kind: 'drop', direction: 'toClient' } });
    const client = await connect();
    client.socket.write('ping');
    await echo.until(() => echo.bytes === 4);
    await proxy.until(() => proxy.stats.bytesDropped === 4);
    expect(proxy.stats).toMatchObject({ bytesToTarget: 4, bytesFromTarget: 4, bytesToClient: 0 });
    expect(client.data).toBe('');
  });

  it('reset: a live connection switched to reset gets an RST on both sides; new connections are reset on accept and never reach the target', async () => {
    const { echo, proxy, connect } = await setUp();
    const live = await connect();
    live.socket.write('hi');
    await live.receives('hi');

    proxy.setMode('reset');
    await live.until(() => live.closed);
    expect(live.error?.code).toBe('ECONNRESET');
    await echo.until(() => echo.sockets.size === 0);

    const late = await connect();
    await late.until(() => late.closed);
    expect(late.error?.code).toBe('ECONNRESET');
    expect(echo.accepted).toBe(1);
    await proxy.until(() => proxy.stats.active === 0);
    expect(proxy.stats).toMatchObject({ accepted: 2, resets: 2 });
  });

  it('blackhole: accepts, never answers, never closes, never reaches the target; closeAll() ends it', async () => {
    const { echo, proxy, connect } = await setUp({ mode: 'blackhole' });
    const accepted = proxy.nextConnection();
    const client = await connect();
    const connection = await accepted;
    client.socket.write('anyone?');
    await proxy.until(() => proxy.stats.bytesFromClient === 7);

    expect(proxy.stats).toMatchObject({ bytesDropped: 7, bytesToTarget: 0, active: 1 });
    expect(connection.target).toBeUndefined();
    expect(connection.isOpen).toBe(true);
    expect(echo.accepted).toBe(0);
    expect([client.data, client.ended, client.closed, client.error]).toEqual(['', false, false, undefined]);

    await proxy.closeAll();
    await client.until(() => client.closed);
    expect(connection.isOpen).toBe(false);
    expect(proxy.stats.active).toBe(0);
  });

  it('a target that goes away while the link is dark stays hidden; the client is reset once the link is back', async () => {
    const { echo, proxy, connect } = await setUp();
    const accepted = proxy.nextConnection();
    const client = await connect();
    const connection = await accepted;
    client.socket.write('a');
    await client.receives('a');

    proxy.setMode('blackhole');
    for (const socket of echo.sockets) socket.destroy(); // the server dies behind the black hole
    await proxy.until(() => connection.target!.destroyed);
    expect([client.closed, client.error, connection.isOpen]).toEqual([false, undefined, true]);

    proxy.setMode('pass');
    await client.until(() => client.closed);
    expect(client.error?.code).toBe('ECONNRESET');
    await connection.closed;
  });

  it('per connection: a mode set on one connection (from accept, through the connection event) leaves the others alone', async () => {
    const { echo, proxy, connect } = await setUp();
    const byId = new Map<number, ProxyConnection>();
    proxy.on('connection', (connection: ProxyConnection) => {
      byId.set(connection.id, connection);
      if (connection.id === 2) connection.setMode('blackhole'); // before the target is dialled
    });
    const first = await connect();
    const second = await connect();
    await proxy.waitForConnections(2);

    first.socket.write('one');
    second.socket.write('two');
    await first.receives('one');
    await proxy.until(() => byId.get(2)!.counters.bytesDropped === 3);
    expect(byId.get(2)!.target).toBeUndefined();
    expect(echo.accepted).toBe(1);

    byId.get(1)!.setMode({ kind: 'drop', direction: 'toClient' });
    byId.get(2)!.setMode(undefined); // follows the proxy again (pass): dialled through now
    second.socket.write('again');
    await second.receives('again');
    first.socket.write('x');
    await proxy.until(() => byId.get(1)!.counters.bytesDropped === 1);
    expect(first.data).toBe('one');
    expect(echo.accepted).toBe(2);
  });

  it('a target that refuses connections: the client is reset and the failure counted', async () => {
    const closed = await EchoServer.start();
    const port = closed.port;
    await closed.close();
    const proxy = await FaultProxy.start({ target: port });
    cleanups.push(() => proxy.close());
    const client = await Client.connect(proxy.port);
    cleanups.push(() => void client.socket.destroy());
    await client.until(() => client.closed);
    expect(client.error?.code).toBe('ECONNRESET');
    await proxy.until(() => proxy.stats.active === 0);
    expect(proxy.stats).toMatchObject({ targetFailures: 1, resets: 1 });
  });

  it('setTarget: new connections go to the new target, live ones stay where they are', async () => {
    const { echo, proxy, connect } = await setUp();
    const other = await EchoServer.start();
    cleanups.push(() => other.close());
    const before = await connect();
    before.socket.write('a');
    await before.receives('a');

    proxy.setTarget({ host: '127.0.0.1', port: other.port });
    const after = await connect();
    after.socket.write('b');
    await after.receives('b');
    before.socket.write('c');
    await before.receives('ac');
    expect([echo.accepted, echo.bytes, other.accepted, other.bytes]).toEqual([1, 2, 1, 1]);
  });

  it('close(): destroys every connection (held data and its timers too) and the server; nothing is left open', async () => {
    const clock = new FakeClock();
    const { echo, proxy, connect } = await setUp({ timers: clock });
    const clients = [await connect(), await connect(), await connect()];
    await proxy.waitForConnections(3);
    await echo.until(() => echo.sockets.size === 3);
    proxy.setMode({ kind: 'latency', ms: 500 });
    clients[0]!.socket.write('held');
    await proxy.until(() => proxy.stats.bytesFromClient === 4);
    expect(clock.pendingTimers).toBe(1);

    await proxy.close();
    await Promise.all(clients.map((client) => client.until(() => client.closed)));
    await echo.until(() => echo.sockets.size === 0);
    expect(clock.pendingTimers).toBe(0);
    expect(proxy.stats.active).toBe(0);
    const refused = await Client.connect(proxy.port);
    expect([refused.closed, refused.error?.code]).toEqual([true, 'ECONNREFUSED']);
    await expect(proxy.close()).resolves.toBeUndefined(); // idempotent
  });
});
