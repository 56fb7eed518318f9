import { describe, expect, it } from '@jest/globals';
import type { ServerInterceptingCallInterface, ServerMethodDefinition, StatusObject } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { grpcMetricsServerInterceptor } from './grpc-metrics.server-interceptor.js';
import { GrpcServerMetrics } from './grpc-server.metrics.js';

/** A call object that does not lead to grpc-js' own (no `notifyOnCancel`, no `nextCall`), as another library might hand over. */
class ForeignCall {
  listener: { onCancel(): void } | undefined;
  readonly sent: number[] = [];

  start(listener: { onCancel(): void }): void {
    this.listener = listener;
  }

  sendStatus(status: StatusObject): void {
    this.sent.push(status.code);
  }
}

const method = { path: '/svc.S/M' } as ServerMethodDefinition<unknown, unknown>;
const listener = () => ({ onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveHalfClose() {}, onCancel() {} });
const status = (code: number): StatusObject => ({ code, details: '', metadata: null as never });

describe('grpcMetricsServerInterceptor, given a call it cannot trace to grpc-js\' own', () => {
  it('observes that call: its status once, or CANCELLED when the client left first, and passes everything on', async () => {
    const registry = new Registry();
    const interceptor = grpcMetricsServerInterceptor(() => metrics);
    const metrics = new GrpcServerMetrics(registry, '', [1]);

    const answered = new ForeignCall();
    const a = interceptor(method, answered as unknown as ServerInterceptingCallInterface);
    a.start(listener());
    a.sendStatus(status(5));
    answered.listener!.onCancel(); // grpc-js also reports the end of a finished call: not a cancellation

    const abandoned = new ForeignCall();
    const b = interceptor(method, abandoned as unknown as ServerInterceptingCallInterface);
    b.start(listener());
    abandoned.listener!.onCancel();
    b.sendStatus(status(0)); // the handler answers after the client left

    expect([answered.sent, abandoned.sent]).toEqual([[5], [0]]);
    const lines = (await registry.metrics()).split('\n').filter((line) => line.startsWith('grpc_server_handled_total{'));
    expect(lines).toEqual([
      'grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="CANCELLED"} 1',
      'grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="NOT_FOUND"} 1',
    ]);
  });
});
