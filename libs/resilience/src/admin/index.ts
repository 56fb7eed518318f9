// Public API of `@engined/resilience/admin`: the operations API over HTTP (breakers, health components,
// operator actions, the event log and its server-sent-events stream). No optional peer: it reads the
// health registry when the app has a HealthModule, without loading `@nestjs/schedule` itself.

export { ResilienceAdminModule } from './admin.module.js';
export type {
  AdminTokenOption,
  ResilienceAdminModuleExtras,
  ResilienceAdminModuleOptions,
} from './admin-options.interface.js';
export { OperatorService, type BreakerCommand, type ComponentCommand, type OperatorCommand } from './operator.service.js';
export { AdminQueries, type AdminIndex } from './admin.queries.js';
export { EventLog, type EventPage } from './event-log.js';
export { EventStreamHub, type EventStreamStats } from './event-stream.hub.js';
export type {
  AdminEvent,
  BreakerActionName,
  BreakerRejectionsEvent,
  BreakerTransitionEvent,
  ComponentActionName,
  ComponentGaveUpEvent,
  ComponentHealEvent,
  ComponentHealResetEvent,
  ComponentStatusEvent,
  OperatorActionEvent,
  OperatorActionName,
} from './admin.events.js';
export type {
  BreakerOperatorView,
  BreakerOptionsSummary,
  BreakerView,
  BreakerWindowView,
} from './breaker-view.js';
export type { ComponentView } from './component-view.js';
export type { AdminErrorCode } from './admin-http.errors.js';
export type { BreakerActionResult, ComponentActionResult } from './admin.controller.js';
export { InvalidOperatorCommandError, isInvalidOperatorCommandError } from './errors/invalid-operator-command.error.js';
export { OperatorConflictError, isOperatorConflictError } from './errors/operator-conflict.error.js';
export { OverrideStoreUnavailableError, isOverrideStoreUnavailableError } from './errors/override-store-unavailable.error.js';
export type {
  BreakerOverride,
  BreakerOverrideChange,
  BreakerOverrideListener,
  BreakerOverrideMode,
  BreakerOverrideStore,
} from './overrides/breaker-override.store.js';
export { InMemoryBreakerOverrideStore } from './overrides/in-memory-override.store.js';
export { BreakerOverrideSync, OVERRIDE_STORE_COMPONENT, type BreakerOverrideSyncStatus } from './overrides/breaker-override.sync.js';
