// One of the RecordService apps of the gRPC group, in a process of its own, on free loopback ports.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { BreakerExceptionFilter } from '@engined/resilience';
import { GrpcServer, type GrpcServerOptions, withGrpcHealth } from '@engined/resilience/grpc';
import { withGrpcMetrics } from '@engined/resilience/metrics';
import { childChannel, runChild } from '../child-process.js';
import { recordsModule } from './record-apps.js';
import { PROTO_DIR, PROTO_LOADER_OPTIONS, RECORDS_PROTO } from './protos.js';
import type { RecordAppFeatures } from './record-server.constants.js';

runChild(async () => {
  let app: INestApplication | undefined;
  const channel = childChannel(async () => {
    await app?.close();
  });
  const features = JSON.parse(process.argv[2]!) as RecordAppFeatures;
  app = await NestFactory.create(recordsModule(features), { logger: ['error', 'warn'] });
  const options: GrpcServerOptions = {
    url: '127.0.0.1:0',
    package: ['engined.v1'],
    protoPath: [RECORDS_PROTO],
    loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] },
    shutdownTimeoutMs: 5_000,
  };
  // As createApp (apps/engined/src/app.factory.ts) does, for the parts `features` asks for.
  if (features.breaker) app.useGlobalFilters(new BreakerExceptionFilter(app.get(HttpAdapterHost)));
  const withHealth = features.health ? withGrpcHealth(app, options) : options;
  const grpc = new GrpcServer(features.metrics.startsWith('grpc-js') ? withGrpcMetrics(app, withHealth) : withHealth);
  app.connectMicroservice({ strategy: grpc }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const { port: httpPort } = app.getHttpServer().address() as AddressInfo;
  // `cpu`: this process's CPU time so far (user + system, µs), so the parent can price each call.
  void (async () => {
    for (;;) {
      await channel.next('cpu');
      const { user, system } = process.cpuUsage();
      channel.send({ type: 'cpu', us: user + system });
    }
  })();
  channel.send({ type: 'ready', grpcPort: grpc.port, httpPort });
});
