import { createRequire } from 'node:module';
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { tolerateMalformedRequests } from '../grpc/wire-check.js';

/**
 * `grpc/health/v1/health.proto` (grpc/grpc-proto) as a protobuf.js JSON descriptor. Embedded
 * rather than read from disk so the service works from source, from `dist` and from a bundle
 * alike; `proto/grpc/health/v1/health.proto` holds the same contract for clients, and a test
 * keeps the two in step.
 */
export const GRPC_HEALTH_V1_DESCRIPTOR = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } },
                  },
                },
                HealthListRequest: { fields: {} },
                HealthListResponse: {
                  fields: { statuses: { keyType: 'string', type: 'HealthCheckResponse', id: 1 } },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' },
                    List: { requestType: 'HealthListRequest', responseType: 'HealthListResponse' },
                    Watch: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      responseStream: true,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** Fully qualified name of the health service. */
export const GRPC_HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

type ProtoLoader = typeof import('@grpc/proto-loader');

let definition: ServiceDefinition | undefined;

/**
 * The grpc-js service definition of `grpc.health.v1.Health`, its requests checked strictly on the wire
 * (a request that does not decode reaches the handler as a `MalformedRequest`). `@grpc/proto-loader`
 * is loaded on first use, as `@nestjs/microservices` does, so apps without gRPC never need it installed.
 */
export function grpcHealthServiceDefinition(): ServiceDefinition {
  if (definition) return definition;
  const protoLoader = createRequire(import.meta.url)('@grpc/proto-loader') as ProtoLoader;
  // The literal is a protobuf.js INamespace; protobufjs is not a direct dependency to name the type.
  const descriptor = GRPC_HEALTH_V1_DESCRIPTOR as Parameters<ProtoLoader['fromJSON']>[0];
  const pkg: PackageDefinition = protoLoader.fromJSON(descriptor, {
    keepCase: true,
    defaults: true,
  });
  tolerateMalformedRequests(pkg as unknown as Record<string, unknown>);
  definition = pkg[GRPC_HEALTH_SERVICE_NAME] as ServiceDefinition;
  return definition;
}
