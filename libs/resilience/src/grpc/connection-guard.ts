import { constants, type Http2SecureServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { type Clock, type TimerHandle, systemClock } from '../common/clock.js';
import type { ResolvedGrpcServerLimits } from './grpc-server.limits.js';
import { PingStrikes } from './ping-strikes.js';

/** How often every connection is looked at. A connection the HTTP/2 layer gave up on is closed within about three of these. */
export const CONNECTION_CHECK_INTERVAL_MS = 500;

/** `#awaitingRequest` is not pruned between checks below this length. */
const MIN_PRUNE = 256;

/** A session that is over gets this long for its peer to close the socket; then the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** GOAWAY debug data grpc clients look for to back off their keepalive (grpc-core, grpc-go, grpc-js). */
const TOO_MANY_PINGS = Buffer.from('too_many_pings');

/** The part of a grpc-js service definition the guard reads. */
type ServiceMethods = Record<string, { path?: unknown; requestStream?: unknown } | undefined>;

/** One HTTP/2 connection as the guard follows it. */
interface Connection {
  readonly session: ServerHttp2Session;
  /** The TCP (or TLS) socket under the session; the session only hands out a proxy that cannot close it. */
  readonly socket: Socket | undefined;
  readonly pings: PingStrikes;
  /** Streams opened since the previous check, and older ones still open then (see {@link hasOpenStreams}). */
  readonly streams: Set<ServerHttp2Stream>;
  /** `socket.bytesRead` at the previous check. */
  lastRead: number;
  /** `socket.bytesRead` when the peer last answered a probe: nothing read since means nothing to verify. */
  verifiedRead: number;
  /** `socket.bytesWritten` when the outstanding probe PING was queued; undefined while none is. */
  probeWritten: number | undefined;
  /** When the session was first seen over with its socket still open. */
  overSince: number | undefined;
}

/**
 * Holds the HTTP/2 connections of a grpc-js server to {@link ResolvedGrpcServerLimits} beyond what
 * grpc-js enforces itself, and closes the connections Node's HTTP/2 layer leaves open:
 *
 * - **Connections after a protocol error.** When a peer breaks HTTP/2 at the connection level (a bad
 *   frame size, garbage HPACK, DATA on an idle stream, ...), nghttp2 queues GOAWAY and wants neither to
 *   read nor to write again; Node (`Http2Session::MaybeStopReading`, src/node_http2.cc) then stops reading
 *   the socket and tells JavaScript nothing: no 'error', no 'close', the socket stays open, and since it is
 *   no longer read even the peer's FIN goes unnoticed. One file descriptor leaks per such connection.
 *   Every {@link CONNECTION_CHECK_INTERVAL_MS}, a connection that read bytes and then went quiet gets one
 *   PING; a session that then has the PING queued, nothing pending on its socket and has written nothing
 *   since has stopped writing for good, and is destroyed. A live connection writes the PING at once (and
 *   its peer's answer marks it verified until it sends something again), so it is never mistaken for one.
 * - **Sockets after a graceful close.** A session closed gracefully (idle timeout, age, shutdown) ends its
 *   socket and waits for the peer to close it too, forever if the peer never does; such a socket is
 *   destroyed {@link CLOSE_GRACE_MS} later.
 * - **PING floods**: gRPC's keepalive enforcement ({@link PingStrikes}), GOAWAY ENHANCE_YOUR_CALM.
 * - **Calls whose request never arrives** ({@link ResolvedGrpcServerLimits.requestTimeoutMs}), cancelled at the
 *   first check after their limit (at most {@link CONNECTION_CHECK_INTERVAL_MS} late).
 *
 * A call costs the guard two collection inserts: no timer and no listener per stream (they were ~5 % of a call's
 * CPU in the sample daemon); the periodic check prunes what has ended.
 *
 * Framework-free; `GrpcServer` hands it every HTTP/2 server grpc-js creates and every service added.
 */
export class ConnectionGuard {
  readonly #connections = new Map<ServerHttp2Session, Connection>();
  readonly #streamingRequestPaths = new Set<string>();
  /** The socket just accepted: the HTTP/2 server creates its session synchronously, before the next one. */
  #accepted: Socket | undefined;
  #timer: TimerHandle | undefined;
  #closed = false;
  /** Calls whose request had not arrived when they started, in start order, with the time it must have by. */
  #awaitingRequest: { stream: ServerHttp2Stream; by: number }[] = [];
  /** `#awaitingRequest`'s length after its last pruning: it is pruned again at twice that (ended calls are not kept for long). */
  #awaitingPruned = 0;

  constructor(
    private readonly limits: ResolvedGrpcServerLimits,
    /** Real time by default: the guard measures the network, not the app's (possibly fake) clock. */
    private readonly clock: Clock = systemClock,
  ) {}

  /** Follows the connections of `server` from now on. */
  watch(server: Http2Server | Http2SecureServer): void {
    // Node creates the session in its own 'connection' ('secureConnection' for TLS) listener.
    const accepted = server instanceof TlsServer ? 'secureConnection' : 'connection';
    server.prependListener(accepted, (socket: Socket) => {
      this.#accepted = socket;
    });
    server.on('session', (session: ServerHttp2Session) => this.#follow(session));
  }

  /** Notes which methods of a service stream their requests: those have no request timeout. */
  addService(service: object): void {
    for (const method of Object.values(service as ServiceMethods)) {
      if (method?.requestStream === true && typeof method.path === 'string') this.#streamingRequestPaths.add(method.path);
    }
  }

  /** Connections followed now (open, or over with their socket not yet closed). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Stops the periodic check. The server's shutdown closes the connections. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connections.clear();
    this.#awaitingRequest = [];
  }

  #follow(session: ServerHttp2Session): void {
    const socket = this.#accepted;
    this.#accepted = undefined;
    const connection: Connection = {
      session,
      socket: socket !== undefined && isSocketOf(session, socket) ? socket : undefined,
      pings: new PingStrikes(
        {
          minTimeMs: this.limits.keepaliveMinTimeMs,
          permitWithoutCalls: this.limits.keepalivePermitWithoutCalls,
          maxStrikes: this.limits.maxPingStrikes,
        },
        this.clock,
      ),
      streams: new Set(),
      lastRead: 0,
      verifiedRead: 0,
      probeWritten: undefined,
      overSince: undefined,
    };
    this.#connections.set(session, connection);
    session.on('close', () => this.#connections.delete(session));
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.#onStream(connection, stream, headers));
    session.on('ping', () => {
      if (connection.pings.ping(hasOpenStreams(connection))) tooManyPings(session);
    });
    this.#schedule();
  }

  #onStream(connection: Connection, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // No more streams can be open than the limit: past it, some in the set have ended (kept no longer than that).
    if (connection.streams.size >= this.limits.maxConcurrentStreams) hasOpenStreams(connection);
    connection.streams.add(stream);
    connection.pings.callStarted();
    const timeoutMs = this.limits.requestTimeoutMs;
    if (timeoutMs > 0 && !stream.endAfterHeaders && !this.#streamingRequestPaths.has(headers[':path'] as string)) {
      const now = this.clock.now();
      this.#awaitingRequest.push({ stream, by: now + timeoutMs });
      if (this.#awaitingRequest.length >= Math.max(2 * this.#awaitingPruned, MIN_PRUNE)) this.#expireRequests(now);
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#connections.size === 0) return;
    this.#timer = this.clock.setTimeout(this.#check, CONNECTION_CHECK_INTERVAL_MS);
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const now = this.clock.now();
    try {
      for (const connection of this.#connections.values()) {
        hasOpenStreams(connection);
        this.#inspect(connection, now);
      }
      this.#expireRequests(now);
    } finally {
      // Whatever one connection threw, the others stay guarded.
      this.#schedule();
    }
  };

  /** Cancels the calls still without their request past their limit; forgets those that have it (or ended). */
  #expireRequests(now: number): void {
    if (this.#awaitingRequest.length === 0) return;
    this.#awaitingRequest = this.#awaitingRequest.filter(({ stream, by }) => {
      if (stream.destroyed || stream.closed || stream.state.remoteClose) return false;
      if (now < by) return true;
      cancelIfIncomplete(stream);
      return false;
    });
    this.#awaitingPruned = this.#awaitingRequest.length;
  }

  #inspect(connection: Connection, now: number): void {
    const { session, socket } = connection;
    if (socket === undefined) return;
    if (socket.destroyed) {
      // Socket gone, session over: forgotten whether or not Node ever emits the session's 'close' (over TLS, after a
      // protocol error, it may not).
      if (session.destroyed) this.#connections.delete(session);
      return;
    }
    if (session.destroyed) {
      connection.overSince ??= now;
      // The next check forgets it (the branch above), 'close' or not.
      if (now - connection.overSince >= CLOSE_GRACE_MS) socket.destroy();
      return;
    }
    if (connection.probeWritten !== undefined) {
      if (hasStoppedWriting(session, socket, connection.probeWritten)) session.destroy();
      return;
    }
    const read = socket.bytesRead;
    if (read !== connection.lastRead) {
      connection.lastRead = read;
      return;
    }
    if (read !== connection.verifiedRead) probe(connection, socket);
  }
}

