import { isBulkheadRejectedError } from '../../bulkhead/errors/bulkhead-rejected.error.js';
import type { ErrorPredicate } from '../circuit-breaker.options-validation.js';

/** How a settled call counts: the window and the totals see SUCCESS and FAILURE; IGNORED only in the totals. */
export type Outcome = typeof SUCCESS | typeof FAILURE | typeof IGNORED;
export const SUCCESS = 0;
export const FAILURE = 1;
export const IGNORED = 2;

/** The classification options of one breaker, as `resolveCircuitBreakerOptions` compiled them. */
export interface ClassificationRules {
  readonly recordErrors: readonly ErrorPredicate[] | undefined;
  readonly ignoreErrors: readonly ErrorPredicate[];
  readonly recordResult: ((result: unknown) => boolean) | undefined;
}

/** Turns a call's value or error into an {@link Outcome} by `recordErrors`, `ignoreErrors` and `recordResult`. */
export class OutcomeClassifier {
  private readonly recordErrors: readonly ErrorPredicate[] | undefined;
  private readonly ignoreErrors: readonly ErrorPredicate[];
  private readonly recordResult: ((result: unknown) => boolean) | undefined;

  constructor(rules: ClassificationRules) {
    this.recordErrors = rules.recordErrors;
    this.ignoreErrors = rules.ignoreErrors;
    this.recordResult = rules.recordResult;
  }

  /** FAILURE when `recordResult` says so (or throws), else SUCCESS. */
  ofValue(value: unknown): Outcome {
    if (this.recordResult === undefined) return SUCCESS;
    try {
      return this.recordResult(value) === true ? FAILURE : SUCCESS;
    } catch {
      return FAILURE;
    }
  }

  /**
   * Ignored when the caller aborted; then `ignoreErrors` wins over `recordErrors`; with `recordErrors`
   * set, an error matching none is ignored. A matcher that throws makes the error count as a failure.
   * A bulkhead's rejection is overload, not an outage: ignored unless `recordErrors` matches it.
   */
  ofError(callerSignal: AbortSignal | undefined, error: unknown): Outcome {
    if (callerSignal !== undefined && callerSignal.aborted) return IGNORED;
    try {
      for (const ignore of this.ignoreErrors) if (ignore(error)) return IGNORED;
      const record = this.recordErrors;
      if (record === undefined) return isBulkheadRejectedError(error) ? IGNORED : FAILURE;
      for (const matches of record) if (matches(error)) return FAILURE;
      return IGNORED;
    } catch {
      return FAILURE;
    }
  }
}
