import { InvalidOptionError } from '../common/invalid-option.error.js';
import type { GrpcHealthSource } from './grpc-health.source.js';

/** Options of `GrpcHealthModule.forRoot()` / `forRootAsync()`. */
export interface GrpcHealthModuleOptions {
  /**
   * Where the statuses come from. Default: the library's health registry (`""` = system health,
   * `liveness` / `readiness` / `startup` = probe groups, and every component by name).
   */
  source?: GrpcHealthSource;
  /** With the default source, also publish each component under its own name. Default `true`. */
  components?: boolean;
}

/** Defaults applied; the shape every consumer of the options sees. */
export interface ResolvedGrpcHealthOptions {
  source: GrpcHealthSource | undefined;
  components: boolean;
}

const OWNER = 'GrpcHealthModule';

/** Validates and defaults the options of both `forRoot` and `forRootAsync`. */
export function resolveGrpcHealthOptions(options: GrpcHealthModuleOptions | undefined): ResolvedGrpcHealthOptions {
  const { source, components = true } = options ?? {};
  if (source !== undefined && !isSource(source)) {
    throw new InvalidOptionError(OWNER, 'source', source, 'must have current() and updates$ (a GrpcHealthSource)');
  }
  if (typeof components !== 'boolean') {
    throw new InvalidOptionError(OWNER, 'components', components, 'must be a boolean');
  }
  return { source, components };
}

function isSource(value: unknown): value is GrpcHealthSource {
  const candidate = value as Partial<GrpcHealthSource> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.current === 'function' &&
    typeof candidate.updates$?.subscribe === 'function'
  );
}