/** Whether any stream of the connection is open; forgets the ones that have closed. */
function hasOpenStreams(connection: Connection): boolean {
  for (const stream of connection.streams) if (stream.closed || stream.destroyed) connection.streams.delete(stream);
  return connection.streams.size > 0;
}

/** The session's socket proxy reads through to the socket it wraps. */
function isSocketOf(session: ServerHttp2Session, socket: Socket): boolean {
  return session.socket.remotePort === socket.remotePort && session.socket.remoteAddress === socket.remoteAddress;
}

/** Sends one PING; its answer marks the connection verified up to the bytes read by then. */
function probe(connection: Connection, socket: Socket): void {
  connection.probeWritten = socket.bytesWritten;
  let queued = false;
  try {
    queued = connection.session.ping((error) => {
      if (error) return;
      connection.probeWritten = undefined;
      connection.lastRead = connection.verifiedRead = socket.bytesRead;
    });
  } catch {
    // The session closed meanwhile: the next check sees it.
  }
  // Too many PINGs outstanding (keepalive's own): probe again at the next check.
  if (!queued) connection.probeWritten = undefined;
}

/**
 * True when the session holds a PING it has not written for a whole check interval although its socket
 * has nothing pending: nghttp2 has terminated the session. A slow reader instead has bytes pending on the
 * socket, and a live session writes a PING within one turn of the event loop.
 */
