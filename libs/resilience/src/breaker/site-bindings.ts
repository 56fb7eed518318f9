import type { Logger } from '@nestjs/common';
import {
  bindBreakerCall,
  bindBreakerCallToPrototype,
  type BoundBreakerCall,
  unbindBreakerCall,
  unbindBreakerCallFromPrototype,
} from './circuit-breaker.decorator.js';

/** Where a decorated method's call is bound: one instance, or, for a request-scoped class, its prototype. */
export interface BindingSite {
  /** Undefined for a request-scoped or durable class: its instances are made per request. */
  readonly instance: object | undefined;
  readonly prototype: object;
  readonly className: string;
  readonly dispatcher: object;
}

type Binding =
  | { readonly instance: object; readonly dispatcher: object }
  | { readonly prototype: object; readonly dispatcher: object; readonly call: BoundBreakerCall };

/** The calls an explorer bound, each removed at shutdown; warns about a site already bound. @internal */
export class SiteBindings {
  private readonly bindings: Binding[] = [];

  constructor(private readonly logger: Logger) {}

  bind(site: BindingSite, call: BoundBreakerCall, origin: string): void {
    const { instance, prototype, className, dispatcher } = site;
    if (instance === undefined) {
      this.bindings.push({ prototype, dispatcher, call });
      if (!bindBreakerCallToPrototype(prototype, dispatcher, call)) {
        this.logger.warn(
          `${origin}: ${className} is request-scoped and already guarded by another application in this process (or ResilienceModule is imported twice); until that one closes, its instances in both use this application's policies.`,
        );
      }
    } else if (bindBreakerCall(instance, dispatcher, call)) {
      this.bindings.push({ instance, dispatcher });
    } else {
      this.logger.warn(`${origin} is already guarded: is ResilienceModule imported twice (forRoot and a bare import)?`);
    }
  }

  unbindAll(): void {
    for (const binding of this.bindings.splice(0)) {
      if ('instance' in binding) unbindBreakerCall(binding.instance, binding.dispatcher);
      else unbindBreakerCallFromPrototype(binding.prototype, binding.dispatcher, binding.call);
    }
  }
}
