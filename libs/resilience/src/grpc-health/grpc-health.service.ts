import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { isMalformedRequest } from '../grpc/malformed-request.js';
import { HealthRegistry } from '../health/health.registry.js';
import { GRPC_HEALTH_LIST_LIMIT, GRPC_HEALTH_OPTIONS } from './grpc-health.constants.js';
import { GrpcHealthStatusManager } from './grpc-health-status.manager.js';
import type { ResolvedGrpcHealthOptions } from './grpc-health.options.js';
import type { GrpcHealthSource, GrpcHealthUpdate } from './grpc-health.source.js';
import { grpcHealthServiceDefinition } from './health.descriptor.js';
import { healthRegistrySource, type HealthRegistryView } from './health-registry.source.js';
import { ServingStatus, servingStatusOf } from './serving-status.js';

// gRPC status codes used here (grpc/grpc doc/statuscodes.md); grpc-js itself is not needed at run time.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const RESOURCE_EXHAUSTED = 8;

/** A service name echoed in NOT_FOUND is cut to this many characters: the request may hold one of 200 KiB. */
const ECHOED_NAME_LIMIT = 128;

interface CheckRequest {
  service: string;
}
interface StatusMessage {
  status: ServingStatus;
}
/** What the strict deserializer hands over: the message, or a `MalformedRequest`. */
interface UnaryCall<TRequest> {
  readonly request: TRequest | unknown;
}
interface GrpcError {
  code: number;
  details: string;
}
type UnaryCallback<TResponse> = (error: GrpcError | null, response?: TResponse) => void;
interface WatchCall {
  readonly request: CheckRequest | unknown;
  write(message: StatusMessage): boolean;
  end(): void;
  emit(event: 'error', error: GrpcError): unknown;
  on(event: 'cancelled', listener: () => void): unknown;
}

/** The part of a grpc-js `Server` the health service uses (so `@grpc/grpc-js` types stay out of the API). */
export interface GrpcServerLike {
  addService(service: object, implementation: object): void;
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/**
 * Serves `grpc.health.v1.Health` (Check, Watch, List) from the health state: `""` is the system,
 * `liveness` / `readiness` / `startup` the probe groups, and each component its own name.
 * Register it on the app's gRPC server with `withGrpcHealth()`, or call {@link addToServer}.
 * When the server shuts down (or the app does), every service turns NOT_SERVING for good and
 * open Watch streams receive that and are ended.
 */
@Injectable()
export class GrpcHealthService implements OnModuleInit, OnApplicationShutdown {
  /** The status table; set statuses here to publish services of your own. */
  readonly statuses = new GrpcHealthStatusManager();

  private readonly logger = new Logger(GrpcHealthService.name);
  private readonly watches = new Map<WatchCall, () => void>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(GRPC_HEALTH_OPTIONS) private readonly options: ResolvedGrpcHealthOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.start();
  }

  onApplicationShutdown(): void {
    this.shutdown();
  }

  /**
   * Starts following the source. Idempotent; runs at module init, or earlier when a hybrid app
   * starts its microservices before `init()`.
   */
  start(): void {
    if (this.subscription || this.statuses.isTerminal) return;
    const source = this.resolveSource();
    this.subscription = source.updates$.subscribe({
      next: (update) => this.apply(update),
      error: (error: unknown) => this.logger.error(`health source failed: ${String(error)}`),
    });
    for (const [service, status] of source.current()) this.statuses.setStatus(service, servingStatusOf(status));
  }

  /**
   * Adds the Health service to a grpc-js server, and makes the server's shutdown enter the
   * terminal state first, so Watch streams end and `tryShutdown()` can finish.
   */
  addToServer(server: GrpcServerLike): void {
    this.start();
    server.addService(grpcHealthServiceDefinition(), {
      Check: this.check,
      Watch: this.watch,
      List: this.list,
    });
    const { tryShutdown, forceShutdown } = server;
    // ServerGrpc.close() calls one of these before the app's shutdown hooks in a pure microservice,
    // and an open Watch stream would keep tryShutdown() waiting forever.
    server.tryShutdown = (callback) => {
      this.shutdown();
      tryShutdown.call(server, callback);
    };
    server.forceShutdown = () => {
      this.shutdown();
      forceShutdown.call(server);
    };
  }

