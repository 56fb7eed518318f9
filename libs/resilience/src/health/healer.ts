import { Logger } from '@nestjs/common';
import type { Clock } from '../common/clock.js';
import type { ComponentEntry, HealOutcome } from './component-entry.js';
import { healBackoffDelay } from './heal-backoff.js';
import { HealLimiter } from './heal-limiter.js';
import type { HealthEvent } from './health.events.js';
import { type EscalationLevel, HealState } from './health.snapshot.js';
import type { HealthTimers } from './health.timers.js';
import { captureError } from './health.scheduler.js';
import { HealthStatus, isFailing, isPassing } from './health-status.js';
import { CallGuard, runWithTimeout } from './run-with-timeout.js';

/** What the healer needs from its owner. */
export interface HealHost {
  readonly clock: Clock;
  readonly timers: HealthTimers;
  entry(name: string): ComponentEntry | undefined;
  /** Why no heal may run right now (startup grace, shutdown…), or undefined. */
  healingBlocked(): string | undefined;
  /** Runs a check that starts after this call and resolves once it is recorded. */
  verify(entry: ComponentEntry): Promise<void>;
  emit(event: HealthEvent): void;
  /** The entry changed: rebuild its snapshot. */
  changed(entry: ComponentEntry): void;
  /** Sets how far a given-up component forces probe groups down. */
  escalate(entry: ComponentEntry, level: EscalationLevel): void;
}

const healTimer = (name: string): string => `${name}:heal`;
const healTimeoutTimer = (name: string): string => `${name}:heal-timeout`;
const stableTimer = (name: string): string => `${name}:stable`;
const escalateTimer = (name: string): string => `${name}:escalate`;
const verifyTimer = (name: string): string => `${name}:heal-verify`;

/**
 * Heals UNHEALTHY components: one heal at a time per component (concurrent triggers join it), a
 * global limit on concurrent heals, a timeout with an AbortSignal, a re-check right after each heal
 * (and, with `verifyWindowMs`, the checks within that window),
 * exponential backoff with jitter between attempts, at most `maxAttempts` per `windowMs` then
 * GAVE_UP and escalation, a reset after `stableForMs` healthy, and dependencies healed first.
 */
export class Healer {
  private readonly limiter: HealLimiter;
  private readonly logger = new Logger('HealthRegistry');

  constructor(
    private readonly host: HealHost,
    maxConcurrentHeals: number,
    private readonly random: () => number = Math.random,
  ) {
    this.limiter = new HealLimiter(maxConcurrentHeals);
  }

  /**
   * Heals the component if it should be healed now; otherwise says why not. Joins a heal already
   * queued or running, so any number of concurrent triggers run exactly one heal.
   */
  trigger(entry: ComponentEntry): Promise<HealOutcome> {
    const progress = entry.heal;
    if (!entry.def.heal) return Promise.resolve(skipped('component has no heal'));
    if (progress.inFlight) return progress.inFlight;
    const refusal = this.refusal(entry);
    if (refusal) return Promise.resolve(skipped(refusal));
    const now = this.host.clock.now();
    if (progress.nextAttemptAt !== undefined && now < progress.nextAttemptAt) {
      this.waitForBackoff(entry);
      return Promise.resolve(skipped(`backoff until ${progress.nextAttemptAt}`));
    }
    if (this.attemptsInWindow(entry, now) >= entry.def.healing.maxAttempts) {
      this.giveUp(entry);
      return Promise.resolve(skipped('gave up'));
    }
    const inFlight = this.attempt(entry).finally(() => {
      progress.inFlight = undefined;
    });
    progress.inFlight = inFlight;
    return inFlight;
  }

  /** Called on every status change of the component. */
  onStatusChange(entry: ComponentEntry, from: HealthStatus, to: HealthStatus): void {
    const { name } = entry.def;
    if (isFailing(to)) {
      this.host.timers.clear(stableTimer(name));
      return;
    }
    if (!isFailing(from)) return;
    // Recovered: whatever healing was doing is over; the backoff resets only once it has been stable.
    const progress = entry.heal;
    progress.lastSkip = undefined;
    if (progress.state === HealState.GAVE_UP || progress.state === HealState.BACKOFF) {
      progress.state = HealState.IDLE;
      progress.gaveUpAt = undefined;
      this.host.timers.clear(healTimer(name));
      this.host.timers.clear(escalateTimer(name));
      if (entry.escalation !== 'none') this.host.escalate(entry, 'none');
    }
    if (entry.def.heal && progress.attempts > 0) {
      this.host.timers.set(stableTimer(name), entry.def.healing.stableForMs, () => this.reset(entry, 'stable'));
    }
  }

