import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import { UnknownCircuitBreakerError } from '../breaker/errors/unknown-circuit-breaker.error.js';
import { UnknownHealthComponentError } from '../health/errors/unknown-health-component.error.js';
import { HealthRegistry } from '../health/health.registry.js';
import { ADMIN_OPTIONS } from './admin.constants.js';
import type { ResolvedAdminOptions } from './admin-options.interface.js';
import { ACTOR_PATTERN } from './admin-options.validation.js';
import type { BreakerActionName, ComponentActionName, OperatorActionEvent } from './admin.events.js';
import { AdminEventRecorder } from './admin-event.recorder.js';
import { InvalidOperatorCommandError } from './errors/invalid-operator-command.error.js';
import { OperatorConflictError } from './errors/operator-conflict.error.js';
import { OverrideStoreUnavailableError } from './errors/override-store-unavailable.error.js';
import { BreakerOverrideSync } from './overrides/breaker-override.sync.js';

/** Breaker actions, in the order the README lists them. */
export const BREAKER_ACTIONS: readonly BreakerActionName[] = ['force-open', 'disable', 'metrics-only', 'reset'];
/** Component actions. */
export const COMPONENT_ACTIONS: readonly ComponentActionName[] = ['check', 'heal-reset'];

/** Puts a breaker in an operator state, or back to CLOSED. `reason` is required. */
export interface BreakerCommand {
  readonly breaker: string;
  readonly action: BreakerActionName;
  readonly reason: string;
  /** Who: the token's label, or `operator`. */
  readonly actor: string;
}

/** Runs a component's check now, or clears its heal backoff and GAVE_UP. `reason` is optional. */
export interface ComponentCommand {
  readonly component: string;
  readonly action: ComponentActionName;
  readonly reason?: string;
  readonly actor: string;
}

/** Every operator action. */
export type OperatorCommand = BreakerCommand | ComponentCommand;

/**
 * The one way operator actions are carried out: the admin routes (and so the CLI and the dashboard) all
 * call `apply`. It validates the command, acts on the breaker or component, records an `operator.action`
 * event and writes an audit log line (breaker or component, action, reason, actor; never a token).
 * Breaker actions are recorded in the `BreakerOverrideStore` first (shared with the other replicas, which
 * apply them too), then applied here; a store that cannot record one fails the action, applied nowhere.
 */
@Injectable()
export class OperatorService {
  private readonly logger = new Logger('ResilienceAdmin');

  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(AdminEventRecorder) private readonly recorder: AdminEventRecorder,
    @Inject(BreakerOverrideSync) private readonly overrides: BreakerOverrideSync,
    @Optional() @Inject(BreakerRegistry) private readonly breakers?: BreakerRegistry,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {}

  /**
   * Carries out `command` and returns its audit event (with the state or status before and after).
   * @throws InvalidOperatorCommandError for a bad field (named by `field`);
   *   UnknownCircuitBreakerError / UnknownHealthComponentError for an unknown name;
   *   OperatorConflictError when the target cannot take the action (a breaker component has no check,
   *   a component without a heal has nothing to reset);
   *   OverrideStoreUnavailableError when the override store cannot record a breaker action.
   */
  async apply(command: OperatorCommand): Promise<OperatorActionEvent> {
    if (typeof command !== 'object' || command === null) throw new InvalidOperatorCommandError('command', 'must be an object');
    const actor = this.validActor(command.actor);
    if ('breaker' in command) return this.applyToBreaker(command, actor);
    if ('component' in command) return this.applyToComponent(command, actor);
    throw new InvalidOperatorCommandError('breaker', 'a command names a breaker or a component');
  }

  private async applyToBreaker(command: BreakerCommand, actor: string): Promise<OperatorActionEvent> {
    const name = validName('breaker', command.breaker);
    if (!BREAKER_ACTIONS.includes(command.action)) {
      throw new InvalidOperatorCommandError('action', `must be one of ${BREAKER_ACTIONS.join(', ')}`);
    }
    const reason = this.validReason(command.reason, true)!;
    const policy = this.breakers?.get(name);
    if (policy === undefined) throw new UnknownCircuitBreakerError(name, this.breakers?.list().map((p) => p.name) ?? []);
    const from = policy.state;
    try {
      await this.overrides.publish({ breaker: name, action: command.action, reason, actor, at: this.options.clock.now() });
    } catch (error) {
      throw new OverrideStoreUnavailableError(this.overrides.status().store, error);
    }
    return this.audit({ actor, action: command.action, breaker: name, reason, from, to: policy.state }, `breaker "${name}"`);
  }

  private async applyToComponent(command: ComponentCommand, actor: string): Promise<OperatorActionEvent> {
    const name = validName('component', command.component);
    if (!COMPONENT_ACTIONS.includes(command.action)) {
      throw new InvalidOperatorCommandError('action', `must be one of ${COMPONENT_ACTIONS.join(', ')}`);
    }
    const reason = this.validReason(command.reason, false);
    const health = this.health;
    const before = health?.get(name);
    if (health === undefined || before === undefined) throw new UnknownHealthComponentError(name);
    if (command.action === 'check') {
      if (before.type === 'breaker') {
        throw new OperatorConflictError(`Health component "${name}" follows its circuit breaker and has no check to run; act on the breaker`);
      }
      const after = await health.runNow(name);
      return this.audit({ actor, action: 'check', component: name, reason, from: before.status, to: after.status }, `component "${name}"`);
    }
    if (before.heal === undefined) {
      throw new OperatorConflictError(`Health component "${name}" has no heal, so there is no healing to reset`);
    }
    health.resetHeal(name);
    const after = health.get(name) ?? before;
    return this.audit(
      { actor, action: 'heal-reset', component: name, reason, from: before.heal.state, to: after.heal?.state ?? before.heal.state },
      `component "${name}"`,
    );
  }

  private audit(action: Omit<OperatorActionEvent, 'id' | 'at' | 'type'>, target: string): OperatorActionEvent {
    const event = this.recorder.recordOperatorAction(action);
    const why = action.reason === undefined ? '' : `, reason ${JSON.stringify(action.reason)}`;
    this.logger.log(`Operator action ${action.action} on ${target} by ${action.actor}${why}: ${action.from} → ${action.to} (event ${event.id})`);
    return event;
  }

  private validActor(actor: unknown): string {
    if (typeof actor !== 'string' || !ACTOR_PATTERN.test(actor)) {
      throw new InvalidOperatorCommandError('actor', 'must be 1 to 64 letters, digits or ._@:-');
    }
    return actor;
  }

  /** Trimmed; required for breakers; bounded; no control characters (it goes into log lines). */
  private validReason(reason: unknown, required: boolean): string | undefined {
    if (reason === undefined && !required) return undefined;
    if (reason === undefined || reason === null) throw new InvalidOperatorCommandError('reason', 'is required: say why (it is recorded with the action)');
    if (typeof reason !== 'string') throw new InvalidOperatorCommandError('reason', 'must be a string');
    const trimmed = reason.trim();
    if (trimmed === '') throw new InvalidOperatorCommandError('reason', 'must not be empty');
    const max = this.options.maxReasonLength;
    if (trimmed.length > max) throw new InvalidOperatorCommandError('reason', `must be at most ${max} characters (got ${trimmed.length})`);
    if (/\p{Cc}/u.test(trimmed)) throw new InvalidOperatorCommandError('reason', 'must not contain control characters (newlines, tabs, …)');
    return trimmed;
  }
}

function validName(field: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new InvalidOperatorCommandError(field, 'must be a non-empty name');
  return name;
}
