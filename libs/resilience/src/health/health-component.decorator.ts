import { SetMetadata } from '@nestjs/common';
import { HEALTH_COMPONENT_METADATA, HEALTH_HEAL_METADATA } from '../resilience.constants.js';
import type { ComponentOptions, HealFn } from './health-component.options.js';

/** Options of `@HealthComponent()`. */
export interface HealthComponentDecoratorOptions extends ComponentOptions {
  /** Component name. Default `ClassName.methodName`. */
  name?: string;
  /** The heal: the name of a method on the same provider, or a function. Or mark the method with `@HealComponent(name)`. */
  heal?: string | HealFn;
}

/**
 * Marks a provider method as a health check. The method receives `{ signal, component }` and returns a
 * status, a boolean, `{ status, message?, details? }` or nothing; throwing counts as failing. The
 * decorator only records metadata: the module's explorer registers the component at init, and bad
 * options fail bootstrap naming the component and the option.
 *
 * ```ts
 * @HealthComponent({ name: 'database', type: 'database', heal: 'reconnect', intervalMs: 5_000 })
 * async ping({ signal }: CheckContext) { await this.pool.query({ text: 'SELECT 1', signal }); }
 * ```
 */
export const HealthComponent = (options: HealthComponentDecoratorOptions = {}): MethodDecorator =>
  SetMetadata(HEALTH_COMPONENT_METADATA, options);

/**
 * Marks a method as the heal of the component `component` declared with `@HealthComponent()` on the
 * same provider. The method receives `{ signal, component, attempt }`.
 */
export const HealComponent = (component: string): MethodDecorator => SetMetadata(HEALTH_HEAL_METADATA, component);
