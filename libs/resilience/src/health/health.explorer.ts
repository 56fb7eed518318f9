import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { HEALTH_COMPONENT_METADATA, HEALTH_HEAL_METADATA } from '../resilience.constants.js';
import type { HealthComponentDecoratorOptions } from './health-component.decorator.js';
import type { CheckFn, HealFn } from './health-component.options.js';
import { HealthRegistry } from './health.registry.js';

type Methods = Record<string, (...args: unknown[]) => unknown>;

/**
 * Finds `@HealthComponent()` / `@HealComponent()` methods on every singleton provider at module init
 * and registers them in the `HealthRegistry`, each check bound to its provider instance.
 */
@Injectable()
export class HealthExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: HealthRegistry,
  ) {}

  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || seen.has(instance) || wrapper.isAlias) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      const found = this.collect(instance as Methods, prototype);
      if (found.checks.length === 0 && found.heals.size === 0) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        throw new InvalidOptionError(
          `Health component on ${prototype.constructor.name}`,
          'scope',
          'request',
          'must be declared on a singleton provider (a check runs on a timer, outside any request, so a request-scoped or durable provider has no instance to run it on)',
        );
      }
      this.registerAll(instance as Methods, prototype.constructor.name, found);
    }
  }

  private collect(instance: Methods, prototype: object) {
    const checks: { method: string; options: HealthComponentDecoratorOptions }[] = [];
    const heals = new Map<string, string>();
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      const fn = instance[method];
      if (typeof fn !== 'function') continue;
      const options = Reflect.getMetadata(HEALTH_COMPONENT_METADATA, fn) as HealthComponentDecoratorOptions | undefined;
      if (options) checks.push({ method, options });
      const healOf = Reflect.getMetadata(HEALTH_HEAL_METADATA, fn) as string | undefined;
      if (healOf !== undefined) {
        if (heals.has(healOf)) {
          throw new InvalidOptionError(`Health component "${healOf}"`, 'heal', method, `must be declared once, but ${heals.get(healOf)} is also marked @HealComponent("${healOf}")`);
        }
        heals.set(healOf, method);
      }
    }
    return { checks, heals };
  }

  private registerAll(instance: Methods, className: string, found: ReturnType<HealthExplorer['collect']>): void {
    const paired = new Set<string>();
    for (const { method, options } of found.checks) {
      const { heal: healOption, name = `${className}.${method}`, ...componentOptions } = options;
      const owner = `Health component "${name}"`;
      const decoratedHeal = found.heals.get(name);
      if (decoratedHeal !== undefined) paired.add(name);
      if (decoratedHeal !== undefined && healOption !== undefined) {
        throw new InvalidOptionError(owner, 'heal', healOption, `must not be set when ${className}.${decoratedHeal} is marked @HealComponent("${name}")`);
      }
      const healMethod = decoratedHeal ?? (typeof healOption === 'string' ? healOption : undefined);
      if (healMethod !== undefined && typeof instance[healMethod] !== 'function') {
        throw new InvalidOptionError(owner, 'heal', healMethod, `must name a method of ${className}`);
      }
      const checkFn = instance[method]!;
      const check: CheckFn = (context) => checkFn.call(instance, context) as ReturnType<CheckFn>;
      const heal: HealFn | undefined =
        healMethod !== undefined
          ? (context) => instance[healMethod]!.call(instance, context)
          : (healOption as HealFn | undefined);
      this.registry.register({ ...componentOptions, name, check, heal });
    }
    for (const [component, method] of found.heals) {
      if (!paired.has(component)) {
        throw new InvalidOptionError(
          `Health component "${component}"`,
          'heal',
          `${className}.${method}`,
          `pairs with a @HealthComponent() on the same provider, but ${className} declares no component "${component}"`,
        );
      }
    }
  }
}
