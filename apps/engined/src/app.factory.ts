import type { AddressInfo } from 'node:net';
import { type INestApplication, Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { BreakerExceptionFilter, type Clock, RESILIENCE_CLOCK } from '@engined/resilience';
import { GrpcServer, withGrpcHealth } from '@engined/resilience/grpc';
import { withGrpcMetrics } from '@engined/resilience/metrics';
import { AppModule, type AppModuleOptions } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule, type ConfigSource } from './config/app-config.module.js';
import { GrpcErrorFilter } from './grpc/grpc-error.filter.js';
import { formatHost } from '../../shared/src/grpc/format-host.js';
import { grpcServerOptions } from './grpc/grpc-server.options.js';
import { createLogger } from '../../shared/src/logging/create-logger.js';

/** Where the settings come from, plus what only code can pass (a test clock). */
export type CreateAppOptions = ConfigSource & Pick<AppModuleOptions, 'clock'>;

/** A running daemon. */
export interface EnginedApp {
  readonly app: INestApplication;
  readonly config: AppConfig;
  /** The bound ports (differ from the config when it asked for port 0). */
  readonly grpcPort: number;
  readonly httpPort: number;
  /** `host:port` a client on this machine dials for the gRPC API. */
  readonly grpcTarget: string;
  /** `http://host:port` of the HTTP side (health, metrics, the admin API when ADMIN_TOKEN is set). */
  readonly httpUrl: string;
  /** Shuts down as for `signal` (e.g. `'SIGTERM'`: with the drain delay), or at once without one. */
  close(signal?: string): Promise<void>;
}

/**
 * Validates the configuration and starts the whole daemon: database (embedded unless
 * DATABASE_URL is set), downstream (in-process unless DOWNSTREAM_URL is set), the gRPC
 * server and the HTTP server. `main.ts` calls it with the defaults; tests pass ports 0
 * and `useProcessEnv: false`.
 *
 * @throws ConfigValidationError when a setting is invalid, before anything starts.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<EnginedApp> {
  const { clock, ...source } = options;
  const { module: configModule, config } = await AppConfigModule.forRoot(source);
  const app = await NestFactory.create(AppModule.forRoot(configModule, { clock, adminToken: config.admin.token }), {
    logger: createLogger(config.log),
    abortOnError: false,
  });
  try {
    // Filters must be in place before the microservice is connected: its handlers capture them then.
    // The last one registered is tried first: breaker errors, then everything else.
    app.useGlobalFilters(
      new GrpcErrorFilter(app.getHttpAdapter(), app.get<Clock>(RESILIENCE_CLOCK)),
      new BreakerExceptionFilter(app.get(HttpAdapterHost)),
    );
    // grpc.health.v1 on the API port; every call counted with the status the client receives.
    const grpc = new GrpcServer(withGrpcMetrics(app, withGrpcHealth(app, { ...grpcServerOptions(config), clock })));
    app.connectMicroservice({ strategy: grpc }, { inheritAppConfig: true });
    await app.init();
    await app.startAllMicroservices();
    await app.listen(config.http.port, config.http.host);
    const httpPort = (app.getHttpServer().address() as AddressInfo).port;
    const grpcTarget = `${dialHost(config.grpc.host)}:${grpc.port}`;
    const httpUrl = `http://${dialHost(config.http.host)}:${httpPort}`;
    const admin = config.admin.token === undefined ? '' : ' (admin API at /resilience)';
    new Logger('EnginedApp').log(`gRPC API on ${formatHost(config.grpc.host)}:${grpc.port}, HTTP on ${formatHost(config.http.host)}:${httpPort}${admin}`);
    return {
      app,
      config,
      grpcPort: grpc.port,
      httpPort,
      grpcTarget,
      httpUrl,
      // NestApplicationContext.close takes the signal; the INestApplication interface does not declare it.
      close: (signal?: string) => (app as unknown as { close(signal?: string): Promise<void> }).close(signal),
    };
  } catch (error) {
    // Whatever started before the failure (database, downstream, sockets) is released.
    await app.close().catch(() => undefined);
    throw error;
  }
}

/** A wildcard bind address is dialled on loopback. */
function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : formatHost(host);
}
