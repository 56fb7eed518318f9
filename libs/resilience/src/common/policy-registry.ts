import type { OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { describeOption, findOptionDifference } from '../breaker/breaker-options.resolver.js';
import { InvalidOptionError, isInvalidOptionError } from './invalid-option.error.js';

/** What a registry keeps: a named policy it can dispose. */
export interface NamedPolicy {
  readonly name: string;
  dispose(): void;
}

interface Entry<P, O> {
  readonly policy: P;
  readonly options: O;
  /** False when created without options of its own: joining it never conflicts. */
  readonly declared: boolean;
  readonly origin: string;
}

/**
 * Named policies of one kind (retries, bulkheads), shared by name as breakers are in `BreakerRegistry`: the
 * first declaration creates a policy, later ones join it, and two declarations with different options fail
 * naming the option. Disposes every policy at application shutdown.
 */
export abstract class PolicyRegistry<P extends NamedPolicy, O extends object> implements OnApplicationShutdown {
  private readonly entries = new Map<string, Entry<P, O>>();
  private readonly added = new Subject<P>();
  private closed = false;

  /** Every policy: the existing ones on subscription (in creation order), then each one as it is created. Completes at shutdown. */
  readonly added$: Observable<P> = new Observable<P>((subscriber) => {
    for (const entry of this.entries.values()) {
      if (subscriber.closed) return;
      subscriber.next(entry.policy);
    }
    return this.added.subscribe(subscriber);
  });

  /** `Retry`, `Bulkhead`: the kind, for messages. */
  protected abstract readonly kind: string;

  /** Builds the policy (which validates its options). */
  protected abstract create(name: string, options: O): P;

  /** Every policy, in creation order. */
  list(): P[] {
    return Array.from(this.entries.values(), (entry) => entry.policy);
  }

  /** The policy with this name, if any. */
  get(name: string): P | undefined {
    return this.entries.get(name)?.policy;
  }

  /**
   * The policy with this name, created on first use with `options` (validated: bad options throw
   * `InvalidOptionError`). Asking again without options returns the same policy; with options different from
   * the ones it was created with, throws naming the differing option.
   */
  getOrCreate(name: string, options?: O): P {
    const origin = `${this.constructor.name}.getOrCreate(${JSON.stringify(name)})`;
    return this.define(name, options ?? ({} as O), options !== undefined && Object.keys(options).length > 0, origin);
  }

  /** Returns the policy `name`, creating it with `options` if needed; checks that declarations of a shared name agree. @internal */
  define(name: string, options: O, declared: boolean, origin: string): P {
    if (typeof name !== 'string' || name.trim() === '') throw new InvalidOptionError(origin, 'name', name, 'must be a non-empty string');
    if (this.closed) throw new Error(`${origin}: the application is shut down; its ${this.kind.toLowerCase()} registry is closed`);
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      if (declared) this.assertSameOptions(name, existing, options, origin);
      return existing.policy;
    }
    let policy: P;
    try {
      policy = this.create(name, options);
    } catch (error) {
      if (!isInvalidOptionError(error)) throw error;
      throw new InvalidOptionError(`${error.owner} (${origin})`, error.option, error.value, error.expected);
    }
    this.entries.set(name, { policy, options, declared, origin });
    this.added.next(policy);
    return policy;
  }

  /** Disposes every policy (no timer survives `app.close()`) and completes `added$`. */
  onApplicationShutdown(): void {
    this.closed = true;
    const policies = this.list();
    this.entries.clear();
    for (const policy of policies) policy.dispose();
    this.added.complete();
  }

  private assertSameOptions(name: string, existing: Entry<P, O>, options: O, origin: string): void {
    const owner = `${this.kind} ${JSON.stringify(name)} (${origin})`;
    if (!existing.declared) {
      throw new InvalidOptionError(owner, 'options', options, `cannot be declared here: the ${this.kind.toLowerCase()} was already created without options by ${existing.origin}`);
    }
    const difference = findOptionDifference(existing.options, options);
    if (difference === undefined) return;
    throw new InvalidOptionError(
      owner,
      difference.option,
      difference.b,
      `must equal the value declared by ${existing.origin}, which shares this ${this.kind.toLowerCase()} (${describeOption(difference.a)})`,
    );
  }
}
