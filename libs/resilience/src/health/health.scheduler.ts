import type { Clock } from '../common/clock.js';
import { describeValue } from '../common/invalid-option.error.js';
import type { CheckExecution, ComponentEntry } from './component-entry.js';
import type { CheckResult } from './health-component.options.js';
import { jitteredInterval, slottedDelay } from './heal-backoff.js';
import type { HealthTimers } from './health.timers.js';
import { HealthStatus, isHealthStatus } from './health-status.js';
import { readHealthCheckError, readIndicatorResult } from './indicator-result.js';
import { redactDetails, redactSecrets } from './redact.js';
import { CallGuard, runWithTimeout } from './run-with-timeout.js';

/** What the scheduler needs from its owner. */
export interface CheckHost {
  readonly clock: Clock;
  readonly timers: HealthTimers;
  /** False once the module stopped: no check starts, no timer is armed. */
  accepting(): boolean;
  /** A check finished. */
  recordCheck(entry: ComponentEntry, execution: CheckExecution): void;
  /** The last result is older than `maxResultAgeMs` (called once per elapsed period). */
  recordStale(entry: ComponentEntry, ageMs: number): void;
  /** A bug while applying a result; reported, never thrown into a timer. */
  reportError(error: unknown): void;
}

/** Timer names of one component's check cycle. */
const cycleTimer = (name: string): string => `${name}:check`;
const timeoutTimer = (name: string): string => `${name}:check-timeout`;
const staleTimer = (name: string): string => `${name}:stale`;

/**
 * Runs each component's check on its own self-rescheduling timeout: the next cycle is armed only
 * once the previous check has finished, so a cycle never overlaps itself, however slow the check.
 * Also watches staleness with one lazily re-armed timer per component.
 */
export class HealthScheduler {
  constructor(
    private readonly host: CheckHost,
    private readonly random: () => number = Math.random,
  ) {}

  /** Arms the first cycle (`initialDelayMs` from now) and the staleness watch. */
  start(entry: ComponentEntry): void {
    const { def } = entry;
    entry.firstDueAt = this.host.clock.now() + def.initialDelayMs;
    this.host.timers.set(cycleTimer(def.name), def.initialDelayMs, () => void this.run(entry, false));
    this.armStale(entry, entry.firstDueAt + def.maxResultAgeMs);
  }

  /** Disarms every timer of the component and aborts its running check. */
  stop(entry: ComponentEntry): void {
    const { name } = entry.def;
    this.host.timers.clear(cycleTimer(name));
    this.host.timers.clear(timeoutTimer(name));
    this.host.timers.clear(staleTimer(name));
    entry.checkGuard?.abort(new DOMException('health module stopped', 'AbortError'));
  }

  /**
   * Runs a check now, or joins the running one. With `fresh`, joins only a check that started after
   * this call (waiting for the running one first): used to verify a heal.
   */
  async run(entry: ComponentEntry, fresh: boolean): Promise<void> {
    const requestedAfter = entry.seq;
    while (entry.inFlight) {
      if (!fresh || entry.inFlightSeq > requestedAfter) return entry.inFlight;
      await entry.inFlight;
    }
    if (entry.removed || !this.host.accepting() || !entry.def.check) return;
    return this.startCheck(entry);
  }

  private startCheck(entry: ComponentEntry): Promise<void> {
    const { def } = entry;
    this.host.timers.clear(cycleTimer(def.name));
    const seq = ++entry.seq;
    entry.inFlightSeq = seq;
    const guard = new CallGuard();
    entry.checkGuard = guard;
    const run = async (): Promise<void> => {
      const startedAt = this.host.clock.now();
      const check = def.check!;
      const outcome = await runWithTimeout(
        () =>
          check({
            component: def.name,
            get signal() {
              return guard.signal;
            },
          }),
        def.timeoutMs,
        timeoutTimer(def.name),
        this.host.timers,
        guard,
        `Health check "${def.name}"`,
      );
      if (entry.checkGuard === guard) entry.checkGuard = undefined;
      if (entry.removed || !this.host.accepting()) return;
      const at = this.host.clock.now();
      const durationMs = at - startedAt;
      try {
        this.host.recordCheck(
          entry,
          outcome.ok
            ? fromValue(outcome.value, at, durationMs)
            : fromError(outcome.error, outcome.timedOut, def.onError, at, durationMs),
        );
      } catch (error) {
        this.host.reportError(error);
      }
    };
    const inFlight = run().finally(() => {
      if (entry.inFlightSeq === seq) entry.inFlight = undefined;
      if (entry.removed || !this.host.accepting()) return;
      // Jitter 0 stays exact; jittered due times are rounded up to a slot shared with other components.
      const next = (): void => void this.run(entry, false);
      if (def.jitter === 0) {
        this.host.timers.set(cycleTimer(def.name), def.intervalMs, next);
      } else {
        const now = this.host.clock.now();
        const jittered = jitteredInterval(def.intervalMs, def.jitter, this.random);
        // Components due in the same slot share one clock timer.
        this.host.timers.setAt(cycleTimer(def.name), now + slottedDelay(now, jittered, def.intervalMs, def.jitter), next);
      }
    });
    entry.inFlight = inFlight;
    return inFlight;
  }

