import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResolvedResilienceOptions } from '../resilience-options.interface.js';
import { createBreakerCall } from './breaker-call.js';
import type { BreakerClassifier } from './breaker-classifier.interface.js';
import { BreakerMetadataAccessor } from './breaker-metadata.accessor.js';
import { mergeBreakerOptions, type PolicyOptions } from './breaker-options.resolver.js';
import { BreakerRegistry } from './breaker.registry.js';
import type { CircuitBreakerMetadata } from './circuit-breaker.decorator.js';
import { SiteBindings } from './site-bindings.js';
import type { CircuitBreakerPolicy } from './circuit-breaker.policy.js';
import { isComposedMethod } from '../composition/composition-metadata.js';
import { classPrototypeOf, instancesOf } from '../common/provider-instances.js';

/** Decorator options that shape the site, not the breaker. */
const SITE_KEYS: ReadonlySet<string> = new Set(['name', 'profile', 'classifier', 'fallback', 'fallbackOnFailure']);

/**
 * One `@CircuitBreaker()` method on one provider or controller instance, or, for a request-scoped or
 * durable class (`instance` undefined), on every instance of the class: those are created per request.
 */
interface DecoratedMethod {
  readonly instance: object | undefined;
  readonly prototype: object;
  readonly className: string;
  readonly methodName: string;
  readonly dispatcher: object;
  readonly metadata: CircuitBreakerMetadata;
}

/**
 * Finds every `@CircuitBreaker()` method of every provider and controller at module init, resolves its
 * options (module defaults, profile, injected classifier, inline options, method-name fallback), creates or
 * joins its breaker in the registry, and binds the guarded call to the instance. A request-scoped or durable
 * class has no instance yet: its call is bound to the class prototype, so every instance made per request
 * (or per tenant) goes through the same breaker, its fallback called on that instance. Any bad option fails
 * here, at bootstrap. Bindings are removed at shutdown.
 */
