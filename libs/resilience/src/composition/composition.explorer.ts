import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { isAbortSignal } from '../breaker/breaker-call.js';
import { BreakerMetadataAccessor } from '../breaker/breaker-metadata.accessor.js';
import { BreakerExplorer, type ComposedBreakerSite } from '../breaker/breaker.explorer.js';
import type { BoundBreakerCall } from '../breaker/circuit-breaker.decorator.js';
import { SiteBindings } from '../breaker/site-bindings.js';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { isCircuitBreakerTimeoutError } from '../breaker/errors/circuit-breaker-timeout.error.js';
import type { BulkheadDecoratorOptions } from '../bulkhead/bulkhead.decorator.js';
import { BulkheadRegistry } from '../bulkhead/bulkhead.registry.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { classPrototypeOf, instancesOf } from '../common/provider-instances.js';
import { sharedIdleSignal } from '../common/promises.js';
import type { FallbackDecoratorOptions } from '../fallback/fallback.decorator.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResolvedResilienceOptions } from '../resilience-options.interface.js';
import type { RetryDecoratorOptions } from '../retry/retry.decorator.js';
import { RetryRegistry } from '../retry/retry.registry.js';
import { isCallTimeoutError } from '../timeout/errors/call-timeout.error.js';
import type { TimeoutDecoratorOptions } from '../timeout/timeout.decorator.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { getComposed, isComposedMethod, type ComposedKey } from './composition-metadata.js';
import { ResiliencePipeline, type PipelineStages } from './pipeline.js';
import { BULKHEAD_METADATA, FALLBACK_METADATA, RETRY_METADATA, TIMEOUT_METADATA } from '../resilience.constants.js';

/**
 * One composed method on one provider or controller instance, or, for a request-scoped or durable class
 * (`instance` undefined), on every instance of the class: those are created per request.
 */
interface ComposedMethod {
  readonly instance: object | undefined;
  readonly prototype: object;
  readonly className: string;
  readonly methodName: string;
  readonly dispatcher: object;
}

/** The site fallback: called with the instance as `this`, the call's arguments, then the error. */
type SiteFallback = (...argsAndError: unknown[]) => unknown;

/**
 * Binds every method that carries `@Retry()`, `@Bulkhead()`, `@Timeout()` or `@Fallback()` (alone, together,
 * through `@Resilient()`, or with `@CircuitBreaker()`) at module init: resolves and validates each stage, joins
 * or creates the named retry and bulkhead policies, takes the breaker `BreakerExplorer` defined, and binds one
 * `ResiliencePipeline` call per instance, in the fixed order fallback → retry → breaker → bulkhead → timeout.
 * Runs after `BreakerExplorer` (it depends on it, and Nest runs init hooks by dependency depth).
 */
