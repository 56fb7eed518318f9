// A Nest HTTP app with HealthModule whose `database` check hangs; the parent measures /health/ready over HTTP.
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type HealthComponentDefinition, HealthModule } from '@engined/resilience/health';
import { childChannel, runChild } from '../child-process.js';
import { LatencySamples, type LatencySummary } from '../latency.js';
import { DETAILS_TOKEN, HANG_MS, serverKey } from './ready-server.constants.js';


/** The floor: a plain Nest route on the same app, no health module involved. */
@Controller('ping')
class PingController {
  @Get()
  ping(): { status: string } {
    return { status: 'ok' };
  }
}

/** A component whose check passes at once. */
function quick(name: string, type: HealthComponentDefinition['type']): HealthComponentDefinition {
  return { name, type, intervalMs: 1_000, check: () => true };
}

runChild(async () => {
  let app: INestApplication | undefined;
  const channel = childChannel(async () => {
    await app?.close();
  });
  let databaseChecks = 0;
  // First check passes at once (the snapshot is HEALTHY); every later one hangs for HANG_MS, far below
  // its timeout, so the component keeps its HEALTHY snapshot while its check is in flight.
  const database: HealthComponentDefinition = {
    name: 'database',
    type: 'database',
    intervalMs: 50,
    timeoutMs: HANG_MS + 5_000,
    check: async () => {
      databaseChecks++;
      if (databaseChecks === 1) return true;
      channel.send({ type: 'hang-started', at: Date.now() });
      await sleep(HANG_MS);
      channel.send({ type: 'hang-ended', at: Date.now() });
      return true;
    },
  };

  @Module({
    imports: [
      HealthModule.forRoot({
        http: { details: 'token', token: DETAILS_TOKEN },
        drainDelayMs: 0,
        components: [
          database,
          quick('cache', 'cache'),
          quick('queue', 'queue'),
          { ...quick('event-loop', 'internal'), probes: ['liveness', 'readiness'] },
          { ...quick('heap', 'internal'), probes: ['liveness'] },
        ],
      }),
    ],
    controllers: [PingController],
  })
  class ReadyBenchModule {}

  app = await NestFactory.create(ReadyBenchModule, { logger: ['error', 'warn'] });
  // Server-side time of every request, from the first middleware to the last byte handed to the socket.
  const served = new Map<string, LatencySamples>();
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const started = performance.now();
    res.on('finish', () => {
      const key = serverKey(req.url ?? '', req.headers.authorization !== undefined);
      let samples = served.get(key);
      if (samples === undefined) served.set(key, (samples = new LatencySamples()));
      samples.add(performance.now() - started);
    });
    next();
  });
  // `stats`: the server-side latencies since the previous `stats`, by request kind.
  void (async () => {
    for (;;) {
      await channel.next('stats');
      const stats: Record<string, LatencySummary> = {};
      for (const [key, samples] of served) stats[key] = samples.summary();
      served.clear();
      channel.send({ type: 'stats', stats });
    }
  })();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  channel.send({ type: 'ready', port });
});
