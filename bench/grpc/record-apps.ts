import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Controller, type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { GrpcInvalidArgumentException, GrpcMethod, GrpcNotFoundException } from '@nestjs/microservices';
import { CircuitBreaker, ResilienceModule } from '@engined/resilience';
import { HealthComponent, HealthModule } from '@engined/resilience/health';
import { GrpcHealthModule } from '@engined/resilience/grpc';
import { MetricsModule } from '@engined/resilience/metrics';
import type { RecordMessage } from './protos.js';
import type { RecordAppFeatures } from './record-server.constants.js';

/** Records every store holds, with ids the client can compute. */
export const SEEDED_RECORDS = 1_000;

export function recordId(index: number): string {
  return `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
}

function seed(): Map<string, RecordMessage> {
  const rows = new Map<string, RecordMessage>();
  for (let i = 0; i < SEEDED_RECORDS; i++) {
    const id = recordId(i);
    rows.set(id, { id, name: `record ${i}`, payload: JSON.stringify({ n: i, tags: ['bench'] }), createTime: '2026-01-01T00:00:00.000Z' });
  }
  return rows;
}

/** The handler's body, shared by both stores: an in-memory get. */
function lookup(rows: ReadonlyMap<string, RecordMessage>, id: string): RecordMessage {
  const row = rows.get(id);
  if (row === undefined) throw new GrpcNotFoundException(`record ${id} not found`);
  return row;
}

/** What the controller calls; each app provides one of the two stores below under this token. */
export abstract class RecordStore {
  abstract readonly size: number;
  abstract get(id: string): Promise<RecordMessage>;
}

@Injectable()
class PlainRecordStore implements RecordStore {
  private readonly rows = seed();

  get size(): number {
    return this.rows.size;
  }

  async get(id: string): Promise<RecordMessage> {
    return lookup(this.rows, id);
  }
}

/** The same store with a breaker on the call, as the sample daemon guards its database. */
@Injectable()
class GuardedRecordStore implements RecordStore {
  private readonly rows = seed();

  get size(): number {
    return this.rows.size;
  }

  @CircuitBreaker({ name: 'store', profile: 'store' })
  async get(id: string): Promise<RecordMessage> {
    return lookup(this.rows, id);
  }
}

/** The store as a health component (the daemon checks its database the same way, on a schedule). */
@Injectable()
class StoreCheck {
  constructor(@Inject(RecordStore) private readonly store: RecordStore) {}

  @HealthComponent({ name: 'store', type: 'database' })
  ping(): boolean {
    return this.store.size > 0;
  }
}

/** The sample daemon's two process components (event loop, heap), in short. */
@Injectable()
class ProcessChecks implements OnModuleInit, OnApplicationShutdown {
  private readonly histogram = monitorEventLoopDelay({ resolution: 20 });

  onModuleInit(): void {
    this.histogram.enable();
  }

  onApplicationShutdown(): void {
    this.histogram.disable();
  }

  @HealthComponent({ name: 'event-loop', type: 'internal', probes: ['liveness', 'readiness'] })
  eventLoop(): boolean {
    const p99Ms = this.histogram.percentile(99) / 1e6;
    this.histogram.reset();
    return p99Ms < 2_000;
  }

  @HealthComponent({ name: 'heap', type: 'internal', probes: ['liveness'] })
  heap(): boolean {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    return used / limit < 0.95;
  }
}

/** `engined.v1.RecordService.GetRecord`, the same class in both apps. */
@Controller()
export class RecordsController {
  constructor(@Inject(RecordStore) private readonly store: RecordStore) {}

  @GrpcMethod('RecordService', 'GetRecord')
  getRecord(request: { id?: unknown }): Promise<RecordMessage> {
    const id = request?.id;
    if (typeof id !== 'string' || id === '') throw new GrpcInvalidArgumentException('id: required');
    return this.store.get(id);
  }
}

/**
 * The handler, with what `features` adds around it, wired as the sample daemon wires the library: the
 * breaker profile of its database (count window of 20, 5 calls minimum, a per-call timeout), checks at a
 * 1 s interval (the daemon's default is 5 s), grpc.health.v1, Prometheus with the default Node metrics.
 */
export function recordsModule(features: RecordAppFeatures): DynamicModule {
  const imports: DynamicModule[] = [];
  if (features.breaker) {
    imports.push(
      ResilienceModule.forRoot({
        profiles: {
          store: {
            window: { kind: 'count', size: 20 },
            minimumCalls: 5,
            failureRateThreshold: 50,
            openDurationMs: { initialMs: 2_000, maxMs: 30_000, multiplier: 2, jitter: 0.1 },
            timeoutMs: 7_250,
          },
        },
      }),
    );
  }
  if (features.health) {
    imports.push(HealthModule.forRoot({ drainDelayMs: 0, defaults: { intervalMs: 1_000, timeoutMs: 2_000 } }), GrpcHealthModule.forRoot());
  }
  if (features.metrics !== 'off') imports.push(MetricsModule.forRoot({ grpcInterceptor: features.metrics === 'nest' }));
  return {
    module: RecordsAppModule,
    imports,
    controllers: [RecordsController],
    providers: [
      { provide: RecordStore, useClass: features.breaker ? GuardedRecordStore : PlainRecordStore },
      ...(features.health ? [StoreCheck, ProcessChecks] : []),
    ],
  };
}

@Module({})
class RecordsAppModule {}
