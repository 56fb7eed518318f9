// Tokens of the gRPC health module. This file imports nothing, so any file may import it without cycles.

/** @internal Injection token of the validated `GrpcHealthModuleOptions`. */
export const GRPC_HEALTH_OPTIONS = 'RESILIENCE:GRPC_HEALTH_OPTIONS';

/** Most services `List` answers with; beyond it the protocol asks for RESOURCE_EXHAUSTED. */
export const GRPC_HEALTH_LIST_LIMIT = 100;
