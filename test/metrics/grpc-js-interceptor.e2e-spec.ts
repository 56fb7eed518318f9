import { afterEach, describe, expect, it } from '@jest/globals';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { GrpcServerMetrics, grpcMetricsServerInterceptor } from '@engined/resilience/metrics';
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

/**
 * A plain grpc-js server (no Nest) answering Ping: "missing" → NOT_FOUND, "hang" → never, anything else → OK.
 * Requests over 64 bytes are refused by grpc-js.
 */
async function pingServer(interceptors: grpc.ServerInterceptor[]) {
  const server = new grpc.Server({ interceptors, 'grpc.max_receive_message_length': 64 });
  server.addService(loaded.engined.test.v1.Ping.service, {
    Ping: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (call.request.text === 'hang') return;
      if (call.request.text === 'missing') callback({ code: grpc.status.NOT_FOUND, details: 'no' });
      else callback(null, { text: call.request.text });
    },
  });
  const address = await bindLoopback(server);
  const client = new loaded.engined.test.v1.Ping(address, grpc.credentials.createInsecure()) as unknown as PingClient;
  closers.push(() => {
    client.close();
    server.forceShutdown();
  });
  const ping = (text: string, timeoutMs = 5_000) =>
    new Promise<number>((resolve) =>
      client.Ping({ text }, { deadline: Date.now() + timeoutMs }, (error) => resolve(error ? error.code : grpc.status.OK)),
    );
  return { ping, address };
}

/**
 * One unary Ping over a bare HTTP/2 stream with `grpc-timeout`, which never cancels: resolves with the
 * `grpc-status` the server sends.
 */
function rawPing(address: string, text: string, timeout: string): Promise<string | undefined> {
  const session = http2.connect(`http://${address}`);
  const bytes = Buffer.from(text, 'utf8');
  const message = Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]); // PingRequest { text } (field 1, short)
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
  return new Promise<string | undefined>((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/engined.test.v1.Ping/Ping',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': timeout,
    });
    let code: string | undefined;
    const take = (headers: http2.IncomingHttpHeaders) => (code ??= headers['grpc-status'] as string | undefined);
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('error', reject);
    stream.on('close', () => resolve(code));
    stream.resume();
    stream.end(frame);
  }).finally(() => session.close());
}

/** An interceptor that wraps the call, as many do, and answers PERMISSION_DENIED where the handler said NOT_FOUND. */
const wrapping: grpc.ServerInterceptor = (_method, call) =>
  new grpc.ServerInterceptingCall(call, {
    sendStatus: (status, next) => next(status.code === grpc.status.NOT_FOUND ? { ...status, code: grpc.status.PERMISSION_DENIED } : status),
  });

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

  it('placed first, counts the status the client receives, a rewrite by an interceptor after it included', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const { ping } = await pingServer([grpcMetricsServerInterceptor(() => metrics), wrapping]);

    expect(await ping('a')).toBe(grpc.status.OK);
    expect(await ping('missing')).toBe(grpc.status.PERMISSION_DENIED); // rewritten by the wrapper

    expect(await handled(registry)).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="OK"} 1',
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="PERMISSION_DENIED"} 1',
    ]);
  });

  it('placed after an interceptor that rewrites statuses, counts the status before the rewrite', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const { ping } = await pingServer([wrapping, grpcMetricsServerInterceptor(() => metrics)]);
    expect(await ping('missing')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await handled(registry)).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="NOT_FOUND"} 1',
    ]);
  });

  it('counts a call grpc-js ends at its deadline DEADLINE_EXCEEDED, as the client sees it', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const { address } = await pingServer([grpcMetricsServerInterceptor(() => metrics)]);
    // A client that waits for the server's answer instead of giving up at its own deadline (a grpc-js client
    // cancels then, and the server's copy of the deadline, started on arrival, may be later on a busy machine).
    expect(await rawPing(address, 'hang', '100m')).toBe(String(grpc.status.DEADLINE_EXCEEDED));
    expect(await handled(registry)).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="DEADLINE_EXCEEDED"} 1',
    ]);
  });

  it('sees a request grpc-js refuses by itself only as a call that ended: CANCELLED, where the client sees RESOURCE_EXHAUSTED', async () => {
    // grpc-js sends that status from its own call, below every interceptor: the public interceptor API only
    // tells the interceptor that the call is over. See the README, "How grpc_code is derived".
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', [0.1, 1]);
    const { ping } = await pingServer([grpcMetricsServerInterceptor(() => metrics)]);
    expect(await ping('x'.repeat(100))).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const counted = await until(async () => (await handled(registry)).length > 0 && (await handled(registry)));
    expect(counted).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="CANCELLED"} 1',
    ]);
  });

  it('lets two metrics interceptors on one server both count every call, each with the status at its place', async () => {
    const first = new Registry();
    const second = new Registry();
    const a = new GrpcServerMetrics(first, '', [0.1, 1]);
    const b = new GrpcServerMetrics(second, '', [0.1, 1]);
    const { ping } = await pingServer([grpcMetricsServerInterceptor(() => a), wrapping, grpcMetricsServerInterceptor(() => b)]);
    expect(await ping('a')).toBe(grpc.status.OK);
    expect(await ping('missing')).toBe(grpc.status.PERMISSION_DENIED);
    const [inner, outer] = [await handled(first), await handled(second)];
    expect(inner).toEqual([
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="OK"} 1',
      'grpc_server_handled_total{grpc_service="engined.test.v1.Ping",grpc_method="Ping",grpc_code="PERMISSION_DENIED"} 1',
    ]);
    expect(outer).toEqual([
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

/** Polls `condition` until it returns a truthy value (a real server answers in its own time), for at most 5 s. */
async function until<T>(condition: () => Promise<T | false>): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await condition();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
