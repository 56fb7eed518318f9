import { describe, expect, it } from '@jest/globals';
import { Metadata, type ServerInterceptingCallInterface, type ServerMethodDefinition } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { grpcMetricsServerInterceptor } from './grpc-metrics.server-interceptor.js';
import { GrpcServerMetrics } from './grpc-server.metrics.js';

type Listener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** The next call down the chain, as grpc-js' own call behaves towards an interceptor: records what reaches it. */
class NextCall {
  listener: Listener | undefined;
  deadline: number = Infinity;
  readonly sent: unknown[] = [];
  start(listener: Listener): void {
    this.listener = listener;
  }
  sendMetadata(metadata: Metadata): void {
    this.sent.push(['metadata', metadata]);
  }
  sendMessage(message: unknown, callback: () => void): void {
    this.sent.push(['message', message]);
    callback();
  }
  sendStatus(status: { code: number }): void {
    this.sent.push(['status', status.code]);
  }
  startRead(): void {
    this.sent.push(['read']);
  }
  getDeadline(): number {
    return this.deadline;
  }
  getPeer(): string {
    return 'peer';
  }
}

const method = { path: '/svc.S/M' } as ServerMethodDefinition<unknown, unknown>;
const status = (code: number) => ({ code, details: '', metadata: new Metadata() });

function setup() {
  const registry = new Registry();
  const metrics = new GrpcServerMetrics(registry, '', [1]);
  const interceptor = grpcMetricsServerInterceptor(() => metrics);
  const handled = async () =>
    (await registry.metrics()).split('\n').filter((line) => line.startsWith('grpc_server_handled_total{'));
  return { interceptor, handled };
}

function handler() {
  const events: unknown[] = [];
  const listener: Listener = {
    onReceiveMetadata: (metadata) => events.push(['metadata', metadata]),
    onReceiveMessage: (message) => events.push(['message', message]),
    onReceiveHalfClose: () => events.push(['half-close']),
    onCancel: () => events.push(['cancel']),
  };
  return { events, listener };
}

describe('grpcMetricsServerInterceptor', () => {
  it('passes every operation and event through unchanged, and counts the status once', async () => {
    const { interceptor, handled } = setup();
    const next = new NextCall();
    const call = interceptor(method, next as unknown as ServerInterceptingCallInterface);
    const { events, listener } = handler();
    call.start(listener);
    const incoming = new Metadata();
    next.listener!.onReceiveMetadata(incoming);
    call.startRead();
    next.listener!.onReceiveMessage({ text: 'hi' });
    next.listener!.onReceiveHalfClose();
    const outgoing = new Metadata();
    call.sendMetadata(outgoing);
    let written = false;
    call.sendMessage({ text: 'ho' }, () => (written = true));
    call.sendStatus(status(5));
    next.listener!.onCancel(); // grpc-js also reports the end of a finished call: not a cancellation
    expect(events).toEqual([['metadata', incoming], ['message', { text: 'hi' }], ['half-close'], ['cancel']]);
    expect(next.sent).toEqual([['read'], ['metadata', outgoing], ['message', { text: 'ho' }], ['status', 5]]);
    expect(written).toBe(true);
    expect(call.getPeer()).toBe('peer');
    expect(await handled()).toEqual(['grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="NOT_FOUND"} 1']);
  });

  it('counts a call that ends without a status CANCELLED, or DEADLINE_EXCEEDED once its deadline has passed', async () => {
    const { interceptor, handled } = setup();
    const abandoned = new NextCall();
    const a = interceptor(method, abandoned as unknown as ServerInterceptingCallInterface);
    a.start(handler().listener);
    abandoned.listener!.onCancel();
    a.sendStatus(status(0)); // the handler answers after the client left: still one call, CANCELLED

    const late = new NextCall();
    late.deadline = Date.now() - 1;
    const b = interceptor(method, late as unknown as ServerInterceptingCallInterface);
    b.start(handler().listener);
    late.listener!.onCancel();

    expect(await handled()).toEqual([
      'grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="CANCELLED"} 1',
      'grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="DEADLINE_EXCEEDED"} 1',
    ]);
  });

  it('passes the call on untouched while metrics() returns undefined', () => {
    const next = new NextCall();
    const interceptor = grpcMetricsServerInterceptor(() => undefined);
    expect(interceptor(method, next as unknown as ServerInterceptingCallInterface)).toBe(next);
  });
});
