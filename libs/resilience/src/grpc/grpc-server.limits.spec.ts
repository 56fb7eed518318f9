import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { GRPC_SERVER_LIMIT_DEFAULTS, grpcJsLimitOptions, resolveGrpcServerLimits } from './grpc-server.limits.js';

describe('GrpcServer limits', () => {
  it('applies the defaults, and a field given replaces its default only', () => {
    expect(resolveGrpcServerLimits(undefined)).toEqual(GRPC_SERVER_LIMIT_DEFAULTS);
    expect(resolveGrpcServerLimits({ maxConcurrentStreams: 8, keepalivePermitWithoutCalls: true })).toEqual({
      ...GRPC_SERVER_LIMIT_DEFAULTS,
      maxConcurrentStreams: 8,
      keepalivePermitWithoutCalls: true,
    });
  });

  it.each([
    [{ maxConcurrentStreams: 0 }, 'GrpcServer: option "limits.maxConcurrentStreams" must be an integer from 1 to 2147483647, got 0'],
    [{ maxSessionMemoryMb: 0.5 }, 'GrpcServer: option "limits.maxSessionMemoryMb" must be an integer from 1 to 1000000, got 0.5'],
    [{ maxConnectionIdleMs: -1 }, 'GrpcServer: option "limits.maxConnectionIdleMs" must be an integer from 0 to 2147483647, got -1'],
    [{ maxConnectionAgeMs: 2 ** 31 - 1 }, 'GrpcServer: option "limits.maxConnectionAgeMs" must be an integer from 0 to 1952257860, got 2147483647'],
    [{ requestTimeoutMs: '10s' }, 'GrpcServer: option "limits.requestTimeoutMs" must be an integer from 0 to 2147483647, got "10s"'],
    [{ keepalivePermitWithoutCalls: 'yes' }, 'GrpcServer: option "limits.keepalivePermitWithoutCalls" must be a boolean, got "yes"'],
    [null, 'GrpcServer: option "limits" must be an object, got null'],
  ])('refuses %j, naming the option and the value', (limits, message) => {
    expect(() => resolveGrpcServerLimits(limits as never)).toThrow(InvalidOptionError);
    expect(() => resolveGrpcServerLimits(limits as never)).toThrow(message);
  });

  it('hands grpc-js the limits it enforces itself; 0 leaves idle and age unlimited', () => {
    expect(grpcJsLimitOptions(GRPC_SERVER_LIMIT_DEFAULTS)).toEqual({
      'grpc.max_concurrent_streams': 100,
      'grpc-node.max_session_memory': 32,
      'grpc.max_connection_idle_ms': 300_000,
    });
    expect(grpcJsLimitOptions({ ...GRPC_SERVER_LIMIT_DEFAULTS, maxConnectionIdleMs: 0, maxConnectionAgeMs: 60_000 })).toEqual({
      'grpc.max_concurrent_streams': 100,
      'grpc-node.max_session_memory': 32,
      'grpc.max_connection_age_ms': 60_000,
      'grpc.max_connection_age_grace_ms': 30_000,
    });
  });
});
