import type { INestApplicationContext } from '@nestjs/common';
import type { GrpcOptions } from '@nestjs/microservices';
import { GrpcHealthService, type GrpcServerLike } from './grpc-health.service.js';

/** The app, or a function returning it (for `NestFactory.createMicroservice`, where the app does not exist yet). */
export type AppReference = INestApplicationContext | (() => INestApplicationContext);

type ServerOptions = GrpcOptions['options'];

/**
 * Adds `grpc.health.v1.Health` to the app's gRPC server: returns the options with an
 * `onLoadPackageDefinition` hook (yours still runs first) that registers the app's
 * {@link GrpcHealthService} on the same grpc-js server. Nothing to add to `protoPath` or
 * `package`: the health proto is embedded. Takes `GrpcOptions` (`{ transport, options }`) or
 * the bare `options` (for a custom `ServerGrpc` strategy).
 *
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.connectMicroservice(withGrpcHealth(app, grpcOptions));
 * // pure microservice: the app exists only once created, and the hook runs later, at listen time
 * const ms = await NestFactory.createMicroservice(AppModule, withGrpcHealth(() => ms, grpcOptions));
 * // custom strategy
 * app.connectMicroservice({ strategy: new MyServerGrpc(withGrpcHealth(app, serverOptions)) });
 * ```
 */
export function withGrpcHealth<T extends GrpcOptions>(app: AppReference, grpcOptions: T): T;
export function withGrpcHealth<T extends ServerOptions>(app: AppReference, serverOptions: T): T;
export function withGrpcHealth(app: AppReference, options: GrpcOptions | ServerOptions): GrpcOptions | ServerOptions {
  if ('transport' in options && 'options' in options) return { ...options, options: addHealthHook(app, options.options) };
  return addHealthHook(app, options as ServerOptions);
}

function addHealthHook<T extends ServerOptions>(app: AppReference, options: T): T {
  const userHook = options.onLoadPackageDefinition;
  return {
    ...options,
    onLoadPackageDefinition: (pkg: unknown, server: GrpcServerLike) => {
      userHook?.(pkg, server);
      const context = typeof app === 'function' ? app() : app;
      context.get(GrpcHealthService, { strict: false }).addToServer(server);
    },
  };
}