@Injectable()
export class CompositionExplorer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Resilience');
  private readonly bindings = new SiteBindings(this.logger);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: BreakerMetadataAccessor,
    private readonly breakers: BreakerExplorer,
    private readonly retries: RetryRegistry,
    private readonly bulkheads: BulkheadRegistry,
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResolvedResilienceOptions,
  ) {}

  onModuleInit(): void {
    // Declaring sites first, so a site that only names a shared retry or bulkhead joins it (as breakers do).
    for (const method of this.discover().toSorted((a, b) => declarations(b) - declarations(a))) this.bind(method);
  }

  onApplicationShutdown(): void {
    this.bindings.unbindAll();
  }

  private discover(): ComposedMethod[] {
    const found: ComposedMethod[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      // A request-scoped or durable class: bound to its prototype, for every instance made per request.
      const owners = wrapper.isDependencyTreeStatic()
        ? instancesOf(wrapper).map((instance) => ({ instance, prototype: Object.getPrototypeOf(instance) as object }))
        : [classPrototypeOf(wrapper)].filter((prototype) => prototype !== undefined).map((prototype) => ({ instance: undefined, prototype }));
      for (const { instance, prototype } of owners) {
        const owner = instance ?? prototype;
        if (seen.has(owner)) continue;
        seen.add(owner);
        const className = (prototype.constructor as { name?: string } | undefined)?.name || String(wrapper.name);
        for (const methodName of this.scanner.getAllMethodNames(prototype)) {
          const dispatcher = (owner as Record<string, unknown>)[methodName];
          if (typeof dispatcher !== 'function' || this.accessor.getOriginal(dispatcher) === undefined || !isComposedMethod(dispatcher)) continue;
          found.push({ instance, prototype, className, methodName, dispatcher });
        }
      }
    }
    return found;
  }

  private bind(method: ComposedMethod): void {
    const { instance, prototype, className, methodName, dispatcher } = method;
    const where = `${className}.${methodName}`;
    const original = this.accessor.getOriginal(dispatcher)!;
    if (this.accessor.getReturnKind(prototype, methodName, original) === 'observable') {
      throw new InvalidOptionError(
        `@Retry/@Bulkhead/@Timeout/@Fallback on ${where}`,
        'return type',
        'Observable',
        'must be a Promise: composed resilience runs promise-returning methods (guard an Observable with @CircuitBreaker() alone)',
      );
    }
    const owner = instance ?? prototype;
    const breaker = this.accessor.getOptions(dispatcher) === undefined ? undefined : this.breakers.composedSite(owner, dispatcher);
    const stages: { -readonly [K in keyof PipelineStages]: PipelineStages[K] } = {
      retry: this.retry(dispatcher, where),
      breaker: breaker?.policy,
      bulkhead: this.bulkhead(dispatcher, where),
      timeout: this.timeout(dispatcher, where),
    };
    const site = this.fallback(dispatcher, where, owner, className, breaker);
    if (site !== undefined) stages.fallback = site.policy;
    const call = createComposedCall(new ResiliencePipeline(stages), original, this.signalParameter(prototype, methodName, where), site?.answer);
    this.bindings.bind(method, call, where);
  }

  private retry(dispatcher: object, where: string): PipelineStages['retry'] {
    const declared = single<RetryDecoratorOptions>(RETRY_METADATA, dispatcher, '@Retry()', where);
    if (declared === undefined) return undefined;
    const { name, ...options } = declared;
    return this.retries.define(name ?? where, options, declaresOptions(declared), `@Retry() on ${where}`);
  }

  private bulkhead(dispatcher: object, where: string): PipelineStages['bulkhead'] {
    const declared = single<BulkheadDecoratorOptions>(BULKHEAD_METADATA, dispatcher, '@Bulkhead()', where);
    if (declared === undefined) return undefined;
    const { name, ...options } = declared;
    return this.bulkheads.define(name ?? where, options, declaresOptions(declared), `@Bulkhead() on ${where}`);
  }

  private timeout(dispatcher: object, where: string): PipelineStages['timeout'] {
    const declared = single<TimeoutDecoratorOptions>(TIMEOUT_METADATA, dispatcher, '@Timeout()', where);
    if (declared === undefined) return undefined;
    try {
      return new TimeoutPolicy({ name: where, ...declared, clock: this.options.clock });
    } catch (error) {
      throw renamed(error, `@Timeout() on ${where}`);
    }
  }

  /**
   * The outermost stage: `@Fallback()`, or the fallback of the method's `@CircuitBreaker()`, which answers what it
   * answers alone (rejections, timeouts, and recorded failures with `fallbackOnFailure`), now after the retries.
   */
  private fallback(
    dispatcher: object,
    where: string,
    /** The instance, or the class prototype of a request-scoped provider (a named fallback is looked up there). */
    instance: object,
    className: string,
    breaker: ComposedBreakerSite | undefined,
  ): { policy: FallbackPolicy; answer: SiteFallback } | undefined {
    const declared = single<FallbackDecoratorOptions>(FALLBACK_METADATA, dispatcher, '@Fallback()', where);
    const origin = `@Fallback() on ${where}`;
    if (declared !== undefined && breaker?.fallback !== undefined) {
      throw new InvalidOptionError(origin, 'fallback', declared.fallback, 'must be given once: the method\'s @CircuitBreaker() has a fallback too');
    }
    if (declared !== undefined) {
      const answer = resolveMethod(declared.fallback, instance, className, origin);
      try {
        return { policy: new FallbackPolicy({ name: where, fallback: answer, ...(declared.handle !== undefined && { handle: declared.handle }) }), answer };
      } catch (error) {
        throw renamed(error, origin);
      }
    }
    if (breaker?.fallback === undefined) return undefined;
    const { policy, fallbackOnFailure } = breaker;
    const handle = (error: unknown): boolean =>
      isCircuitBreakerOpenError(error) ||
      isCircuitBreakerTimeoutError(error) ||
      isCallTimeoutError(error) ||
      (fallbackOnFailure && policy.isRecordedError(error));
    return { policy: new FallbackPolicy({ name: where, fallback: breaker.fallback, handle: [handle] }), answer: breaker.fallback };
  }

  /** The `@BreakerSignal()` parameter, or -1; one at most. */
  private signalParameter(prototype: object, methodName: string, where: string): number {
    const marked = this.accessor.getSignalParameters(prototype, methodName);
    if (marked.length > 1) {
      throw new InvalidOptionError(where, '@BreakerSignal()', marked, 'must mark at most one parameter (one signal per call)');
    }
    return marked[0] ?? -1;
  }
}

