import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import type { GrpcServerMetrics } from './grpc-server.metrics.js';

/** The listener a call is started with (grpc-js names it `InterceptingServerListener` but does not export it). */
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];
/** What `sendStatus` takes (grpc-js' `PartialStatusObject`, not exported either). */
type SentStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];

const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;
/**
 * A client that gives up at its own deadline sends its cancellation then; it reaches the server about when
 * the server's copy of the deadline (the request's `grpc-timeout`, started on arrival) passes, either side.
 */
const DEADLINE_SLACK_MS = 20;

/**
 * A grpc-js server interceptor that counts every call with its status code (`grpc_server_handled_total`,
 * `grpc_server_handling_seconds`), on grpc-js' public server-interceptor API only (grpc-js ≥ 1.10): what it
 * returns is a `ServerInterceptingCallInterface` wrapping the call it is given. `metrics()` is read per call;
 * while it returns `undefined` the call is passed on untouched and nothing is counted.
 *
 * Put it first in the server's `interceptors` (`withGrpcMetrics()` does this for a Nest gRPC server): it then
 * wraps grpc-js' own call, and every status sent through the interceptor chain reaches it last, so it counts
 * the one the client receives, whatever answered (the handler, an exception filter, another interceptor).
 * Placed after an interceptor that rewrites statuses, it counts the status before the rewrite.
 *
 * A call that ends without a status passing through it is counted DEADLINE_EXCEEDED when its deadline has
 * passed, or is less than 20 ms away (grpc-js' deadline timer, or the client's; a server that read the request
 * late has a later copy of the deadline, so a client giving up at its own may count CANCELLED), else CANCELLED: the client
 * gave up first, or grpc-js ended the call by itself, which it does below every interceptor, so the public
 * API does not show the code. Those are an over-size request or response (the client sees
 * RESOURCE_EXHAUSTED), and a request that cannot be decompressed or decoded, a response that cannot be
 * serialised, or a malformed `grpc-timeout` (INTERNAL, or UNIMPLEMENTED for an unknown compression).
 *
 * Per call it allocates one object and no closure: the wrapper relays each operation straight to the call it
 * wraps and is itself the listener it hands down. A `ServerInterceptingCall` with a `Responder` and a
 * `ServerListener` would relay every operation through a callback, and keep a responder record besides.
 */
export function grpcMetricsServerInterceptor(metrics: () => GrpcServerMetrics | undefined): ServerInterceptor {
  return (method, call) => {
    const grpc = metrics();
    // The type names the ServerInterceptingCall class; grpc-js composes interceptors through its interface.
    return (grpc === undefined ? call : new CountedServerCall(call, grpc, method.path)) as ServerInterceptingCall;
  };
}

/**
 * One counted call: every operation goes straight to the next call, which it listens to itself, passing each
 * event on to the listener it was started with. It implements grpc-js' exported interface rather than
 * extending `ServerInterceptingCall`, so the metrics entry loads no grpc-js; a grpc-js release that adds a
 * method to the interface makes this class fail to compile until it relays that method too.
 */
class CountedServerCall implements ServerInterceptingCallInterface, InterceptingServerListener {
  private readonly started = performance.now();
  private open = true;
  private downstream: InterceptingServerListener | undefined;

  constructor(
    private readonly next: ServerInterceptingCallInterface,
    private readonly metrics: GrpcServerMetrics,
    private readonly path: string,
  ) {}

  start(listener: InterceptingServerListener): void {
    this.downstream = listener;
    this.next.start(this);
  }

  sendMetadata(metadata: Metadata): void {
    this.next.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    this.next.sendMessage(message, callback);
  }

  sendStatus(status: SentStatus): void {
    this.close(status.code);
    this.next.sendStatus(status);
  }

  startRead(): void {
    this.next.startRead();
  }

  getPeer(): string {
    return this.next.getPeer();
  }

  getDeadline(): ReturnType<ServerInterceptingCallInterface['getDeadline']> {
    return this.next.getDeadline();
  }

  getHost(): string {
    return this.next.getHost();
  }

  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return this.next.getAuthContext();
  }

  getConnectionInfo(): ReturnType<ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.next.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.next.getMetricsRecorder();
  }

  onReceiveMetadata(metadata: Metadata): void {
    this.downstream!.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.downstream!.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.downstream!.onReceiveHalfClose();
  }

  /** grpc-js reports the end of every call here, after a status too: only a call still open is counted. */
  onCancel(): void {
    if (this.open) this.close(deadlinePassed(this.next.getDeadline()) ? DEADLINE_EXCEEDED : CANCELLED);
    this.downstream?.onCancel();
  }

  private close(code: number): void {
    if (!this.open) return;
    this.open = false;
    this.metrics.record(this.path, code, (performance.now() - this.started) / 1000);
  }
}

function deadlinePassed(deadline: Date | number): boolean {
  const at = typeof deadline === 'number' ? deadline : deadline.getTime();
  return Number.isFinite(at) && Date.now() >= at - DEADLINE_SLACK_MS;
}
