import { Inject, Injectable, Optional } from '@nestjs/common';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { UnknownCircuitBreakerError } from '../breaker/errors/unknown-circuit-breaker.error.js';
import { UnknownHealthComponentError } from '../health/errors/unknown-health-component.error.js';
import { HealthRegistry } from '../health/health.registry.js';
import type { HealthStatus } from '../health/health-status.js';
import { ADMIN_OPTIONS } from './admin.constants.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import { AdminEventRecorder } from './admin-event.recorder.js';
import { type BreakerOptionsSummary, type BreakerView, breakerView, summariseBreakerOptions } from './breaker-view.js';
import { type ComponentView, componentView } from './component-view.js';
import { EventLog } from './event-log.js';
import { EventStreamHub, type EventStreamStats } from './event-stream.hub.js';

/** `GET {prefix}`: what this admin API serves, for a dashboard to discover. */
export interface AdminIndex {
  /** The route prefix, e.g. `/resilience`. */
  readonly prefix: string;
  readonly publicReads: boolean;
  readonly breakers: number;
  /** Components of the `HealthModule`; null when the application has none. */
  readonly components: number | null;
  /** System health status; null without a `HealthModule`. */
  readonly status: HealthStatus | null;
  readonly events: { readonly lastId: number; readonly oldestId: number; readonly capacity: number };
  readonly stream: EventStreamStats;
  /** Whether the rejection sampler runs (some breaker rejects calls). */
  readonly sampling: boolean;
}

/** The read side of the admin API: views of breakers and components, built on each request. */
@Injectable()
export class AdminQueries {
  /** Options never change once a breaker exists: summarised once per breaker. */
  private readonly summaries = new WeakMap<CircuitBreakerPolicy, BreakerOptionsSummary | null>();

  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(AdminEventRecorder) private readonly recorder: AdminEventRecorder,
    @Inject(EventLog) private readonly log: EventLog,
    @Inject(EventStreamHub) private readonly hub: EventStreamHub,
    @Optional() @Inject(BreakerRegistry) private readonly breakers?: BreakerRegistry,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {}

  /** Whether the application has a `HealthModule` (component routes answer 404 without one). */
  get hasHealth(): boolean {
    return this.health !== undefined;
  }

  index(): AdminIndex {
    return {
      prefix: `/${this.options.mount.path}`,
      publicReads: this.options.publicReads,
      breakers: this.breakers?.list().length ?? 0,
      components: this.health ? this.health.components().length : null,
      status: this.health ? this.health.status('system') : null,
      events: { lastId: this.log.lastId, oldestId: this.log.oldestId, capacity: this.options.eventBufferSize },
      stream: this.hub.stats(),
      sampling: this.recorder.sampling,
    };
  }

  /** Every breaker, in creation order. */
  allBreakers(): BreakerView[] {
    return (this.breakers?.list() ?? []).map((policy) => this.view(policy));
  }

  /** @throws UnknownCircuitBreakerError */
  breaker(name: string): BreakerView {
    const policy = this.breakers?.get(name);
    if (policy === undefined) throw new UnknownCircuitBreakerError(name, this.breakers?.list().map((p) => p.name) ?? []);
    return this.view(policy);
  }

  /** Every component, in registration order; undefined without a `HealthModule`. */
  allComponents(): ComponentView[] | undefined {
    const health = this.health;
    if (health === undefined) return undefined;
    return health.components().map((snapshot) => componentView(snapshot, health.history(snapshot.name)));
  }

  /** @throws UnknownHealthComponentError */
  component(name: string): ComponentView {
    const snapshot = this.health?.get(name);
    if (snapshot === undefined) throw new UnknownHealthComponentError(name);
    return componentView(snapshot, this.health!.history(name));
  }

  private view(policy: CircuitBreakerPolicy): BreakerView {
    let summary = this.summaries.get(policy);
    if (summary === undefined) {
      summary = summariseBreakerOptions(policy.name, this.breakers?.optionsOf(policy.name));
      this.summaries.set(policy, summary);
    }
    return breakerView(policy, {
      now: this.options.clock.now(),
      summary,
      lastTransitionReason: this.recorder.lastTransitionReason(policy.name),
      operator: this.recorder.lastOperatorAction(policy.name),
    });
  }
}