/**
 * The call bound for one method: the pipeline runs the method (handing the innermost signal to its
 * `@BreakerSignal()` parameter, where an `AbortSignal` the caller passed is the caller's signal); a fallback gets
 * the call's arguments, padded to the method's declared parameters (so the error's position does not depend on
 * how many optional arguments the caller gave), then the error.
 */
function createComposedCall(
  pipeline: ResiliencePipeline,
  original: (...args: unknown[]) => unknown,
  at: number,
  fallback: SiteFallback | undefined,
): BoundBreakerCall {
  const declared = original.length;
  const answer = (instance: object, args: unknown[]): ((error: unknown) => unknown) | undefined =>
    fallback === undefined
      ? undefined
      : (error) => fallback.apply(instance, [...args, ...Array.from({ length: Math.max(0, declared - args.length) }), error]);
  if (at < 0) {
    return (instance, args) => pipeline.run(() => original.apply(instance, args), false, undefined, undefined, answer(instance, args));
  }
  return (instance, args) => {
    if (args.length <= at) args.length = at + 1;
    const given = args[at];
    const caller = isAbortSignal(given) ? given : undefined;
    return pipeline.run(
      (signal) => {
        args[at] = signal ?? caller ?? sharedIdleSignal();
        return original.apply(instance, args);
      },
      true,
      caller,
      undefined,
      answer(instance, args),
    );
  };
}

/** The one declaration of a stage on a method; a stage declared twice (e.g. `@Retry()` and `@Resilient({ retry })`) fails. */
function single<T>(key: ComposedKey, dispatcher: object, decorator: string, where: string): T | undefined {
  const declared = getComposed<T>(key, dispatcher);
  if (declared.length > 1) {
    throw new InvalidOptionError(`${decorator} on ${where}`, decorator, declared.length, 'must be given once per method (check @Resilient() too)');
  }
  return declared[0];
}

/** How many of a method's shared stages (retry, bulkhead) declare options. */
function declarations(method: ComposedMethod): number {
  return (
    Number(declaresOptions(getComposed<RetryDecoratorOptions>(RETRY_METADATA, method.dispatcher)[0])) +
    Number(declaresOptions(getComposed<BulkheadDecoratorOptions>(BULKHEAD_METADATA, method.dispatcher)[0]))
  );
}

/** True when a retry or bulkhead site declares options beyond a name. */
function declaresOptions(declared: { name?: string } | undefined): boolean {
  return declared !== undefined && Object.keys(declared).some((key) => key !== 'name');
}

function resolveMethod(fallback: FallbackDecoratorOptions['fallback'], instance: object, className: string, origin: string): SiteFallback {
  if (typeof fallback === 'function') return fallback as SiteFallback;
  const method = typeof fallback === 'string' ? (instance as Record<string, unknown>)[fallback] : undefined;
  if (typeof method !== 'function') {
    throw new InvalidOptionError(origin, 'fallback', fallback, `must be a function or the name of a method of ${className}`);
  }
  return method as SiteFallback;
}

/** A policy's option error, with the declaring site added to its owner. */
function renamed(error: unknown, origin: string): unknown {
  if (!(error instanceof InvalidOptionError)) return error;
  return new InvalidOptionError(`${error.owner} (${origin})`, error.option, error.value, error.expected);
}
