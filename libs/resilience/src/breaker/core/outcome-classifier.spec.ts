import { describe, expect, it } from '@jest/globals';
import { BulkheadRejectedError } from '../../bulkhead/errors/bulkhead-rejected.error.js';
import { FAILURE, IGNORED, OutcomeClassifier, SUCCESS } from './outcome-classifier.js';

class NotFound extends Error {}
class Timeout extends Error {}

function throwing(): boolean {
  throw new Error('bad rule');
}

describe('OutcomeClassifier', () => {
  it('counts every error but a bulkhead rejection when no rule is given', () => {
    const classifier = new OutcomeClassifier({ recordErrors: undefined, ignoreErrors: [], recordResult: undefined });
    expect(classifier.ofError(undefined, new Error('down'))).toBe(FAILURE);
    expect(classifier.ofError(undefined, new BulkheadRejectedError('pool', 'full', 1, 0))).toBe(IGNORED);
    expect(classifier.ofValue({ ok: false })).toBe(SUCCESS);
  });

  it('lets ignoreErrors win over recordErrors, and ignores what recordErrors does not match', () => {
    const classifier = new OutcomeClassifier({
      recordErrors: [(e) => e instanceof Error],
      ignoreErrors: [(e) => e instanceof NotFound],
      recordResult: undefined,
    });
    expect(classifier.ofError(undefined, new Timeout())).toBe(FAILURE);
    expect(classifier.ofError(undefined, new NotFound())).toBe(IGNORED);
    expect(classifier.ofError(undefined, 'a string')).toBe(IGNORED);
  });

  it('ignores any error of a call its caller aborted', () => {
    const classifier = new OutcomeClassifier({ recordErrors: undefined, ignoreErrors: [], recordResult: undefined });
    const controller = new AbortController();
    expect(classifier.ofError(controller.signal, new Error('down'))).toBe(FAILURE);
    controller.abort();
    expect(classifier.ofError(controller.signal, new Error('down'))).toBe(IGNORED);
  });

  it('counts a failing result by recordResult, and a rule that throws as a failure', () => {
    const byResult = new OutcomeClassifier({ recordErrors: undefined, ignoreErrors: [], recordResult: (r) => r === 'degraded' });
    expect(byResult.ofValue('degraded')).toBe(FAILURE);
    expect(byResult.ofValue('fine')).toBe(SUCCESS);
    expect(new OutcomeClassifier({ recordErrors: undefined, ignoreErrors: [], recordResult: throwing }).ofValue('x')).toBe(FAILURE);
    expect(new OutcomeClassifier({ recordErrors: undefined, ignoreErrors: [throwing], recordResult: undefined }).ofError(undefined, new NotFound())).toBe(FAILURE);
  });
});