function hasStoppedWriting(session: ServerHttp2Session, socket: Socket, writtenAtProbe: number): boolean {
  // Bytes libuv still holds for the kernel: Node exposes them only on the socket's handle.
  // oxlint-disable-next-line no-underscore-dangle -- no public property tells a slow reader from a dead session
  const pending = (socket as Socket & { _handle?: { writeQueueSize?: unknown } })._handle?.writeQueueSize;
  // Without a libuv handle to ask (a stream that is not a plain socket), a slow reader cannot be told apart.
  if (typeof pending !== 'number') return false;
  return pending === 0 && socket.writableLength === 0 && socket.bytesWritten === writtenAtProbe && (session.state.outboundQueueSize ?? 0) > 0;
}

/** Keepalive enforcement: GOAWAY ENHANCE_YOUR_CALM `too_many_pings`, then the connection is closed. */
function tooManyPings(session: ServerHttp2Session): void {
  if (session.destroyed) return;
  session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, TOO_MANY_PINGS);
  // With an Error, not undefined: `destroy(undefined, code)` sends NO_ERROR (the first parameter's default wins).
  session.destroy(new Error('too many pings'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
}

/** The request timeout: a call whose client has not finished sending its request is cancelled. */
function cancelIfIncomplete(stream: ServerHttp2Stream): void {
  if (stream.destroyed || stream.closed || stream.state.remoteClose) return;
  stream.close(constants.NGHTTP2_CANCEL);
}
