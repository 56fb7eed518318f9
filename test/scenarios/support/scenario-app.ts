import { type INestApplicationContext, Logger, type ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { filter, firstValueFrom, type Observable, type Subscription } from 'rxjs';
import {
  BreakerRegistry,
  type CircuitBreakerEvent,
  type CircuitState,
  ResilienceModule,
  type ResilienceModuleOptions,
} from '@engined/resilience';
import {
  HealthModule,
  type HealthModuleOptions,
  HealthRegistry,
  type HealthEvent,
  type HealthScope,
  type HealthStatus,
} from '@engined/resilience/health';
import { MetricsModule, type MetricsModuleOptions } from '@engined/resilience/metrics';
import { ScenarioClock } from './scenario-clock.js';

/** How a scenario's app is put together: our modules on one fake clock, plus the test's own classes. */
export interface ScenarioOptions extends Pick<ModuleMetadata, 'providers' | 'controllers' | 'imports'> {
  resilience?: Omit<ResilienceModuleOptions, 'clock'>;
  /** HealthModule options (over `quietHealth`); `false` leaves the module out. */
  health?: Omit<HealthModuleOptions, 'clock'> | false;
  /** MetricsModule options; absent leaves the module out. */
  metrics?: MetricsModuleOptions;
}

/** No startup grace (heals may run at once), no drain delay, no HTTP controller: the scenarios read the registry. */
export const quietHealth: HealthModuleOptions = { startupGraceMs: 0, drainDelayMs: 0, http: { enabled: false } };

/** Compiles (does not initialise) the scenario's testing module. */
export async function compileScenario(options: ScenarioOptions = {}): Promise<{ module: TestingModule; clock: ScenarioClock }> {
  Logger.overrideLogger(false);
  const clock = new ScenarioClock();
  const module = await Test.createTestingModule({
    imports: [
      ResilienceModule.forRoot({ ...options.resilience, clock }),
      ...(options.health === false ? [] : [HealthModule.forRoot({ ...quietHealth, ...options.health, clock })]),
      ...(options.metrics ? [MetricsModule.forRoot(options.metrics)] : []),
      ...(options.imports ?? []),
    ],
    providers: options.providers ?? [],
    controllers: options.controllers ?? [],
  }).compile();
  return { module, clock };
}

/** A running scenario app: its registries, the clock, and every breaker and health event in order. */
export class Scenario {
  readonly breakers: BreakerRegistry;
  readonly health: HealthRegistry | undefined;
  readonly breakerEvents: CircuitBreakerEvent[] = [];
  readonly healthEvents: HealthEvent[] = [];
  private readonly subscriptions: Subscription[] = [];

  /** Subscribes to every event before the app initialises, so nothing is missed. */
  constructor(
    readonly app: INestApplicationContext,
    readonly clock: ScenarioClock,
  ) {
    this.breakers = app.get(BreakerRegistry);
    this.health = tryGet(app, HealthRegistry);
    this.subscriptions.push(this.breakers.events$.subscribe((event) => this.breakerEvents.push(event)));
    if (this.health) this.subscriptions.push(this.health.events$.subscribe((event) => this.healthEvents.push(event)));
  }

  get<T>(token: abstract new (...args: never[]) => T): T {
    return this.app.get(token);
  }

  /** The health registry (the scenario must include HealthModule). */
  get registry(): HealthRegistry {
    if (!this.health) throw new Error('this scenario has no HealthModule');
    return this.health;
  }

  /** `[at, from, to]` of every state change of one breaker. */
  transitions(breaker: string): [number, CircuitState, CircuitState][] {
    return this.breakerEvents
      .filter((e): e is Extract<CircuitBreakerEvent, { type: 'state_change' }> => e.type === 'state_change' && e.breaker === breaker)
      .map((e) => [e.at, e.from, e.to]);
  }

  /** A position in the health event log, for `statusChanges` / `aggregateChanges` since then. */
  mark(): number {
    return this.healthEvents.length;
  }

  /** `[at, from, to]` of every status change of one component (since `mark`, if given). */
  statusChanges(component: string, since = 0): [number, HealthStatus, HealthStatus][] {
    return this.eventsOf('status_change', since)
      .filter((e) => e.component === component)
      .map((e) => [e.at, e.from, e.to]);
  }

  /** `[at, from, to]` of every change of the system or a probe group (since `mark`, if given). */
  aggregateChanges(scope: HealthScope, since = 0): [number, HealthStatus, HealthStatus][] {
    return this.eventsOf('aggregate_change', since)
      .filter((e) => e.scope === scope)
      .map((e) => [e.at, e.from, e.to]);
  }

  /** Health events of one type, narrowed (since `mark`, if given). */
  eventsOf<T extends HealthEvent['type']>(type: T, since = 0): Extract<HealthEvent, { type: T }>[] {
    return this.healthEvents.slice(since).filter((e): e is Extract<HealthEvent, { type: T }> => e.type === type);
  }

  /** Heal attempts that ran (skipped ones left out), as `[startedAt, attempt, result]`. */
  healAttempts(component: string): [number, number, string][] {
    return this.eventsOf('heal_attempt')
      .filter((e) => e.component === component && e.result !== 'skipped')
      .map((e) => [e.startedAt, e.attempt, e.result]);
  }

  /** The next health event matching `predicate` (subscribe before causing it). */
  nextHealthEvent(predicate: (event: HealthEvent) => boolean): Promise<HealthEvent> {
    return nextEvent(this.registry.events$, predicate);
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    await this.app.close();
  }
}

/** Compiles, subscribes, initialises (bootstrap hooks included) and returns the scenario. */
export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const { module, clock } = await compileScenario(options);
  const scenario = new Scenario(module, clock);
  try {
    await module.init();
  } catch (error) {
    await scenario.close();
    throw error;
  }
  return scenario;
}

/** The first value of `events$` matching `predicate`; subscribes at once, so call it before causing the event. */
export function nextEvent<T>(events$: Observable<T>, predicate: (event: T) => boolean): Promise<T> {
  return firstValueFrom(events$.pipe(filter(predicate)));
}

/** What became of a promise, readable synchronously (to assert that a call is still pending). */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly result: Promise<PromiseSettledResult<T>> } {
  const state = { settled: false, result: undefined as unknown as Promise<PromiseSettledResult<T>> };
  state.result = promise.then(
    (value) => {
      state.settled = true;
      return { status: 'fulfilled', value } as const;
    },
    (reason: unknown) => {
      state.settled = true;
      return { status: 'rejected', reason } as const;
    },
  );
  return state;
}

/** The rejection reason of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

function tryGet<T>(app: INestApplicationContext, token: abstract new (...args: never[]) => T): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}
