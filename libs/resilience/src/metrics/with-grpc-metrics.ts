import type { INestApplicationContext } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import type { AppReference } from '../grpc-health/with-grpc-health.js';
import { grpcMetricsServerInterceptor } from './grpc-metrics.server-interceptor.js';
import type { GrpcServerMetrics } from './grpc-server.metrics.js';
import { MetricsService } from './metrics.service.js';

type ServerOptions = GrpcOptions['options'];

/**
 * Counts the app's gRPC calls at the grpc-js level, so `grpc_code` is the status the client receives
 * (see {@link grpcMetricsServerInterceptor}, on grpc-js' public interceptor API): returns the options with
 * that server interceptor first in `channelOptions.interceptors` (innermost, so it sees the status your own
 * interceptors settle on) and an `onLoadPackageDefinition` hook (yours still runs first) that
 * connects it to the app's `MetricsService` when the server starts. `GrpcMetricsInterceptor` then stands
 * aside, so no call is counted twice. Takes `GrpcOptions` or the bare `options`, like `withGrpcHealth`:
 *
 * ```ts
 * app.connectMicroservice(withGrpcMetrics(app, withGrpcHealth(app, grpcOptions)), { inheritAppConfig: true });
 * ```
 */
export function withGrpcMetrics<T extends GrpcOptions>(app: AppReference, grpcOptions: T): T;
export function withGrpcMetrics<T extends ServerOptions>(app: AppReference, serverOptions: T): T;
export function withGrpcMetrics(app: AppReference, options: GrpcOptions | ServerOptions): GrpcOptions | ServerOptions {
  if ('transport' in options && 'options' in options) return { ...options, options: addMetricsInterceptor(app, options.options) };
  return addMetricsInterceptor(app, options as ServerOptions);
}

function addMetricsInterceptor<T extends ServerOptions>(app: AppReference, options: T): T {
  let metrics: GrpcServerMetrics | undefined;
  const userHook = options.onLoadPackageDefinition;
  const interceptors: unknown[] = options.channelOptions?.interceptors ?? [];
  return {
    ...options,
    channelOptions: { ...options.channelOptions, interceptors: [grpcMetricsServerInterceptor(() => metrics), ...interceptors] },
    onLoadPackageDefinition: (pkg: unknown, server: unknown) => {
      userHook?.(pkg, server);
      metrics = metricsServiceOf(typeof app === 'function' ? app() : app).countGrpcAtServer();
    },
  };
}

function metricsServiceOf(context: INestApplicationContext): MetricsService {
  try {
    return context.get(MetricsService, { strict: false });
  } catch {
    // Nest logs this message, then fails the server's start with a generic proto error.
    throw new Error('withGrpcMetrics: the app has no MetricsService; import MetricsModule.forRoot() in its module');
  }
}
