import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { GrpcServerMetrics, grpcMetricsServerInterceptor } from '@engined/resilience';
import { bindLoopback, PING_PROTO_PATH } from '../grpc-health/health-client.js';

type PingClient = grpc.Client & {
  Ping(request: { text: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
};

const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PING_PROTO_PATH)) as unknown as {
  engined: { test: { v1: { Ping: grpc.ServiceClientConstructor } } };
};
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A plain grpc-js server (no Nest) answering Ping: "missing" → NOT_FOUND, anything else → OK. */
async function pingServer(interceptors: grpc.ServerInterceptor[]) {
  const server = new grpc.Server({ interceptors });
  server.addService(loaded.engined.test.v1.Ping.service, {
    Ping: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      call.request.text === 'missing' ? callback({ code: grpc.status.NOT_FOUND, details: 'no' }) : callback(null, { text: call.request.text }),
  });
  const address = await bindLoopback(server);
  const client = new loaded.engined.test.v1.Ping(address, grpc.credentials.createInsecure()) as unknown as PingClient;
  closers.push(() => {
    client.close();
    server.forceShutdown();
  });
  const ping = (text: string) =>
    new Promise<number>((resolve) => client.Ping({ text }, { deadline: Date.now() + 5_000 }, (error) => resolve(error ? error.code : grpc.status.OK)));
  return { ping };
}

/** An interceptor that wraps the call, as many do: the metrics interceptor after it gets a wrapper, not grpc-js' own call. */
const wrapping: grpc.ServerInterceptor = (_method, call) => new grpc.ServerInterceptingCall(call);

async function handled(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith('grpc_server_handled_total{'));
}

describe('grpcMetricsServerInterceptor on a plain grpc-js server', () => {
  it('counts every call when it is first, and leaves a server without it in the same process alone', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const counted = await pingServer([grpcMetricsServerInterceptor(() => metrics)]);
    const other = await pingServer([]);

    expect(await counted.ping('a')).toBe(grpc.status.OK);
    expect(await counted.ping('missing')).toBe(grpc.status.NOT_FOUND);
    expect(await other.ping('b')).toBe(grpc.status.OK);
    expect(await other.ping('missing')).toBe(grpc.status.NOT_FOUND);
    expect(await counted.ping('c')).toBe(grpc.status.OK);

    expect(await handled(registry)).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="OK"} 2',
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="NOT_FOUND"} 1',
    ]);
  });

  it('still counts each call once when another interceptor comes first (it then observes that call alone)', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const { ping } = await pingServer([wrapping, grpcMetricsServerInterceptor(() => metrics)]);

    expect(await ping('a')).toBe(grpc.status.OK);
    expect(await ping('missing')).toBe(grpc.status.NOT_FOUND);

    expect(await handled(registry)).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="OK"} 1',
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="NOT_FOUND"} 1',
    ]);
  });

  it('counts nothing while metrics() returns undefined', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    let enabled = false;
    const { ping } = await pingServer([grpcMetricsServerInterceptor(() => (enabled ? metrics : undefined))]);
    expect(await ping('a')).toBe(grpc.status.OK);
    enabled = true;
    expect(await ping('b')).toBe(grpc.status.OK);
    expect(await handled(registry)).toEqual(['grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="OK"} 1']);
  });
});