@Injectable()
export class BreakerExplorer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CircuitBreaker');
  private readonly bindings = new SiteBindings(this.logger);
  private readonly boundClassifiers = new WeakMap<object, BreakerClassifier['recordResult']>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    private readonly accessor: BreakerMetadataAccessor,
    private readonly registry: BreakerRegistry,
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResolvedResilienceOptions,
  ) {}

  onModuleInit(): void {
    // Sites that declare breaker options go first, so a site that only names a shared breaker joins it.
    const methods = this.discover().toSorted((a, b) => Number(declaresOptions(b.metadata)) - Number(declaresOptions(a.metadata)));
    for (const method of methods) {
      // A method that also has @Retry(), @Bulkhead(), ...: its breaker is defined here, in this order; CompositionExplorer binds it.
      if (isComposedMethod(method.dispatcher)) this.defineComposedSite(method);
      else this.bind(method);
    }
  }

  onApplicationShutdown(): void {
    this.bindings.unbindAll();
  }

  private discover(): DecoratedMethod[] {
    const found: DecoratedMethod[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      if (!wrapper.isDependencyTreeStatic()) {
        const prototype = classPrototypeOf(wrapper);
        if (prototype === undefined || seen.has(prototype)) continue;
        seen.add(prototype);
        found.push(...this.decoratedMethodsOf(wrapper, prototype, undefined));
        continue;
      }
      for (const instance of instancesOf(wrapper)) {
        if (seen.has(instance)) continue;
        seen.add(instance);
        found.push(...this.decoratedMethodsOf(wrapper, Object.getPrototypeOf(instance) as object, instance));
      }
    }
    return found;
  }

  private decoratedMethodsOf(wrapper: InstanceWrapper, prototype: object, instance: object | undefined): DecoratedMethod[] {
    const className = (prototype.constructor as { name?: string } | undefined)?.name || String(wrapper.name);
    const methods: DecoratedMethod[] = [];
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const dispatcher = ((instance ?? prototype) as Record<string, unknown>)[methodName];
      const metadata = this.accessor.getOptions(dispatcher);
      if (metadata === undefined) continue;
      methods.push({ instance, prototype, className, methodName, dispatcher: dispatcher as object, metadata });
    }
    return methods;
  }

  private bind(method: DecoratedMethod): void {
    const { instance, prototype, className, methodName, dispatcher, metadata } = method;
    const origin = `@CircuitBreaker() on ${className}.${methodName}`;
    const name = metadata.name ?? `${className}.${methodName}`;
    const options = this.breakerOptions(metadata, origin);
    if (options.fallbackOnFailure !== undefined && typeof options.fallbackOnFailure !== 'boolean') {
      throw new InvalidOptionError(origin, 'fallbackOnFailure', options.fallbackOnFailure, 'must be a boolean');
    }
    const policy = this.registry.define(name, stripSiteOptions(options), declaresOptions(metadata), origin);
    const original = this.accessor.getOriginal(dispatcher)!;
    const call = createBreakerCall({
      policy,
      original,
      kind: this.accessor.getReturnKind(prototype, methodName, original),
      signalParameter: this.signalParameter(prototype, methodName, origin),
      fallback: this.resolveFallback(options.fallback, instance ?? prototype, className, origin),
      fallbackOnFailure: options.fallbackOnFailure === true,
    });
    this.bindings.bind(method, call, origin);
  }

  /** The `@BreakerSignal()` parameter, or -1; one at most. */
  private signalParameter(prototype: object, methodName: string, origin: string): number {
    const marked = this.accessor.getSignalParameters(prototype, methodName);
    if (marked.length > 1) {
      throw new InvalidOptionError(origin, '@BreakerSignal()', marked, 'must mark at most one parameter (one signal per call)');
    }
    return marked[0] ?? -1;
  }

  /** Defaults, then profile, then the injected classifier's rules, then the inline options. */
  private breakerOptions(metadata: CircuitBreakerMetadata, origin: string): PolicyOptions {
    const { name, profile, classifier, ...inline } = metadata;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
      throw new InvalidOptionError(origin, 'name', name, 'must be a non-empty string');
    }
    const classified = classifier === undefined ? {} : this.classifierOptions(classifier, origin);
    return mergeBreakerOptions(this.options, profile, { ...classified, ...(inline as PolicyOptions) }, origin);
  }

  private classifierOptions(token: NonNullable<CircuitBreakerMetadata['classifier']>, origin: string): PolicyOptions {
    let classifier: unknown;
    try {
      classifier = this.moduleRef.get(token, { strict: false });
    } catch (error) {
      // Nest's InvalidClassScopeException: the token is request-scoped or transient (`get()` refuses those).
      if ((error as object | null)?.constructor?.name === 'InvalidClassScopeException') {
        throw new InvalidOptionError(origin, 'classifier', token, 'must be a singleton provider (every call of the breaker shares one classifier)');
      }
      classifier = undefined;
    }
    if (typeof classifier !== 'object' || classifier === null) {
      throw new InvalidOptionError(origin, 'classifier', token, 'must be a provider of the application (add it to a module\'s providers)');
    }
    const { recordErrors, ignoreErrors } = classifier as BreakerClassifier;
    const recordResult = this.boundRecordResult(classifier as BreakerClassifier);
    return {
      ...(recordErrors !== undefined && { recordErrors }),
      ...(ignoreErrors !== undefined && { ignoreErrors }),
      ...(recordResult !== undefined && { recordResult }),
    };
  }

  /** One bound function per classifier instance, so sites sharing a breaker and a classifier agree on options. */
  private boundRecordResult(classifier: BreakerClassifier): BreakerClassifier['recordResult'] {
    if (typeof classifier.recordResult !== 'function') return undefined;
    let bound = this.boundClassifiers.get(classifier);
    if (bound === undefined) {
      bound = classifier.recordResult.bind(classifier);
      this.boundClassifiers.set(classifier, bound);
    }
    return bound;
  }

  /**
   * The site fallback, called with the instance that made the call as `this`. `owner` is the instance, or
   * the class prototype for a request-scoped class (a named fallback must then be a method of the class).
   */
  private resolveFallback(
    fallback: PolicyOptions['fallback'],
    owner: object,
    className: string,
    origin: string,
  ): ((...argsAndError: unknown[]) => unknown) | undefined {
    if (fallback === undefined) return undefined;
    if (typeof fallback === 'function') return fallback as (...argsAndError: unknown[]) => unknown;
    const method = typeof fallback === 'string' ? (owner as Record<string, unknown>)[fallback] : undefined;
    if (typeof method !== 'function') {
      throw new InvalidOptionError(origin, 'fallback', fallback, `must be a function or the name of a method of ${className}`);
    }
    return method as (...argsAndError: unknown[]) => unknown;
  }

  // --- methods composed with @Retry(), @Bulkhead(), @Timeout(), @Fallback() (bound by CompositionExplorer) ---

  /**
   * Breaker and site fallback of each composed `@CircuitBreaker()` method, by owner (the instance, or the class
   * prototype of a request-scoped provider) and dispatcher.
   */
  private readonly composedSites = new WeakMap<object, Map<object, ComposedBreakerSite>>();

  /** The breaker of a composed method, defined at module init (declaring sites first, as for every breaker). @internal */
  composedSite(owner: object, dispatcher: object): ComposedBreakerSite | undefined {
    return this.composedSites.get(owner)?.get(dispatcher);
  }

  private defineComposedSite(method: DecoratedMethod): void {
    const { className, methodName, dispatcher, metadata } = method;
    const instance = method.instance ?? method.prototype;
    const origin = `@CircuitBreaker() on ${className}.${methodName}`;
    const options = this.breakerOptions(metadata, origin);
    if (options.fallbackOnFailure !== undefined && typeof options.fallbackOnFailure !== 'boolean') {
      throw new InvalidOptionError(origin, 'fallbackOnFailure', options.fallbackOnFailure, 'must be a boolean');
    }
    const policy = this.registry.define(metadata.name ?? `${className}.${methodName}`, stripSiteOptions(options), declaresOptions(metadata), origin);
    const site: ComposedBreakerSite = {
      policy,
      fallback: this.resolveFallback(options.fallback, instance, className, origin),
      fallbackOnFailure: options.fallbackOnFailure === true,
    };
    let sites = this.composedSites.get(instance);
    if (sites === undefined) this.composedSites.set(instance, (sites = new Map()));
    sites.set(dispatcher, site);
  }
}

/** True when the site gives breaker options of its own (beyond a name, fallback or defaults). */
function declaresOptions(metadata: CircuitBreakerMetadata): boolean {
  return metadata.profile !== undefined || metadata.classifier !== undefined || Object.keys(metadata).some((key) => !SITE_KEYS.has(key));
}

/** Fallbacks are per method (the Nest layer runs them); the shared breaker gets none. */
function stripSiteOptions(options: PolicyOptions): PolicyOptions {
  const { fallback: _fallback, fallbackOnFailure: _fallbackOnFailure, ...shared } = options;
  return shared;
}

/** A composed method's breaker and its site fallback (which the composition runs outermost, after the retries). */
export interface ComposedBreakerSite {
  readonly policy: CircuitBreakerPolicy;
  readonly fallback: ((...argsAndError: unknown[]) => unknown) | undefined;
  readonly fallbackOnFailure: boolean;
}
