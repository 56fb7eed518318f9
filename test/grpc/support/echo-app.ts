import { join } from 'node:path';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod } from '@nestjs/microservices';
import type { ServerCredentials } from '@grpc/grpc-js';
import { GrpcServer, type GrpcServerLimits } from '@engined/resilience/grpc';

export const ECHO_PROTO = join(import.meta.dirname, '../../../libs/resilience/src/grpc/__fixtures__/echo.proto');
export const ECHO_PATH = '/resilience.test.v1.Echo/Echo';

/** Holds Echo calls whose text is `hold` until the test releases them. */
export class Gate {
  private readonly held: (() => void)[] = [];

  hold(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }

  get holding(): number {
    return this.held.length;
  }

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

export const gate = new Gate();

@Controller()
class EchoController {
  @GrpcMethod('Echo', 'Echo')
  async echo({ text }: { text: string }): Promise<{ text: string }> {
    if (text === 'hold') await gate.hold();
    return { text };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

/** A Nest gRPC microservice on the library's GrpcServer, on an ephemeral loopback port. */
export interface EchoServer {
  readonly server: GrpcServer;
  readonly app: INestMicroservice;
  readonly port: number;
  close(): Promise<void>;
}

export async function startEchoServer(limits: GrpcServerLimits = {}, credentials?: ServerCredentials): Promise<EchoServer> {
  const server = new GrpcServer({
    url: '127.0.0.1:0',
    package: 'resilience.test.v1',
    protoPath: ECHO_PROTO,
    shutdownTimeoutMs: 2_000,
    limits,
    ...(credentials === undefined ? {} : { credentials }),
  });
  const app = await NestFactory.createMicroservice(EchoModule, { strategy: server, logger: false });
  await app.listen();
  return { server, app, port: server.port, close: () => app.close() };
}
