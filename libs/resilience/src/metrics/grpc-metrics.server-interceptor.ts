import type { ServerInterceptor } from '@grpc/grpc-js';
import { loadGrpcJs } from '../grpc/grpc-js.loader.js';
import type { GrpcServerMetrics } from './grpc-server.metrics.js';

const CANCELLED = 1;

/**
 * A grpc-js server interceptor that counts every call with the status code the client receives
 * (`grpc_server_handled_total`, `grpc_server_handling_seconds`): whatever the handler and the exception
 * filters answered, or what grpc-js answered itself (a request over the size limit, a passed deadline).
 * A call the client abandons first is CANCELLED. `metrics()` is read per call; while it returns
 * `undefined` nothing is counted.
 *
 * Put it first in the server's `interceptors`: grpc-js then hands it the call that sends the status, and
 * statuses grpc-js sends on its own are seen too. `withGrpcMetrics()` does this for a Nest gRPC server.
 */
export function grpcMetricsServerInterceptor(metrics: () => GrpcServerMetrics | undefined): ServerInterceptor {
  const { ServerInterceptingCall } = loadGrpcJs();
  return (method, call) => {
    const grpc = metrics();
    if (grpc === undefined) return new ServerInterceptingCall(call);
    const started = performance.now();
    let counted = false;
    const count = (code: number): void => {
      if (counted) return;
      counted = true;
      grpc.record(method.path, code, (performance.now() - started) / 1000);
    };
    // grpc-js sends its own statuses through `call` without passing them up the interceptor chain.
    const sendStatus = call.sendStatus;
    call.sendStatus = (status) => {
      count(status.code);
      sendStatus.call(call, status);
    };
    // Also fires after a status was sent (the call is over); only a call still open is CANCELLED.
    return new ServerInterceptingCall(call, { start: (next) => next({ onCancel: () => count(CANCELLED) }) });
  };
}
