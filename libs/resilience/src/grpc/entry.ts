// What `@engined/resilience/grpc` loads at run time (its types are index.ts'). The optional peers are checked
// first, so a missing one fails naming the package to install rather than with a resolution error
// from inside dist; then index.ts is loaded (require() of an ES module: synchronous, so this entry
// works from `import` and `require` alike). A new export of index.ts goes in the list below too.
import { createRequire } from 'node:module';
import { assertPeerDependencies, type NoneUnlisted } from '../common/peer-dependencies.js';
import type * as api from './index.js';

assertPeerDependencies('@engined/resilience/grpc', ['@nestjs/microservices', '@grpc/grpc-js', '@grpc/proto-loader']);

export const {
  breakerInterceptor,
  currentIncomingCall,
  GRPC_HEALTH_SERVICE_NAME,
  GRPC_SERVER_LIMIT_DEFAULTS,
  grpcCodeOfError,
  GrpcHealthModule,
  GrpcHealthService,
  GrpcHealthStatusManager,
  grpcRetryOn,
  GrpcServer,
  grpcStatusClassification,
  GrpcStatusClassifier,
  GrpcStatusError,
  grpcStatusKind,
  healthRegistrySource,
  incomingCallOf,
  isMalformedRequest,
  MalformedRequest,
  runInIncomingCall,
  ServingStatus,
  servingStatusOf,
  tolerateMalformedRequests,
  withGrpcHealth,
} = createRequire(import.meta.url)('./index.js') as typeof api;

/** Fails to compile, naming it, when index.ts exports a value not listed above. */
export type EveryExportListed = NoneUnlisted<Exclude<keyof typeof api, keyof typeof import('./entry.js')>>;
