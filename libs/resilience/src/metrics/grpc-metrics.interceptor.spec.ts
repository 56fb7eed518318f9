import { describe, expect, it } from '@jest/globals';
import { GrpcNotFoundException, GrpcUnavailableException, RpcException } from '@nestjs/microservices';
import { CircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { CircuitBreakerTimeoutError } from '../breaker/errors/circuit-breaker-timeout.error.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { grpcCodeOf } from './grpc-metrics.interceptor.js';

describe('grpcCodeOf', () => {
  it('reads the code the exception filters would send', () => {
    expect(grpcCodeOf(new GrpcNotFoundException())).toBe(5);
    expect(grpcCodeOf(new GrpcUnavailableException())).toBe(14);
    expect(grpcCodeOf(new RpcException({ code: 7, message: 'no' }))).toBe(7);
    expect(grpcCodeOf(new RpcException({ status: 3, message: 'bad' }))).toBe(3);
  });

  it('maps open-circuit and timeout errors as BreakerExceptionFilter does', () => {
    expect(grpcCodeOf(new CircuitBreakerOpenError('db', CircuitState.OPEN, 100))).toBe(14);
    expect(grpcCodeOf(new CircuitBreakerTimeoutError('db', 50))).toBe(4);
  });

  it('falls back to UNKNOWN like Nest does for anything else', () => {
    expect(grpcCodeOf(new Error('boom'))).toBe(2);
    expect(grpcCodeOf(Object.assign(new Error('downstream'), { code: 14 }))).toBe(2);
    expect(grpcCodeOf(new RpcException('text only'))).toBe(2);
    expect(grpcCodeOf(new RpcException({ code: 99 }))).toBe(2);
    expect(grpcCodeOf(undefined)).toBe(2);
  });
});
