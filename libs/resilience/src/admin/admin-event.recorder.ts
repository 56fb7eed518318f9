import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import type { StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import type { HealthEvent } from '../health/health.events.js';
import { HealthRegistry } from '../health/health.registry.js';
import { ADMIN_OPTIONS } from './admin.constants.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import type { AdminEvent, AdminEventInput, OperatorActionEvent } from './admin.events.js';
import type { BreakerOperatorView } from './breaker-view.js';
import { EventLog } from './event-log.js';
import { RejectionSampler } from './rejection-sampler.js';

/**
 * Feeds the event log: every breaker's transitions (through `stateChanges$`, which costs the breaker
 * nothing per call), its rejections sampled from its own counter, the health events an operator cares
 * about (status changes, heal attempts, give-ups, heal resets), and operator actions. Also remembers
 * each breaker's last transition reason and last operator action, for the breaker view.
 *
 * Follows the registries from module init (so transitions during bootstrap are kept) until the
 * application has shut down; the sampler's timer is cleared then.
 */
@Injectable()
export class AdminEventRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly subscription = new Subscription();
  private readonly sampler: RejectionSampler;
  private readonly lastReasons = new Map<string, string>();
  private readonly operators = new Map<string, BreakerOperatorView>();

  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(EventLog) private readonly log: EventLog,
    @Optional() @Inject(BreakerRegistry) private readonly breakers?: BreakerRegistry,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {
    this.sampler = new RejectionSampler(options.clock, options.rejectionSampleMs, (sample) =>
      this.append({ type: 'breaker.rejections', breaker: sample.breaker, count: sample.count, fromAt: sample.fromAt, at: sample.at, state: sample.state }),
    );
  }

  /** Whether the rejection sampler's timer is armed (some breaker rejects calls). */
  get sampling(): boolean {
    return this.sampler.sampling;
  }

  /** @internal */
  onModuleInit(): void {
    if (this.breakers) {
      this.subscription.add(this.breakers.added$.subscribe((policy) => this.follow(policy)));
    }
    if (this.health) {
      this.subscription.add(this.health.events$.subscribe((event) => this.onHealthEvent(event)));
    }
  }

  /** @internal */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
    this.sampler.dispose();
  }

  /** Records an operator action (called by `OperatorService` once the action is done). */
  recordOperatorAction(action: Omit<OperatorActionEvent, 'id' | 'at' | 'type'>): OperatorActionEvent {
    const event = this.append({ type: 'operator.action', at: this.options.clock.now(), ...action }) as OperatorActionEvent;
    if (action.breaker !== undefined && action.action !== 'check' && action.action !== 'heal-reset') {
      this.operators.set(action.breaker, { action: action.action, actor: action.actor, reason: action.reason ?? '', at: event.at });
    }
    return event;
  }

  /** The reason of the last transition seen for this breaker. */
  lastTransitionReason(breaker: string): string | undefined {
    return this.lastReasons.get(breaker);
  }

  /** The last operator action on this breaker through the admin API. */
  lastOperatorAction(breaker: string): BreakerOperatorView | undefined {
    return this.operators.get(breaker);
  }

  private follow(policy: CircuitBreakerPolicy): void {
    this.subscription.add(
      policy.stateChanges$.subscribe({
        next: (event) => this.onTransition(policy, event),
        complete: () => this.sampler.untrack(policy),
      }),
    );
    this.sampler.track(policy);
  }

  private onTransition(policy: CircuitBreakerPolicy, event: StateChangeEvent): void {
    // Rejections counted while the breaker rejected come first: they happened before it moved on.
    this.sampler.stateChanged(policy, event.to);
    this.lastReasons.set(event.breaker, event.reason);
    this.append({ type: 'breaker.transition', at: event.at, breaker: event.breaker, from: event.from, to: event.to, reason: event.reason });
  }

  private onHealthEvent(event: HealthEvent): void {
    switch (event.type) {
      case 'status_change':
        this.append({ type: 'component.status', at: event.at, component: event.component, from: event.from, to: event.to, reason: event.reason });
        return;
      case 'heal_attempt':
        this.append({
          type: 'component.heal',
          at: event.at,
          component: event.component,
          attempt: event.attempt,
          result: event.result,
          durationMs: event.durationMs,
          verified: event.verified,
          message: event.message,
        });
        return;
      case 'gave_up':
        this.append({ type: 'component.gave_up', at: event.at, component: event.component, attempts: event.attempts });
        return;
      case 'heal_reset':
        this.append({ type: 'component.heal_reset', at: event.at, component: event.component, reason: event.reason });
        return;
      default:
        return;
    }
  }

  private append(event: AdminEventInput): AdminEvent {
    return this.log.append(event);
  }
}
