import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * HTTP/2 spoken byte by byte over node:net, for clients no HTTP/2 library would be: broken frames,
 * floods, streams that never finish. RFC 9113 (frames), RFC 7541 (HPACK: literals only, no Huffman).
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
export const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9, ENHANCE_YOUR_CALM: 11 } as const;
export const Setting = { INITIAL_WINDOW_SIZE: 4 } as const;

/** A frame as received. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

export function settings(entries: Record<number, number> = {}): Buffer {
  const payload = Buffer.alloc(Object.keys(entries).length * 6);
  Object.entries(entries).forEach(([id, value], i) => {
    payload.writeUInt16BE(Number(id), i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

export const settingsAck = (): Buffer => frame(FrameType.SETTINGS, Flag.ACK, 0);
export const ping = (payload = Buffer.alloc(8)): Buffer => frame(FrameType.PING, 0, 0, payload);

export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

/** An HPACK integer with an `prefixBits`-bit prefix (RFC 7541 §5.1). */
function hpackInteger(value: number, prefixBits: number, firstByte = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const bytes = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** A header block of "literal header field without indexing, new name" entries. */
export function headerBlock(headers: Record<string, string>): Buffer {
  const parts: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    parts.push(0x00, ...hpackInteger(name.length, 7), ...Buffer.from(name, 'latin1'));
    parts.push(...hpackInteger(Buffer.byteLength(value), 7), ...Buffer.from(value, 'utf8'));
  }
  return Buffer.from(parts);
}

/** The request headers of a gRPC call to `path`. */
export function grpcHeaders(streamId: number, path: string, { endStream = false } = {}): Buffer {
  const block = headerBlock({
    ':method': 'POST',
    ':scheme': 'http',
    ':path': path,
    ':authority': 'localhost',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  return frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block);
}

/** HTTP/2's default SETTINGS_MAX_FRAME_SIZE. */
const MAX_FRAME_SIZE = 16_384;

/** A gRPC message (uncompressed, length-prefixed) in DATA frames of the default maximum size. */
export function grpcData(streamId: number, message: Buffer, { endStream = true } = {}): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  const body = Buffer.concat([prefix, message]);
  const frames: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += MAX_FRAME_SIZE) {
    const last = offset + MAX_FRAME_SIZE >= body.length;
    frames.push(frame(FrameType.DATA, last && endStream ? Flag.END_STREAM : 0, streamId, body.subarray(offset, offset + MAX_FRAME_SIZE)));
  }
  return Buffer.concat(frames);
}

export const isGoaway = (received: Frame): boolean => received.type === FrameType.GOAWAY;
export const isRst = (streamId: number) => (received: Frame): boolean => received.type === FrameType.RST_STREAM && received.streamId === streamId;

/**
 * The bytes: the preface, then a SETTINGS frame of length 5 (a multiple of 6 is required), which
 * breaks HTTP/2 at the connection level.
 */
export const BAD_SETTINGS = Buffer.from('505249202a20485454502f322e300d0a0d0a534d0d0a0d0a0000050400000000000000000000', 'hex');

/** The error code of a RST_STREAM or GOAWAY frame. */
export function errorCodeOf(received: Frame): number {
  return received.payload.readUInt32BE(received.type === FrameType.GOAWAY ? 4 : 0);
}

export interface RawConnectionOptions {
  /** Acknowledge the server's SETTINGS and answer its PINGs, as any client must. Default true. */
  answer?: boolean;
  /** Keep the socket open for writing after the server's FIN (a client that never closes). Default false. */
  allowHalfOpen?: boolean;
  /** Over TLS (ALPN `h2`, the server's certificate not checked; `allowHalfOpen` does not apply). Default false: plaintext TCP. */
  tls?: boolean;
}

/**
 * One TCP connection to the server, read continuously (a client that is not what keeps a connection
 * open): the frames received, and when the server ended and closed it.
 */
export class RawConnection {
  readonly frames: Frame[] = [];
  /** Resolves when the socket closed (the server closed it, or {@link destroy}). */
  readonly closed: Promise<void>;
  /** True once the server's FIN arrived. */
  ended = false;
  /** True once the socket closed. */
  isClosed = false;
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(port: number, private readonly options: RawConnectionOptions) {
    this.socket = options.tls
      ? tlsConnect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false, servername: 'localhost' })
      : connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    // A write after the server went away fails; 'close' follows, which is what tests wait for.
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      }),
    );
  }

  /** Connects and sends `bytes` first (the preface, usually). */
  static async open(port: number, bytes: Buffer, options: RawConnectionOptions = {}): Promise<RawConnection> {
    const connection = new RawConnection(port, options);
    await new Promise<void>((resolve, reject) => {
      connection.socket.once(options.tls ? 'secureConnect' : 'connect', resolve);
      connection.socket.once('error', reject);
    });
    connection.send(bytes);
    return connection;
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The first frame received (already or later) that matches; rejects after `timeoutMs` without one. */
  async next(match: (received: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    await this.until(() => this.frames.some(match), timeoutMs, 'a matching frame');
    return this.frames.find(match)!;
  }

  /** Waits until the socket closed; rejects after `timeoutMs`. */
  whenClosed(timeoutMs = 5_000): Promise<void> {
    return this.until(() => this.isClosed, timeoutMs, 'close of the socket');
  }

  /** Waits until `condition()` holds, re-checked on every frame, on the server's FIN and on close. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${this.describe()}`));
      }, timeoutMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** The frames received so far, for failure messages. */
  describe(): string {
    return this.frames.map((f) => `${Object.keys(FrameType).find((k) => FrameType[k as keyof typeof FrameType] === f.type) ?? f.type}(${f.streamId})`).join(' ');
  }

  /** Stops reading (a client that lets the server's output pile up), or reads again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) break;
      const received: Frame = {
        type: this.buffered[3]!,
        flags: this.buffered[4]!,
        streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
        payload: this.buffered.subarray(9, 9 + length),
      };
      this.buffered = this.buffered.subarray(9 + length);
      this.frames.push(received);
      if (this.options.answer ?? true) this.answer(received);
    }
    this.notify();
  }

  private answer(received: Frame): void {
    if (received.type === FrameType.SETTINGS && !(received.flags & Flag.ACK)) this.send(settingsAck());
    if (received.type === FrameType.PING && !(received.flags & Flag.ACK)) this.send(frame(FrameType.PING, Flag.ACK, 0, received.payload));
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }
}