  /** Called on every check result: a passing one verifies a heal waiting in its verification window. */
  onCheck(entry: ComponentEntry, passed: boolean): void {
    if (passed) entry.heal.verifying?.(true);
  }

  /** Clears the backoff, the attempt window and GAVE_UP (after `stableForMs` healthy, or by an operator). */
  reset(entry: ComponentEntry, reason: 'stable' | 'operator'): void {
    const progress = entry.heal;
    const { name } = entry.def;
    progress.attempts = 0;
    progress.attemptTimes = [];
    progress.nextAttemptAt = undefined;
    progress.lastSkip = undefined;
    if (progress.state === HealState.GAVE_UP || progress.state === HealState.BACKOFF) {
      progress.state = HealState.IDLE;
      progress.gaveUpAt = undefined;
    }
    this.host.timers.clear(healTimer(name));
    this.host.timers.clear(escalateTimer(name));
    this.host.timers.clear(stableTimer(name));
    if (entry.escalation !== 'none') this.host.escalate(entry, 'none');
    this.host.emit({ type: 'heal_reset', component: name, reason, at: this.host.clock.now() });
    this.host.changed(entry);
  }

  /** Stops healing the component: timers cleared, a running heal aborted. */
  stop(entry: ComponentEntry): void {
    const { name } = entry.def;
    for (const timer of [healTimer(name), healTimeoutTimer(name), stableTimer(name), escalateTimer(name)]) {
      this.host.timers.clear(timer);
    }
    entry.heal.guard?.abort(new DOMException('healing stopped', 'AbortError'));
    entry.heal.verifying?.(false);
  }

  /** Why the component must not be healed now, or undefined. Reports a new reason once. */
  private refusal(entry: ComponentEntry): string | undefined {
    const blocked = this.host.healingBlocked();
    if (blocked) return this.reportSkip(entry, blocked);
    if (entry.status !== HealthStatus.UNHEALTHY) return `status is ${entry.status}`;
    if (entry.heal.state === HealState.GAVE_UP) return 'gave up';
    for (const name of entry.def.dependsOn) {
      const dependency = this.host.entry(name);
      if (dependency && isFailing(dependency.status)) {
        // The dependency is healed first; this component waits until it passes.
        void this.trigger(dependency);
        return this.reportSkip(entry, `dependency "${name}" is ${dependency.status}`);
      }
    }
    return undefined;
  }

  private reportSkip(entry: ComponentEntry, reason: string): string {
    if (entry.heal.lastSkip !== reason) {
      entry.heal.lastSkip = reason;
      const at = this.host.clock.now();
      this.host.emit({
        type: 'heal_attempt',
        component: entry.def.name,
        attempt: 0,
        result: 'skipped',
        durationMs: 0,
        startedAt: at,
        verified: false,
        message: reason,
        at,
      });
    }
    return reason;
  }

