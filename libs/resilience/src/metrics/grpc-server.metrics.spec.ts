import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { DEFAULT_GRPC_BUCKETS } from './metrics.constants.js';
import { GrpcServerMetrics } from './grpc-server.metrics.js';

/** The same calls, recorded by prom-client's own Counter and Histogram: the exposition ours must match. */
function promClientReference(registry: Registry<RegistryContentType>, calls: readonly [string, string, number, number][]): void {
  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'gRPC calls completed on the server, by method and status code.',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
    registers: [registry],
  });
  const handling = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time to handle a gRPC call on the server, until its status.',
    labelNames: ['grpc_service', 'grpc_method'],
    buckets: [...DEFAULT_GRPC_BUCKETS],
    registers: [registry],
  });
  for (const [service, method, code, seconds] of calls) {
    handling.observe({ grpc_service: service, grpc_method: method }, seconds);
    handled.inc({ grpc_service: service, grpc_method: method, grpc_code: code === 0 ? 'OK' : code === 5 ? 'NOT_FOUND' : String(code) });
  }
}

const calls: [string, string, number, number][] = [
  ['engined.v1.RecordService', 'GetRecord', 0, 0.0004],
  ['engined.v1.RecordService', 'GetRecord', 0, 0.0005], // on a bound: counted in that bucket (le is inclusive)
  ['engined.v1.RecordService', 'GetRecord', 5, 0.003],
  ['engined.v1.RecordService', 'CreateRecord', 0, 12], // above every bound: +Inf only
  ['grpc.health.v1.Health', 'Check', 0, 0.02],
];

describe('GrpcServerMetrics', () => {
  it.each([Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE])(
    'exposes exactly what prom-client\'s own Counter and Histogram would (%s)',
    async (contentType) => {
      const ours = new Registry<RegistryContentType>();
      ours.setContentType(contentType);
      const metrics = new GrpcServerMetrics(ours as Registry, '', DEFAULT_GRPC_BUCKETS);
      for (const [service, method, code, seconds] of calls) metrics.record(`/${service}/${method}`, code, seconds);
      const reference = new Registry<RegistryContentType>();
      reference.setContentType(contentType);
      promClientReference(reference, calls);
      expect(await ours.metrics()).toBe(await reference.metrics());
      // prom-client adds `exemplar: null` to its histogram buckets; exemplars are not recorded here.
      const withoutExemplars = JSON.parse(JSON.stringify(await reference.getMetricsAsJSON(), (key, value: unknown) => (key === 'exemplar' ? undefined : value)));
      expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars);
    },
  );

  it('names a code outside 0–16 by its number, and forgets everything on resetMetrics()', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, 'app_', DEFAULT_GRPC_BUCKETS);
    metrics.record('/svc.S/M', 99, 0.001);
    expect(await registry.metrics()).toContain('app_grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="99"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('grpc_method="M"');
  });

  it('resets each metric on its own, as prom-client\'s do', async () => {
    const registry = new Registry();
    const metrics = new GrpcServerMetrics(registry, '', DEFAULT_GRPC_BUCKETS);
    metrics.record('/svc.S/M', 0, 0.001);
    registry.getSingleMetric('grpc_server_handled_total')!.reset();
    const text = await registry.metrics();
    expect(text).not.toContain('grpc_server_handled_total{');
    expect(text).toContain('grpc_server_handling_seconds_count{grpc_service="svc.S",grpc_method="M"} 1');
    metrics.record('/svc.S/M', 5, 0.001);
    expect(await registry.metrics()).toContain('grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="NOT_FOUND"} 1');
  });

  it('refuses a registry that already has a metric of its name, as prom-client\'s metrics do, and keeps the first', async () => {
    const registry = new Registry();
    const first = new GrpcServerMetrics(registry, '', DEFAULT_GRPC_BUCKETS);
    expect(() => new GrpcServerMetrics(registry, '', DEFAULT_GRPC_BUCKETS)).toThrow(
      'A metric with the name grpc_server_handled_total has already been registered.',
    );
    first.record('/svc.S/M', 0, 0.001);
    expect(await registry.metrics()).toContain('grpc_server_handled_total{grpc_service="svc.S",grpc_method="M",grpc_code="OK"} 1');
  });
});
