import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../apps/shared/src/grpc/proto-path.js';

/** How the scripted downstream answers GetQuote. */
export type DownstreamBehaviour = 'answer' | 'fail' | 'hang';

/** One GetQuote call the scripted downstream received. */
export interface ReceivedCall {
  readonly subject: string;
  /** What the call's deadline left when it arrived, in ms (Infinity without one). */
  readonly remainingMs: number;
  /** Resolves when the caller cancels the call (or it ends any other way before an answer). */
  readonly cancelled: Promise<void>;
}

/**
 * A `downstream.v1.QuoteService` on loopback that answers as the test says: a quote, UNAVAILABLE, or
 * never (until the caller gives up). Every call is recorded in `calls`.
 */
export class ScriptedDownstream {
  behaviour: DownstreamBehaviour = 'answer';
  /**
   * What its grpc.health.v1 `Check` answers (any service name); `undefined`: no health service at all
   * (UNIMPLEMENTED, the default, as a downstream without one).
   */
  health: 'SERVING' | 'NOT_SERVING' | undefined = undefined;
  readonly calls: ReceivedCall[] = [];
  private readonly waiting: ((call: ReceivedCall) => void)[] = [];

  private constructor(
    private readonly server: grpc.Server,
    readonly target: string,
  ) {}

  static async start(): Promise<ScriptedDownstream> {
    const pkg = grpc.loadPackageDefinition(loadSync(protoPath('downstream/v1/quotes.proto'), PROTO_LOADER_OPTIONS)) as unknown as {
      downstream: { v1: { QuoteService: { service: grpc.ServiceDefinition } } };
    };
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const downstream = new ScriptedDownstream(server, `127.0.0.1:${port}`);
    server.addService(pkg.downstream.v1.QuoteService.service, {
      GetQuote: (call: grpc.ServerUnaryCall<{ subject: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        downstream.getQuote(call, callback),
    });
    const health = grpc.loadPackageDefinition(loadSync(protoPath('grpc/health/v1/health.proto'), PROTO_LOADER_OPTIONS)) as unknown as {
      grpc: { health: { v1: { Health: { service: grpc.ServiceDefinition } } } };
    };
    server.addService(health.grpc.health.v1.Health.service, {
      Check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        downstream.health === undefined
          ? callback({ code: grpc.status.UNIMPLEMENTED, details: 'no health service' })
          : callback(null, { status: downstream.health }),
      Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
      List: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'no List' }),
    });
    return downstream;
  }

  /** The next call to arrive. */
  nextCall(): Promise<ReceivedCall> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Stops the server, cutting off calls still held. */
  close(): void {
    this.server.forceShutdown();
  }

  private getQuote(call: grpc.ServerUnaryCall<{ subject: string }, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const deadline = call.getDeadline();
    const received: ReceivedCall = {
      subject: call.request.subject,
      remainingMs: (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now(),
      cancelled: new Promise((resolve) => call.once('cancelled', () => resolve())),
    };
    this.calls.push(received);
    this.waiting.shift()?.(received);
    switch (this.behaviour) {
      case 'answer':
        callback(null, { text: `a quote about ${call.request.subject}`, author: 'the scripted downstream' });
        break;
      case 'fail':
        callback({ code: grpc.status.UNAVAILABLE, details: 'scripted failure' });
        break;
      case 'hang':
        // Never answered: the caller must give up (and cancel) on its own.
        break;
    }
  }
}
