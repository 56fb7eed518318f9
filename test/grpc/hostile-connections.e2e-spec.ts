import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Cleanup } from '../app/support/cleanup.js';
import { DaemonProcess } from '../app/support/daemon-process.js';
import { ECHO_PATH, ECHO_PROTO, type EchoServer, gate, startEchoServer } from './support/echo-app.js';
import { eventually } from '../support/eventually.js';
import {
  BAD_SETTINGS,
  ErrorCode,
  type Frame,
  Flag,
  FrameType,
  PREFACE,
  RawConnection,
  type RawConnectionOptions,
  Setting,
  errorCodeOf,
  frame,
  grpcData,
  grpcHeaders,
  isGoaway,
  isRst,
  ping,
  settings,
  windowUpdate,
} from './support/raw-http2.js';

const ECHO_MAIN = new URL('./support/echo-server.main.ts', import.meta.url).pathname;

/** An EchoRequest: field 1 (text), a LEN of `text`. */
function echoRequest(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const length: number[] = [];
  for (let n = body.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      length.push(n);
      break;
    }
    length.push((n % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...length]), body]);
}

/** The client's connection preface and an empty SETTINGS frame. */
const HELLO = Buffer.concat([PREFACE, settings()]);

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

/**
 * Bytes that break HTTP/2 at the connection level: nghttp2 answers each with GOAWAY, and Node then
 * neither reads nor closes the socket (see ConnectionGuard).
 */
const PROTOCOL_ERRORS: [string, Buffer, number][] = [
  // The bytes: the preface, then a SETTINGS frame of length 5 (a multiple of 6 is required).
  ['a SETTINGS frame of length 5', BAD_SETTINGS, ErrorCode.FRAME_SIZE_ERROR],
  ['a 16 MiB frame header', Buffer.concat([HELLO, hex('ffffff 00 00 00000001')]), ErrorCode.FRAME_SIZE_ERROR],
  ['garbage HPACK', Buffer.concat([HELLO, frame(FrameType.HEADERS, 0x5, 1, hex('ffffffffff'))]), ErrorCode.COMPRESSION_ERROR],
  ['DATA on an idle stream', Buffer.concat([HELLO, frame(FrameType.DATA, 0, 1, hex('00000000'))]), ErrorCode.PROTOCOL_ERROR],
  ['a PRIORITY frame on which a stream depends on itself', Buffer.concat([HELLO, frame(FrameType.PRIORITY, 0, 1, hex('00000001 10'))]), ErrorCode.PROTOCOL_ERROR],
];

const isResponse = (streamId: number) => (f: Frame): boolean => f.type === FrameType.HEADERS && f.streamId === streamId;

type EchoClient = grpc.Client & {
  Echo(request: { text: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ text: string }>): grpc.ClientUnaryCall;
};

function echoClient(port: number): EchoClient {
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(ECHO_PROTO)) as unknown as {
    resilience: { test: { v1: { Echo: new (target: string, credentials: grpc.ChannelCredentials) => EchoClient } } };
  };
  return new loaded.resilience.test.v1.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

function echo(client: EchoClient, text: string): Promise<string> {
  return new Promise((resolve) =>
    client.Echo({ text }, { deadline: Date.now() + 10_000 }, (error, reply) => resolve(error ? grpc.status[error.code] : reply!.text)),
  );
}

describe('connection-level HTTP/2 protocol errors on a GrpcServer in its own process', () => {
  const cleanup = new Cleanup();
  let server: DaemonProcess;
  let port: number;
  const openFds = () => readdirSync(`/proc/${server.pid}/fd`).length;

  beforeAll(async () => {
    server = cleanup.add(DaemonProcess.start({}, process.cwd(), ECHO_MAIN), (s) => s.stop());
    port = Number(/listening on (\d+)/.exec(await server.line(/listening on \d+/))![1]);
  }, 60_000);
  afterAll(() => cleanup.run());

  it.each(PROTOCOL_ERRORS)('after %s the server sends GOAWAY and closes the socket itself', async (_what, bytes, code) => {
    const connection = cleanup.add(await RawConnection.open(port, bytes), (c) => c.destroy());
    expect(errorCodeOf(await connection.next(isGoaway))).toBe(code);
    // The client never closes its side: only the server can end this, and within 5 s.
    await connection.whenClosed(5_000);
    expect(connection.ended).toBe(true);
  });

  it('100 such connections leave no file descriptor open in the server after 5 s, and it still serves', async () => {
    const client = cleanup.add(echoClient(port), (c) => c.close());
    await expect(echo(client, 'warm up')).resolves.toBe('warm up');
    const baseline = openFds();
    const connections = await Promise.all(
      Array.from({ length: 100 }, (_, i) => RawConnection.open(port, PROTOCOL_ERRORS[i % PROTOCOL_ERRORS.length]![1])),
    );
    for (const connection of connections) cleanup.add(connection, (c) => c.destroy());
    await Promise.all(connections.map((connection) => connection.next(isGoaway)));
    expect(openFds()).toBeGreaterThanOrEqual(baseline + 100);

    const started = Date.now();
    await eventually(() => openFds() <= baseline, 5_000, () => `${openFds()} fds open, ${baseline} before`);
    expect(Date.now() - started).toBeLessThan(5_000);
    await Promise.all(connections.map((connection) => connection.closed));
    await expect(echo(client, 'still serving')).resolves.toBe('still serving');
  }, 30_000);
});

