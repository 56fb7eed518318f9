import { Counter, Histogram, type Registry } from 'prom-client';

/** gRPC status code names by number (grpc/grpc doc/statuscodes.md), the `grpc_code` label values. */
export const GRPC_CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

interface MethodSeries {
  readonly service: string;
  readonly method: string;
  readonly duration: Histogram.Internal<'grpc_service' | 'grpc_method'>;
  readonly handled: Counter.Internal[];
}

/**
 * gRPC server metrics, named as in go-grpc-prometheus so existing dashboards apply:
 * - `grpc_server_handled_total{grpc_service,grpc_method,grpc_code}`;
 * - `grpc_server_handling_seconds{grpc_service,grpc_method}` (histogram).
 */
export class GrpcServerMetrics {
  private readonly handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  private readonly handling: Histogram<'grpc_service' | 'grpc_method'>;
  // Label children per method path and code, resolved on first use.
  private readonly methods = new Map<string, MethodSeries>();

  constructor(registry: Registry, prefix: string, buckets: number[]) {
    this.handled = new Counter({
      name: `${prefix}grpc_server_handled_total`,
      help: 'gRPC calls completed on the server, by method and status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      registers: [registry],
    });
    this.handling = new Histogram({
      name: `${prefix}grpc_server_handling_seconds`,
      help: 'Time to handle a gRPC call on the server, until its status.',
      labelNames: ['grpc_service', 'grpc_method'],
      buckets,
      registers: [registry],
    });
  }

  /** Records one finished call. `path` is the gRPC path, `/package.Service/Method`. */
  record(path: string, code: number, seconds: number): void {
    const series = this.seriesOf(path);
    series.duration.observe(seconds);
    (series.handled[code] ??= this.handled.labels(series.service, series.method, GRPC_CODE_NAMES[code] ?? String(code))).inc();
  }

  private seriesOf(path: string): MethodSeries {
    let series = this.methods.get(path);
    if (series === undefined) {
      const slash = path.lastIndexOf('/');
      const service = path.slice(path.startsWith('/') ? 1 : 0, Math.max(slash, 0));
      const method = path.slice(slash + 1);
      series = { service, method, duration: this.handling.labels(service, method), handled: [] };
      this.methods.set(path, series);
    }
    return series;
  }
}
