import type { ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import type { GrpcServerMetrics } from './grpc-server.metrics.js';

const CANCELLED = 1;

/**
 * A grpc-js server interceptor that counts every call with the status code the client receives
 * (`grpc_server_handled_total`, `grpc_server_handling_seconds`): whatever the handler and the exception
 * filters answered, or what grpc-js answered itself (a request over the size limit, a passed deadline).
 * A call the client abandons first is CANCELLED. `metrics()` is read per call; while it returns
 * `undefined` nothing is counted.
 *
 * Put it first in the server's `interceptors`: grpc-js then hands it its own call object, which sends
 * every status, so statuses grpc-js sends on its own are seen too. `withGrpcMetrics()` does this for a
 * Nest gRPC server.
 *
 * It adds no interception layer: it returns the call it was given, with `sendStatus` and the listener's
 * `onCancel` observed (a `ServerInterceptingCall` wrapper would relay every metadata, message and status
 * operation of every call through one more object).
 */
export function grpcMetricsServerInterceptor(metrics: () => GrpcServerMetrics | undefined): ServerInterceptor {
  return (method, call) => {
    const grpc = metrics();
    if (grpc !== undefined) observe(call, method.path, grpc);
    // The type asks for a ServerInterceptingCall; grpc-js only uses the call through its interface.
    return call as ServerInterceptingCall;
  };
}

function observe(call: ServerInterceptingCallInterface, path: string, grpc: GrpcServerMetrics): void {
  const started = performance.now();
  let counted = false;
  const count = (code: number): void => {
    if (counted) return;
    counted = true;
    grpc.record(path, code, (performance.now() - started) / 1000);
  };
  const { sendStatus, start } = call;
  call.sendStatus = (status) => {
    count(status.code);
    sendStatus.call(call, status);
  };
  call.start = (listener) => {
    // grpc-js also calls onCancel once the status is sent (the call is over): only a call still open counts.
    const onCancel = listener.onCancel;
    listener.onCancel = () => {
      count(CANCELLED);
      onCancel.call(listener);
    };
    start.call(call, listener);
  };
}