  private async attempt(entry: ComponentEntry): Promise<HealOutcome> {
    const { def } = entry;
    const progress = entry.heal;
    progress.state = HealState.QUEUED;
    this.host.changed(entry);
    const release = await this.limiter.acquire();
    let held = true;
    try {
      // Time may have passed in the queue: look again.
      const refusal = this.refusal(entry);
      if (refusal || entry.removed) {
        progress.state = HealState.IDLE;
        this.host.changed(entry);
        return skipped(refusal ?? 'unregistered');
      }
      const attempt = ++progress.attempts;
      const startedAt = this.host.clock.now();
      progress.attemptTimes.push(startedAt);
      progress.lastAttemptAt = startedAt;
      progress.lastSkip = undefined;
      progress.state = HealState.HEALING;
      this.host.changed(entry);

      const guard = new CallGuard();
      progress.guard = guard;
      const heal = def.heal!;
      const outcome = await runWithTimeout(
        () =>
          heal({
            component: def.name,
            attempt,
            get signal() {
              return guard.signal;
            },
          }),
        def.healing.timeoutMs,
        healTimeoutTimer(def.name),
        this.host.timers,
        guard,
        `Heal of "${def.name}"`,
      );
      if (progress.guard === guard) progress.guard = undefined;
      const durationMs = this.host.clock.now() - startedAt;
      release();
      held = false;

      await this.host.verify(entry);
      let verified = entry.last !== undefined && entry.last.at >= startedAt && isPassing(entry.last.status);
      const { verifyWindowMs } = def.healing;
      const windowed = outcome.ok && !verified && verifyWindowMs > 0 && !entry.removed && this.host.healingBlocked() === undefined;
      if (windowed) verified = await this.passWithin(entry, verifyWindowMs);
      const result = !outcome.ok ? (outcome.timedOut ? 'timeout' : 'failure') : verified ? 'success' : 'failure';
      const last = entry.last?.status ?? HealthStatus.UNKNOWN;
      const message = !outcome.ok
        ? captureError(outcome.error).message
        : verified
          ? undefined
          : windowed
            ? `no passing check within ${verifyWindowMs} ms (verifyWindowMs) of the heal; the last reported ${last}`
            : `verification check reported ${last}`;
      const now = this.host.clock.now();
      progress.lastResult = result;
      progress.nextAttemptAt = now + healBackoffDelay(attempt, def.healing.backoff, this.random);
      entry.heals.push({ startedAt, attempt, result, durationMs, verified, message });
      this.host.emit({ type: 'heal_attempt', component: def.name, attempt, result, durationMs, startedAt, verified, message, at: now });
      this.log(def.name, attempt, result, message);

      if (verified || entry.removed || this.host.healingBlocked()) progress.state = HealState.IDLE;
      else if (this.attemptsInWindow(entry, now) >= def.healing.maxAttempts) this.giveUp(entry);
      else this.waitForBackoff(entry);
      this.host.changed(entry);
      return { result, attempt, verified, message };
    } finally {
      if (held) release();
    }
  }

  /**
   * Resolves true at the component's first passing check within `windowMs`, false when the window ends
   * first or healing stops. The attempt stays HEALING meanwhile, so triggers join it.
   */
  private passWithin(entry: ComponentEntry, windowMs: number): Promise<boolean> {
    const progress = entry.heal;
    const timer = verifyTimer(entry.def.name);
    return new Promise((resolve) => {
      const settle = (passed: boolean): void => {
        if (progress.verifying !== settle) return;
        progress.verifying = undefined;
        this.host.timers.clear(timer);
        resolve(passed);
      };
      progress.verifying = settle;
      this.host.timers.set(timer, windowMs, () => settle(false));
    });
  }

  private waitForBackoff(entry: ComponentEntry): void {
    const progress = entry.heal;
    const { name } = entry.def;
    progress.state = HealState.BACKOFF;
    if (!this.host.timers.has(healTimer(name))) {
      const delay = Math.max(0, (progress.nextAttemptAt ?? 0) - this.host.clock.now());
      this.host.timers.set(healTimer(name), delay, () => void this.trigger(entry));
    }
    this.host.changed(entry);
  }

  private attemptsInWindow(entry: ComponentEntry, now: number): number {
    const since = now - entry.def.healing.windowMs;
    const times = entry.heal.attemptTimes;
    while (times.length > 0 && times[0]! <= since) times.shift();
    return times.length;
  }

  private giveUp(entry: ComponentEntry): void {
    const { def } = entry;
    const progress = entry.heal;
    const now = this.host.clock.now();
    progress.state = HealState.GAVE_UP;
    progress.gaveUpAt = now;
    this.host.timers.clear(healTimer(def.name));
    const attempts = progress.attemptTimes.length;
    this.host.emit({ type: 'gave_up', component: def.name, attempts, at: now });
    this.logger.error(
      `Health component "${def.name}": gave up healing after ${attempts} attempt${attempts === 1 ? '' : 's'} within ${def.healing.windowMs} ms`,
    );
    const { readiness, livenessAfterMs } = def.healing.escalation;
    if (readiness) this.host.escalate(entry, 'readiness');
    if (livenessAfterMs !== undefined) {
      this.host.timers.set(escalateTimer(def.name), livenessAfterMs, () => this.host.escalate(entry, 'liveness'));
    }
    this.host.changed(entry);
  }

  private log(name: string, attempt: number, result: string, message: string | undefined): void {
    const text = `Health component "${name}": heal attempt ${attempt} ${result}${message ? `: ${message}` : ''}`;
    if (result === 'success') this.logger.log(text);
    else this.logger.warn(text);
  }
}

function skipped(message: string): HealOutcome {
  return { result: 'skipped', attempt: 0, verified: false, message };
}