describe('GrpcServer limits, over raw HTTP/2', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    gate.release();
    await cleanup.run();
  });

  async function start(limits: Parameters<typeof startEchoServer>[0]): Promise<EchoServer> {
    return cleanup.add(await startEchoServer(limits), (s) => s.close());
  }

  async function open(server: EchoServer, bytes: Buffer, options?: RawConnectionOptions): Promise<RawConnection> {
    return cleanup.add(await RawConnection.open(server.port, bytes, options), (c) => c.destroy());
  }

  it('refuses streams beyond maxConcurrentStreams with REFUSED_STREAM, and serves them again once one ends', async () => {
    const server = await start({ maxConcurrentStreams: 3, requestTimeoutMs: 0 });
    // The client: an empty SETTINGS, the server's never acknowledged, then streams that never end.
    const connection = await open(server, HELLO, { answer: false });
    for (const id of [1, 3, 5, 7, 9]) connection.send(grpcHeaders(id, ECHO_PATH));
    expect(errorCodeOf(await connection.next(isRst(7)))).toBe(ErrorCode.REFUSED_STREAM);
    expect(errorCodeOf(await connection.next(isRst(9)))).toBe(ErrorCode.REFUSED_STREAM);
    expect(connection.frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => f.streamId)).toEqual([7, 9]);

    connection.send(grpcData(1, echoRequest('one')));
    await connection.next(isResponse(1));
    connection.send(Buffer.concat([grpcHeaders(11, ECHO_PATH), grpcData(11, echoRequest('eleven'))]));
    await connection.next(isResponse(11));
    expect(connection.frames.some(isRst(11))).toBe(false);
  });

  it('closes the connection of a client that acknowledged the stream limit and still exceeds it', async () => {
    const server = await start({ maxConcurrentStreams: 2, requestTimeoutMs: 0 });
    const connection = await open(server, HELLO);
    await connection.next((f) => f.type === FrameType.SETTINGS && (f.flags & 0x1) === 1);
    for (const id of [1, 3, 5]) connection.send(grpcHeaders(id, ECHO_PATH));
    await connection.next(isGoaway);
    await connection.whenClosed();
  });

  it('a gRPC client with more calls than the limit queues them: every call succeeds', async () => {
    const server = await start({ maxConcurrentStreams: 2 });
    const client = cleanup.add(echoClient(server.port), (c) => c.close());
    const calls = Array.from({ length: 6 }, (_, i) => echo(client, `call ${i}`));
    await expect(Promise.all(calls)).resolves.toEqual(Array.from({ length: 6 }, (_, i) => `call ${i}`));
  });

  it('cancels a call whose request message never arrives, after requestTimeoutMs', async () => {
    const server = await start({ requestTimeoutMs: 300 });
    const connection = await open(server, HELLO);
    const sent = Date.now();
    connection.send(grpcHeaders(1, ECHO_PATH)); // headers only: no message, no end of stream
    connection.send(Buffer.concat([grpcHeaders(3, ECHO_PATH), grpcData(3, echoRequest('x'), { endStream: false })])); // no end of stream
    expect(errorCodeOf(await connection.next(isRst(1)))).toBe(ErrorCode.CANCEL);
    expect(errorCodeOf(await connection.next(isRst(3)))).toBe(ErrorCode.CANCEL);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
    // The connection itself stays usable.
    connection.send(Buffer.concat([grpcHeaders(5, ECHO_PATH), grpcData(5, echoRequest('five'))]));
    await connection.next(isResponse(5));
  });

  it('does not cancel a call whose request arrived, however long its handler takes', async () => {
    const server = await start({ requestTimeoutMs: 300 });
    const client = cleanup.add(echoClient(server.port), (c) => c.close());
    const held = echo(client, 'hold');
    await eventually(() => gate.holding === 1, 5_000, () => 'the call never reached the handler');
    // A second call whose request never arrives is cancelled after the same limit, and started later:
    // once it is, the held call's limit has passed too.
    const connection = await open(server, HELLO);
    connection.send(grpcHeaders(1, ECHO_PATH));
    await connection.next(isRst(1));
    gate.release();
    await expect(held).resolves.toBe('hold');
  });

  it('answers PINGs at the allowed rate, and a flood with GOAWAY ENHANCE_YOUR_CALM "too_many_pings", closing the connection', async () => {
    const server = await start({});
    const connection = await open(server, HELLO);
    // No call open and keepalivePermitWithoutCalls false: the first PING is fine, each later one a strike.
    for (let i = 0; i < 3; i++) {
      connection.send(ping(Buffer.from(`ping ${i}  `.slice(0, 8))));
      await connection.next((f) => f.type === FrameType.PING && (f.flags & 0x1) === 1 && f.payload.toString() === `ping ${i}  `.slice(0, 8));
    }
    expect(connection.frames.some(isGoaway)).toBe(false);
    connection.send(ping());
    const goaway = await connection.next(isGoaway);
    expect(errorCodeOf(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(goaway.payload.subarray(8).toString()).toBe('too_many_pings');
    await connection.whenClosed();
  });

  it('takes PINGs at keepaliveMinTimeMs while a call is open, and holds the connection to the stricter rule once it has ended', async () => {
    const server = await start({ keepaliveMinTimeMs: 0, requestTimeoutMs: 0 });
    const connection = await open(server, HELLO);
    // A call whose request is still coming: open for as long as the client wants.
    connection.send(Buffer.concat([grpcHeaders(1, ECHO_PATH), grpcData(1, echoRequest('slow'), { endStream: false })]));
    for (let i = 0; i < 5; i++) {
      connection.send(ping(Buffer.from(`open ${i}  `.slice(0, 8))));
      await connection.next((f) => f.type === FrameType.PING && (f.flags & 0x1) === 1 && f.payload.toString() === `open ${i}  `.slice(0, 8));
    }
    expect(connection.frames.some(isGoaway)).toBe(false);
    // The request ends, the call answers: no call open any more, so each later PING is a strike.
    connection.send(frame(FrameType.DATA, Flag.END_STREAM, 1));
    await connection.next(isResponse(1));
    for (let i = 0; i < 3; i++) connection.send(ping());
    expect(errorCodeOf(await connection.next(isGoaway))).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  it('forgives PINGs when calls start between them', async () => {
    const server = await start({});
    const connection = await open(server, HELLO);
    for (let i = 0; i < 6; i++) {
      const id = 1 + 2 * i;
      connection.send(Buffer.concat([grpcHeaders(id, ECHO_PATH), grpcData(id, echoRequest(`call ${i}`)), ping(), ping()]));
      await connection.next(isResponse(id));
    }
    expect(connection.frames.some(isGoaway)).toBe(false);
  });

  it('closes an idle connection after maxConnectionIdleMs with GOAWAY', async () => {
    const server = await start({ maxConnectionIdleMs: 300 });
    const connection = await open(server, Buffer.concat([HELLO, grpcHeaders(1, ECHO_PATH), grpcData(1, echoRequest('then idle'))]));
    await connection.next(isResponse(1));
    const idleSince = Date.now();
    expect(errorCodeOf(await connection.next(isGoaway))).toBe(ErrorCode.NO_ERROR);
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(250);
    await connection.whenClosed();
  });

  it('closes the socket of a gracefully closed connection whose client never closes its side', async () => {
    const server = await start({ maxConnectionIdleMs: 200 });
    // allowHalfOpen: the client reads the server's FIN and keeps its own side open.
    const connection = await open(server, HELLO, { allowHalfOpen: true });
    await connection.next(isGoaway);
    await connection.until(() => connection.ended, 5_000, 'FIN');
    await eventually(() => server.server.openConnections === 0, 5_000, () => `${server.server.openConnections} connections open`);
  });

  it('sends GOAWAY to a connection older than maxConnectionAgeMs and cuts it after the grace', async () => {
    const server = await start({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 200, requestTimeoutMs: 0 });
    const connection = await open(server, Buffer.concat([HELLO, grpcHeaders(1, ECHO_PATH)])); // a call that never ends
    expect(errorCodeOf(await connection.next(isGoaway))).toBe(ErrorCode.NO_ERROR);
    await connection.whenClosed();
  });

  /** Sends six 3 MB Echo calls back to back; resolves with how each ended: `OK` or the RST_STREAM code. */
  async function sixBigCalls(server: EchoServer): Promise<string[]> {
    const connection = await open(server, Buffer.concat([PREFACE, settings({ [Setting.INITIAL_WINDOW_SIZE]: 2 ** 31 - 1 }), windowUpdate(0, 2 ** 31 - 1 - 65_535)]));
    await connection.next((f) => f.type === FrameType.SETTINGS && (f.flags & 0x1) === 1);
    const big = echoRequest(Buffer.alloc(3_000_000, 0x61));
    const ids = [1, 3, 5, 7, 9, 11];
    for (const id of ids) connection.send(Buffer.concat([grpcHeaders(id, ECHO_PATH), grpcData(id, big)]));
    const outcome = (id: number): string | undefined => {
      const reset = connection.frames.find(isRst(id));
      if (reset) return `RST ${errorCodeOf(reset)}`;
      const trailers = connection.frames.find((f) => f.type === FrameType.HEADERS && f.streamId === id && (f.flags & 0x1) === 1);
      return trailers ? 'OK' : undefined;
    };
    await connection.until(() => ids.every((id) => outcome(id) !== undefined), 20_000, 'an end to every call');
    return ids.map((id) => outcome(id)!);
  }

  it('refuses new streams with ENHANCE_YOUR_CALM while a connection holds more than maxSessionMemoryMb', async () => {
    const outcomes = await sixBigCalls(await start({ maxSessionMemoryMb: 1, requestTimeoutMs: 0 }));
    expect(outcomes).toContain(`RST ${ErrorCode.ENHANCE_YOUR_CALM}`);
    expect(outcomes[0]).toBe('OK');
    // The default (32 MB) takes the same calls.
    await expect(sixBigCalls(await start({ requestTimeoutMs: 0 }))).resolves.toEqual(Array(6).fill('OK'));
  }, 30_000);

  it('keeps serving ordinary clients with the default limits', async () => {
    const server = await start({});
    expect(server.server.limits).toMatchObject({ maxConcurrentStreams: 100, maxSessionMemoryMb: 32, requestTimeoutMs: 10_000 });
    const client = cleanup.add(echoClient(server.port), (c) => c.close());
    await expect(Promise.all(Array.from({ length: 50 }, (_, i) => echo(client, `${i}`)))).resolves.toHaveLength(50);
    // The connection a grpc-js client opens is left alone while it is quiet (the server's probe PING is answered).
    const connection = await open(server, Buffer.concat([HELLO, grpcHeaders(1, ECHO_PATH), grpcData(1, echoRequest('quiet'))]));
    await connection.next(isResponse(1));
    await connection.next((f) => f.type === FrameType.PING && (f.flags & 0x1) === 0, 5_000);
    connection.send(Buffer.concat([grpcHeaders(3, ECHO_PATH), grpcData(3, echoRequest('still here'))]));
    await connection.next(isResponse(3));
    expect(connection.frames.some(isGoaway)).toBe(false);
  });
});

describe('GrpcServer over TLS', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  const TLS_DIR = new URL('./fixtures/tls/', import.meta.url);
  const certificate = readFileSync(new URL('localhost.crt', TLS_DIR));
  const key = readFileSync(new URL('localhost.key', TLS_DIR));

  async function startTls(): Promise<EchoServer> {
    const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: certificate, private_key: key }], false);
    return cleanup.add(await startEchoServer({}, credentials), (s) => s.close());
  }

  it('serves a TLS client', async () => {
    const server = await startTls();
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(ECHO_PROTO)) as unknown as {
      resilience: { test: { v1: { Echo: new (target: string, credentials: grpc.ChannelCredentials, options: object) => EchoClient } } };
    };
    const client = cleanup.add(
      new loaded.resilience.test.v1.Echo(`localhost:${server.port}`, grpc.credentials.createSsl(certificate), {}),
      (c) => c.close(),
    );
    await expect(echo(client, 'over tls')).resolves.toBe('over tls');
  });

  it.each(PROTOCOL_ERRORS)('after %s over TLS the server sends GOAWAY and closes the connection itself', async (_what, bytes, code) => {
    const server = await startTls();
    const connection = cleanup.add(await RawConnection.open(server.port, bytes, { tls: true }), (c) => c.destroy());
    expect(errorCodeOf(await connection.next(isGoaway))).toBe(code);
    // The client never closes its side: only the server can end this, and within 5 s.
    await connection.whenClosed(5_000);
    expect(connection.ended).toBe(true);
    // Closed at once, while Node still holds that session destroyed but not closed: grpc-js' graceful shutdown asks
    // it to close, which a destroyed session never calls back; shutdownTimeoutMs (2 s here) still ends close().
    const closing = Date.now();
    await server.close();
    expect(Date.now() - closing).toBeLessThan(5_000);
  });
});
