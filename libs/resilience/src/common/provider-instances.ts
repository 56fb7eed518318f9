import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';

/** The instances of a provider or controller made at bootstrap: the singleton, or each static transient one. */
export function instancesOf(wrapper: InstanceWrapper): object[] {
  const instances = wrapper.isTransient
    ? wrapper.getStaticTransientInstances().map((perContext) => perContext?.instance as unknown)
    : [wrapper.instance as unknown];
  return instances.filter(
    (instance): instance is object => typeof instance === 'object' && instance !== null && Object.getPrototypeOf(instance) !== null,
  );
}

/**
 * The class prototype of a request-scoped or durable provider (or controller), whose instances are made per
 * request after bootstrap; undefined for a factory provider, whose instances' class is unknown until it runs.
 */
export function classPrototypeOf(wrapper: InstanceWrapper): object | undefined {
  const metatype: unknown = wrapper.metatype;
  if (wrapper.isFactory || typeof metatype !== 'function') return undefined;
  const prototype: unknown = (metatype as { prototype?: unknown }).prototype;
  return typeof prototype === 'object' && prototype !== null ? prototype : undefined;
}
