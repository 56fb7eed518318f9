import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { type Observable, Subject, type Subscription } from 'rxjs';
import type { FailureEvent, StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import type { Clock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { HEALTH_OPTIONS, HEALTH_SCHEDULER_REGISTRY } from '../resilience.constants.js';
import { countsFor, HEALTH_SCOPES, ScopeTallies } from './aggregation.js';
import { attachBreakers } from './breaker-components.js';
import { GuardLinks } from './breaker-guards.js';
import { buildSnapshot, type CheckExecution, type ComponentEntry, createEntry, type HealOutcome, shownStatus } from './component-entry.js';
import { UnknownHealthComponentError } from './errors/unknown-health-component.error.js';
import type { HealthComponentDefinition } from './health-component.options.js';
import { type ResolvedComponent, type ResolvedHealthOptions, resolveComponent } from './health-options.validation.js';
import type { HealthEvent } from './health.events.js';
import { captureError, HealthScheduler } from './health.scheduler.js';
import type {
  AggregateHealth,
  ComponentHistory,
  ComponentSnapshot,
  EscalationLevel,
  HealthPhase,
} from './health.snapshot.js';
import { HealthTimers } from './health.timers.js';
import { Healer } from './healer.js';
import { applyResult, applyStale } from './hysteresis.js';
import { HealthStatus, type HealthScope, isPassing, type ProbeGroup } from './health-status.js';

/** The module-wide timer that resumes healing when the startup grace period ends. */
const GRACE_TIMER = 'startup-grace';

/**
 * The one source of truth for health: components, their last results, healing and aggregates.
 *
 * Read API (never runs a check; every read returns stored snapshots):
 * - `components()`, `get(name)`, `system()`, `probe(group)`, `status(scope)`, `history(name)`;
 * - `events$`: every status change, check, heal attempt, give-up, escalation, aggregate change,
 *   (un)registration and shutdown phase — enough to follow "status of X changed" for any component
 *   or scope without polling;
 * - `phase` / `shuttingDown`: `draining` from the start of shutdown (readiness fails, liveness serves).
 *
 * Operator API: `runNow(name?)`, `heal(name)`, `resetHeal(name)`, `register(definition)`, `unregister(name)`.
 *
 * Lifecycle: components are collected during module init (decorators, `components` option, `register`),
 * checked from application bootstrap on, and every timer is removed at shutdown.
 */
@Injectable()
export class HealthRegistry implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  /** Every health event, in order. Completes at application shutdown. */
  readonly events$: Observable<HealthEvent>;

  private readonly entries = new Map<string, ComponentEntry>();
  private readonly subject = new Subject<HealthEvent>();
  // UNKNOWN until bootstrap: nothing is collected or checked yet, so no scope may look healthy (a gRPC
  // health server started before init would otherwise answer SERVING).
  private readonly aggregates: Record<HealthScope, HealthStatus> = {
    system: HealthStatus.UNKNOWN,
    liveness: HealthStatus.UNKNOWN,
    readiness: HealthStatus.UNKNOWN,
    startup: HealthStatus.UNKNOWN,
  };
  private readonly tallies = new ScopeTallies();
  private readonly clock: Clock;
  private readonly timers: HealthTimers;
  private readonly scheduler: HealthScheduler;
  private readonly healer: Healer;
  private readonly guards: GuardLinks;
  private readonly logger = new Logger('HealthRegistry');
  private current: HealthPhase = 'initializing';
  private graceUntil = 0;
  private breakerSubscription?: Subscription;

  constructor(
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_SCHEDULER_REGISTRY) schedulerRegistry: SchedulerRegistry,
    @Optional() @Inject(BreakerRegistry) private readonly breakers?: BreakerRegistry,
  ) {
    this.events$ = this.subject.asObservable();
    this.clock = options.clock;
    this.timers = new HealthTimers(this.clock, schedulerRegistry);
    this.scheduler = new HealthScheduler({
      clock: this.clock,
      timers: this.timers,
      accepting: () => this.current !== 'stopped',
      recordCheck: (entry, execution) => this.recordCheck(entry, execution),
      recordStale: (entry, ageMs) => this.recordStale(entry, ageMs),
      reportError: (error) => this.reportError(error),
    });
    this.healer = new Healer(
      {
        clock: this.clock,
        timers: this.timers,
        entry: (name) => this.entries.get(name),
        healingBlocked: () => this.healingBlocked(),
        verify: (entry) => this.scheduler.run(entry, true),
        emit: (event) => this.emit(event),
        changed: (entry) => this.changed(entry),
        escalate: (entry, level) => this.escalate(entry, level),
      },
      options.maxConcurrentHeals,
    );
    this.guards = new GuardLinks(breakers, {
      guardOpened: (entry, breaker, event) => this.guardOpened(entry, breaker, event),
      guardFailed: (entry, breaker, event) => this.guardFailed(entry, breaker, event),
      blockedChanged: (entry, from) => this.blockedChanged(entry, from),
    });
  }

  // ---------------------------------------------------------------- read API

  /** Lifecycle phase: `initializing` → `running` (bootstrap) → `draining` (shutdown began) → `stopped`. */
  get phase(): HealthPhase {
    return this.current;
  }

  /** True from the start of shutdown: readiness (and system, startup) report UNHEALTHY, liveness is unaffected. */
  get shuttingDown(): boolean {
    return this.current === 'draining' || this.current === 'stopped';
  }

  /** Every component's snapshot, in registration order. */
  components(): ComponentSnapshot[] {
    return Array.from(this.entries.values(), (entry) => this.read(entry));
  }

  /** One component's snapshot, or undefined. */
  get(name: string): ComponentSnapshot | undefined {
    const entry = this.entries.get(name);
    return entry ? this.read(entry) : undefined;
  }

  /**
   * The status of the system or of a probe group (cheap: kept up to date on every change). UNKNOWN
   * until application bootstrap; from then on HEALTHY, DEGRADED or UNHEALTHY.
   */
  status(scope: HealthScope): HealthStatus {
    return this.aggregates[scope];
  }

  /** Every component and the system status. */
  system(): AggregateHealth {
    return this.view('system');
  }

  /** One probe group: its members (plus components whose give-up escalates into it) and its status. */
  probe(group: ProbeGroup): AggregateHealth {
    return this.view(group);
  }

  /** The component's last `historySize` check results and heal attempts, oldest first. */
  history(name: string): ComponentHistory {
    const entry = this.require(name);
    return { checks: entry.checks.toArray(), heals: entry.heals.toArray() };
  }

  // ------------------------------------------------------------ operator API

  /** Runs a check now (or joins the running one) and resolves with the resulting snapshot. */
  runNow(name: string): Promise<ComponentSnapshot>;
  /** Runs every component's check now and resolves with every snapshot. */
  runNow(): Promise<ComponentSnapshot[]>;
  async runNow(name?: string): Promise<ComponentSnapshot | ComponentSnapshot[]> {
    if (name !== undefined) {
      const entry = this.require(name);
      await this.scheduler.run(entry, false);
      return this.read(entry);
    }
    const all = [...this.entries.values()];
    await Promise.all(all.map((entry) => this.scheduler.run(entry, false)));
    return all.map((entry) => this.read(entry));
  }

  /**
   * Heals an UNHEALTHY component now if its policy allows (not during startup grace or shutdown, not
   * during backoff, not after GAVE_UP, not while a dependency fails); joins a heal already running.
   */
  heal(name: string): Promise<HealOutcome> {
    return this.healer.trigger(this.require(name));
  }

  /** Clears a component's backoff, attempt window and GAVE_UP (lifting its escalation), then heals it if it is UNHEALTHY. */
  resetHeal(name: string): void {
    const entry = this.require(name);
    this.healer.reset(entry, 'operator');
    void this.healer.trigger(entry);
  }

  /**
   * Adds a component. Bad options, a duplicate name or (once running) an unknown `dependsOn` throw
   * `InvalidOptionError`; before bootstrap, `dependsOn` is checked at bootstrap, with cycles.
   */
  register(definition: HealthComponentDefinition): void {
    this.add(resolveComponent(definition, this.options.defaults));
  }

  /** Removes a component: its timers are cleared and a running check or heal is aborted. False if unknown. */
  unregister(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    const dependent = [...entry.dependents].find((other) => this.entries.has(other));
    if (dependent !== undefined) {
      throw new Error(`Cannot unregister health component "${name}": "${dependent}" depends on it`);
    }
    entry.removed = true;
    this.scheduler.stop(entry);
    this.healer.stop(entry);
    this.guards.unlink(entry);
    this.entries.delete(name);
    this.recount(entry);
    for (const dependency of entry.def.dependsOn) this.entries.get(dependency)?.dependents.delete(name);
    this.emit({ type: 'component_unregistered', component: name, at: this.clock.now() });
    this.updateAggregates();
    return true;
  }

  /**
   * Starts shutdown: readiness (and system, startup) turn UNHEALTHY at once, healing stops, checks
   * go on so liveness stays truthful. Called by the module at the first shutdown hook; idempotent.
   */
  beginShutdown(signal?: string): void {
    if (this.shuttingDown) return;
    this.current = 'draining';
    for (const entry of this.entries.values()) this.healer.stop(entry);
    this.updateAggregates();
    this.emit({ type: 'shutdown', phase: 'draining', signal, at: this.clock.now() });
  }

  // --------------------------------------------------------------- lifecycle

  /** @internal Registers the `components` of the module options. */
  onModuleInit(): void {
    for (const definition of this.options.components) this.register(definition);
  }

  /** @internal Adds the breakers, checks the dependency graph, then starts every component's schedule. */
  onApplicationBootstrap(): void {
    if (this.breakers && this.options.breakers.enabled) {
      this.breakerSubscription = attachBreakers(this.breakers, this.options.breakers, {
        add: (definition, readDetails, status) => this.add(definition, readDetails, status),
        setStatus: (name, to, reason) => {
          const entry = this.entries.get(name);
          if (entry) this.setStatus(entry, to, reason);
        },
      });
    }
    this.validateGraph();
    for (const entry of this.entries.values()) this.linkGuards(entry);
    this.current = 'running';
    this.updateAggregates();
    const { startupGraceMs } = this.options;
    this.graceUntil = this.clock.now() + startupGraceMs;
    if (startupGraceMs > 0) this.timers.set(GRACE_TIMER, startupGraceMs, () => this.healAfterGrace());
    for (const entry of this.entries.values()) {
      if (entry.def.check) this.scheduler.start(entry);
    }
  }

  /**
   * @internal Readiness fails from the first shutdown hook; the schedules keep running through the drain
   * and are stopped by the module's shutdown step once it is over ({@link stop}).
   */
  beforeApplicationShutdown(signal?: string): void {
    this.beginShutdown(signal);
  }

  /** @internal Stops every schedule and heal; nothing of the module stays pending. Idempotent. */
  stop(signal?: string): void {
    this.beginShutdown(signal);
    if (this.current === 'stopped') return;
    this.current = 'stopped';
    this.breakerSubscription?.unsubscribe();
    for (const entry of this.entries.values()) {
      this.scheduler.stop(entry);
      this.healer.stop(entry);
      this.guards.unlink(entry);
    }
    this.timers.clearAll();
    this.emit({ type: 'shutdown', phase: 'stopped', signal, at: this.clock.now() });
  }

  /** @internal */
  onApplicationShutdown(): void {
    this.stop();
    this.subject.complete();
  }

  // ---------------------------------------------------------------- internals

  private add(def: ResolvedComponent, readDetails?: () => Record<string, unknown>, status?: HealthStatus): void {
    if (this.current === 'stopped') throw new Error(`Cannot register health component "${def.name}": the application is shut down`);
    if (this.entries.has(def.name)) {
      throw new InvalidOptionError(`Health component "${def.name}"`, 'name', def.name, 'must be unique, but a component with this name is already registered');
    }
    const running = this.current !== 'initializing';
    if (running) {
      // A new component has no dependents yet, so it cannot close a cycle: existence is all to check.
      for (const dependency of def.dependsOn) this.requireDependency(def, dependency);
    }
    const entry = createEntry(def, this.clock.now(), this.options.historySize, status);
    if (readDetails) entry.readDetails = readDetails;
    // Before bootstrap, guards are linked there (breakers may still be created until then).
    if (running) this.linkGuards(entry);
    this.entries.set(def.name, entry);
    this.recount(entry);
    if (running) for (const dependency of def.dependsOn) this.entries.get(dependency)!.dependents.add(def.name);
    this.emit({ type: 'component_registered', component: def.name, status: entry.status, at: this.clock.now() });
    this.updateAggregates();
    if (this.current === 'running' || this.current === 'draining') {
      if (def.check) this.scheduler.start(entry);
    }
  }

  private recordCheck(entry: ComponentEntry, execution: CheckExecution): void {
    const { def } = entry;
    const previous = entry.last?.status;
    entry.last = execution;
    entry.stale = false;
    // Before the status moves: the change that starts flapping is already hidden behind DEGRADED.
    this.trackFlaps(entry, previous, execution);
    // A call that succeeded through a guard since the last result ends a run of failures.
    if (this.guards.succeededSince(entry)) entry.consecutiveFailures = 0;
    const passed = isPassing(execution.status);
    // `inFlightSeq` is this check's number while its result is recorded.
    const outdated = passed && this.guards.outdatedBy(entry, entry.inFlightSeq);
    const to = outdated ? entry.status : applyResult(entry, execution.status, def);
    entry.checks.push({
      at: execution.at,
      status: execution.status,
      durationMs: execution.durationMs,
      timedOut: execution.timedOut,
      message: execution.message,
    });
    this.emit({
      type: 'check_completed',
      component: def.name,
      status: execution.status,
      durationMs: execution.durationMs,
      timedOut: execution.timedOut,
      at: execution.at,
    });
    if (to !== entry.status) this.setStatus(entry, to, execution.message);
    else this.changed(entry);
    this.healer.onCheck(entry, passed && !outdated);
    if (passed && !outdated) this.guards.checkPassed(entry, entry.inFlightSeq);
    if (entry.status === HealthStatus.UNHEALTHY && def.heal) void this.healer.trigger(entry);
  }

  /** Links the component to its guards and counts the result (a guard may already reject every call). */
  private linkGuards(entry: ComponentEntry): void {
    if (entry.def.guards.length === 0) return;
    this.guards.link(entry);
    this.changed(entry);
    this.recount(entry);
  }

  /** A guard tripped: the component fails at once; a trip from CLOSED is news, so the component is checked now. */
  private guardOpened(entry: ComponentEntry, breaker: string, event: StateChangeEvent): void {
    if (entry.removed || this.current === 'stopped') return;
    const { def } = entry;
    entry.consecutiveSuccesses = 0;
    if (entry.status !== HealthStatus.UNHEALTHY && entry.status !== def.onError) {
      this.setStatus(entry, def.onError, `breaker "${breaker}" opened: ${event.reason}`);
    }
    // A trip from HALF_OPEN (a failed probe) waits for the next scheduled check, so a check that passes
    // while calls fail cannot half-open and re-trip the breaker in a loop.
    if (event.from === CircuitState.CLOSED && def.check) void this.scheduler.run(entry, true);
  }

  /** A guard counted a failed call: a failed result, as a failed check is. */
  private guardFailed(entry: ComponentEntry, breaker: string, event: FailureEvent): void {
    if (entry.removed || this.current === 'stopped') return;
    const { def } = entry;
    if (this.guards.succeededSince(entry)) entry.consecutiveFailures = 0;
    const to = applyResult(entry, def.onError, def);
    if (to !== entry.status) {
      const failures = entry.consecutiveFailures;
      const reason = `${failures} failed result${failures === 1 ? '' : 's'} in a row, the last a call through breaker "${breaker}": ${captureError(event.error).message}`;
      this.setStatus(entry, to, reason);
    } else {
      this.changed(entry);
    }
    if (entry.status === HealthStatus.UNHEALTHY && def.heal) void this.healer.trigger(entry);
  }

  /** A guard started or stopped rejecting every call: the component's groups count it as failing meanwhile. */
  private blockedChanged(entry: ComponentEntry, from: string | undefined): void {
    entry.snapshot = buildSnapshot(entry);
    this.recount(entry);
    const name = entry.def.name;
    if (entry.blockedBy !== undefined) {
      this.logger.warn(`Health component "${name}": breaker "${entry.blockedBy}" rejects every call; the component counts as failing until it admits calls again`);
    } else {
      this.logger.log(`Health component "${name}": breaker "${from}" admits calls again`);
    }
    this.updateAggregates();
  }

  private recordStale(entry: ComponentEntry, ageMs: number): void {
    entry.stale = true;
    const to = applyStale(entry, entry.def);
    const reason = `stale: no result for ${ageMs} ms (maxResultAgeMs ${entry.def.maxResultAgeMs})`;
    if (to !== entry.status) this.setStatus(entry, to, reason);
    else this.changed(entry);
    if (entry.status === HealthStatus.UNHEALTHY && entry.def.heal) void this.healer.trigger(entry);
  }

  /**
   * Moves a component to a new status: snapshot, event, log, healing bookkeeping, aggregates. While it flaps
   * the reported status stays `flapping.status`: the change reaches healing, but no event or log (its check
   * results still do, as `check_completed`).
   */
  private setStatus(entry: ComponentEntry, to: HealthStatus, reason: string | undefined): void {
    const from = entry.status;
    if (from === to) return;
    const shownBefore = shownStatus(entry);
    entry.status = to;
    this.shown(entry, shownBefore, reason);
    this.healer.onStatusChange(entry, from, to);
    this.updateAggregates();
    if (to === HealthStatus.HEALTHY || to === HealthStatus.DEGRADED) this.recheckDependents(entry);
  }

  /** After a change of status or flapping: the snapshot and tallies, and, when the reported status moved, its event and log. */
  private shown(entry: ComponentEntry, before: HealthStatus, reason: string | undefined): void {
    const now = this.clock.now();
    const after = shownStatus(entry);
    if (after !== before) entry.since = now;
    entry.snapshot = buildSnapshot(entry);
    this.recount(entry);
    if (after === before) return;
    this.emit({ type: 'status_change', component: entry.def.name, from: before, to: after, reason, at: now });
    this.logTransition(entry.def.name, before, after, reason);
  }

  /**
   * Counts a check result that passes after a failing one (or the reverse) and keeps the changes of the last
   * `flapping.windowMs`: more than `maxTransitions` of them start flapping (reported as `flapping.status`), none end it.
   */
  private trackFlaps(entry: ComponentEntry, previous: HealthStatus | undefined, execution: CheckExecution): void {
    const flapping = entry.def.flapping;
    if (!flapping) return;
    const { flips } = entry;
    const at = execution.at;
    if (previous !== undefined && isPassing(previous) !== isPassing(execution.status)) {
      flips.push(at);
      // More than `maxTransitions + 1` changes tell nothing more: the buffer stays that small.
      if (flips.length > flapping.maxTransitions + 1) flips.shift();
    }
    while (flips.length > 0 && flips[0]! <= at - flapping.windowMs) flips.shift();
    const transitions = flips.length;
    const before = shownStatus(entry);
    const name = entry.def.name;
    if (!entry.flapping && transitions > flapping.maxTransitions) {
      entry.flapping = { since: at, transitions };
      const reason = `flapping: ${transitions} result changes within ${flapping.windowMs} ms (more than flapping.maxTransitions ${flapping.maxTransitions})`;
      this.logger.warn(`Health component "${name}": ${reason}; reported ${flapping.status} until its results stay the same for ${flapping.windowMs} ms`);
      this.shown(entry, before, reason);
      this.updateAggregates();
    } else if (entry.flapping && transitions === 0) {
      entry.flapping = undefined;
      const reason = `no longer flapping: no result change for ${flapping.windowMs} ms`;
      this.logger.log(`Health component "${name}": ${reason}`);
      this.shown(entry, before, reason);
      this.updateAggregates();
    } else if (entry.flapping) {
      entry.flapping.transitions = transitions;
    }
  }

  /** A dependency recovered: its failing dependents are checked at once (and healed if still failing). */
  private recheckDependents(entry: ComponentEntry): void {
    for (const name of entry.dependents) {
      const dependent = this.entries.get(name);
      if (dependent && dependent.status === HealthStatus.UNHEALTHY) void this.scheduler.run(dependent, true);
    }
  }

  private escalate(entry: ComponentEntry, level: EscalationLevel): void {
    if (entry.escalation === level) return;
    entry.escalation = level;
    entry.snapshot = buildSnapshot(entry);
    this.recount(entry);
    this.emit({ type: 'escalation', component: entry.def.name, level, at: this.clock.now() });
    if (level !== 'none') this.logger.error(`Health component "${entry.def.name}": escalated to ${level}`);
    this.updateAggregates();
  }

  private changed(entry: ComponentEntry): void {
    entry.snapshot = buildSnapshot(entry);
  }

  private healingBlocked(): string | undefined {
    if (this.current === 'initializing') return 'not started';
    if (this.current !== 'running') return 'shutting down';
    if (this.clock.now() < this.graceUntil) return 'startup grace period';
    return undefined;
  }

  /** Components UNHEALTHY when the startup grace period ends are healed then, not at their next check. */
  private healAfterGrace(): void {
    for (const entry of this.entries.values()) {
      if (entry.status === HealthStatus.UNHEALTHY && entry.def.heal) void this.healer.trigger(entry);
    }
  }

  /** Moves the component's contributions in the scope tallies to its current snapshot (none once removed). */
  private recount(entry: ComponentEntry): void {
    const counted = entry.removed ? undefined : entry.snapshot;
    this.tallies.move(entry.counted, counted);
    entry.counted = counted;
  }

  /** O(1): reads the tallies. Scopes stay UNKNOWN until bootstrap. */
  private updateAggregates(): void {
    if (this.current === 'initializing') return;
    const at = this.clock.now();
    for (const scope of HEALTH_SCOPES) {
      const to = this.tallies.status(scope, this.shuttingDown);
      const from = this.aggregates[scope];
      if (from === to) continue;
      this.aggregates[scope] = to;
      this.emit({ type: 'aggregate_change', scope, from, to, at });
    }
  }

  private view(scope: HealthScope): AggregateHealth {
    const components: ComponentSnapshot[] = [];
    for (const entry of this.entries.values()) {
      if (countsFor(entry.snapshot, scope)) components.push(this.read(entry));
    }
    return { scope, status: this.aggregates[scope], shuttingDown: this.shuttingDown, components };
  }

  private read(entry: ComponentEntry): ComponentSnapshot {
    return entry.readDetails ? { ...entry.snapshot, details: entry.readDetails() } : entry.snapshot;
  }

  private validateGraph(): void {
    for (const entry of this.entries.values()) {
      for (const dependency of entry.def.dependsOn) {
        this.requireDependency(entry.def, dependency);
        this.entries.get(dependency)!.dependents.add(entry.def.name);
      }
    }
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (name: string): void => {
      if (done.has(name)) return;
      const at = path.indexOf(name);
      if (at >= 0) {
        const cycle = [...path.slice(at), name];
        throw new InvalidOptionError(`Health component "${name}"`, 'dependsOn', this.entries.get(name)!.def.dependsOn, `must not form a cycle (${cycle.join(' → ')})`);
      }
      path.push(name);
      for (const dependency of this.entries.get(name)!.def.dependsOn) visit(dependency);
      path.pop();
      done.add(name);
    };
    for (const name of this.entries.keys()) visit(name);
  }

  private requireDependency(def: ResolvedComponent, dependency: string): void {
    if (dependency === def.name) {
      throw new InvalidOptionError(`Health component "${def.name}"`, 'dependsOn', def.dependsOn, `must not form a cycle (${def.name} → ${def.name})`);
    }
    if (!this.entries.has(dependency)) {
      throw new InvalidOptionError(`Health component "${def.name}"`, 'dependsOn', def.dependsOn, `must name registered components, but "${dependency}" is not registered`);
    }
  }

  private require(name: string): ComponentEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new UnknownHealthComponentError(name);
    return entry;
  }

  private emit(event: HealthEvent): void {
    this.subject.next(event);
  }

  private logTransition(name: string, from: HealthStatus, to: HealthStatus, reason: string | undefined): void {
    const text = `Health component "${name}": ${from} → ${to}${reason ? ` (${reason})` : ''}`;
    if (to === HealthStatus.UNHEALTHY) this.logger.warn(text);
    else this.logger.log(text);
  }

  private reportError(error: unknown): void {
    this.logger.error(`Health registry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