  /** Every service NOT_SERVING for good; Watch streams get that update and are ended. Idempotent. */
  shutdown(): void {
    this.subscription?.unsubscribe();
    this.statuses.enterTerminalState();
    for (const [call, stop] of this.watches) {
      stop();
      call.end();
    }
    this.watches.clear();
  }

  private readonly check = (call: UnaryCall<CheckRequest>, callback: UnaryCallback<StatusMessage>): void => {
    if (isMalformedRequest(call.request)) {
      callback(undecodable(call.request.reason));
      return;
    }
    const service = (call.request as CheckRequest).service;
    const status = this.statuses.get(service);
    if (status === undefined) {
      callback({ code: NOT_FOUND, details: `unknown service ${JSON.stringify(echoed(service))}` });
      return;
    }
    callback(null, { status });
  };

  private readonly watch = (call: WatchCall): void => {
    if (isMalformedRequest(call.request)) {
      call.emit('error', undecodable(call.request.reason));
      return;
    }
    const service = (call.request as CheckRequest).service;
    if (this.statuses.isTerminal) {
      call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      call.end();
      return;
    }
    const stop = this.statuses.watch(service, (status) => call.write({ status }));
    this.watches.set(call, stop);
    call.on('cancelled', () => {
      stop();
      this.watches.delete(call);
    });
  };

  private readonly list = (
    call: UnaryCall<unknown>,
    callback: UnaryCallback<{ statuses: Record<string, StatusMessage> }>,
  ): void => {
    if (isMalformedRequest(call.request)) {
      callback(undecodable(call.request.reason));
      return;
    }
    if (this.statuses.size > GRPC_HEALTH_LIST_LIMIT) {
      callback({
        code: RESOURCE_EXHAUSTED,
        details: `${this.statuses.size} services, more than the ${GRPC_HEALTH_LIST_LIMIT} List may return`,
      });
      return;
    }
    const entries = Array.from(this.statuses.entries(), ([service, status]) => [service, { status }] as const);
    callback(null, { statuses: Object.fromEntries(entries) });
  };

  private apply({ service, status }: GrpcHealthUpdate): void {
    if (status === undefined) this.statuses.clearStatus(service);
    else this.statuses.setStatus(service, servingStatusOf(status));
  }

  private resolveSource(): GrpcHealthSource {
    if (this.options.source) return this.options.source;
    return healthRegistrySource(this.findHealthRegistry(), { components: this.options.components });
  }

  private findHealthRegistry(): HealthRegistryView {
    try {
      return this.moduleRef.get(HealthRegistry, { strict: false });
    } catch {
      throw new InvalidOptionError(
        'GrpcHealthModule',
        'source',
        undefined,
        'must be given when the app has no HealthRegistry (import HealthModule, or pass a GrpcHealthSource)',
      );
    }
  }
}

function undecodable(reason: string): GrpcError {
  return { code: INVALID_ARGUMENT, details: `request: could not be decoded (${reason})` };
}

/** The name as echoed back: at most {@link ECHOED_NAME_LIMIT} characters, an ellipsis marking a cut. */
function echoed(name: string): string {
  if (name.length <= ECHOED_NAME_LIMIT) return name;
  // Never split a surrogate pair: grpc-js URI-encodes the message, which throws on a lone surrogate.
  const end = isHighSurrogate(name.charCodeAt(ECHOED_NAME_LIMIT - 1)) ? ECHOED_NAME_LIMIT - 1 : ECHOED_NAME_LIMIT;
  return `${name.slice(0, end)}…`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