  /** One timer per component, re-armed lazily: a fresh result just pushes the next look further out. */
  private armStale(entry: ComponentEntry, dueAt: number): void {
    const { def } = entry;
    if (def.maxResultAgeMs === 0 || entry.removed || !this.host.accepting()) return;
    const delay = Math.max(0, dueAt - this.host.clock.now());
    this.host.timers.set(staleTimer(def.name), delay, () => this.onStaleTimer(entry));
  }

  private onStaleTimer(entry: ComponentEntry): void {
    const { maxResultAgeMs } = entry.def;
    const now = this.host.clock.now();
    const reference = entry.last?.at ?? entry.firstDueAt;
    const age = now - reference;
    if (age < maxResultAgeMs) {
      this.armStale(entry, reference + maxResultAgeMs);
      return;
    }
    this.host.recordStale(entry, age);
    this.armStale(entry, now + maxResultAgeMs);
  }
}

/** Turns what a check returned into a result; an unsupported value is UNHEALTHY with a message saying so. */
function fromValue(value: unknown, at: number, durationMs: number): CheckExecution {
  const base = { at, durationMs, timedOut: false };
  if (value === undefined || value === null) return { ...base, status: HealthStatus.HEALTHY };
  if (typeof value === 'boolean') return { ...base, status: value ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY };
  if (isHealthStatus(value)) return { ...base, status: value };
  if (typeof value === 'object') {
    const result = value as Partial<CheckResult>;
    const status =
      typeof result.status === 'boolean'
        ? result.status
          ? HealthStatus.HEALTHY
          : HealthStatus.UNHEALTHY
        : isHealthStatus(result.status)
          ? result.status
          : undefined;
    if (status !== undefined) {
      return {
        ...base,
        status,
        message: typeof result.message === 'string' ? redactSecrets(result.message) : undefined,
        details:
          typeof result.details === 'object' && result.details !== null ? redactDetails(result.details) : undefined,
      };
    }
    const indicated = readIndicatorResult(value);
    if (indicated !== undefined) {
      return {
        ...base,
        status: indicated.status,
        message: indicated.message === undefined ? undefined : redactSecrets(indicated.message),
        details: redactDetails(indicated.details),
      };
    }
  }
  return {
    ...base,
    status: HealthStatus.UNHEALTHY,
    message: redactSecrets(`check returned an unsupported value: ${describeValue(value)}`),
  };
}

function fromError(error: unknown, timedOut: boolean, onError: HealthStatus, at: number, durationMs: number): CheckExecution {
  const captured = captureError(error);
  // An older Terminus indicator throws a HealthCheckError to report "down": a result, not a broken check.
  const indicated = timedOut ? undefined : readHealthCheckError(error);
  if (indicated !== undefined) {
    const message = indicated.message === undefined ? captured.message : redactSecrets(indicated.message);
    return { at, durationMs, timedOut, status: indicated.status, message, details: redactDetails(indicated.details), error: captured };
  }
  return { at, durationMs, timedOut, status: onError, message: captured.message, error: captured };
}

/** Name and redacted message of anything thrown. */
export function captureError(error: unknown): { name: string; message: string } {
  if (error instanceof Error || error instanceof DOMException) {
    return { name: error.name, message: redactSecrets(error.message || error.name) };
  }
  return { name: 'Error', message: redactSecrets(typeof error === 'string' ? error : describeValue(error)) };
}
