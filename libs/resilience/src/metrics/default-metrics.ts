import { collectDefaultMetrics, Registry, type RegistryContentType } from 'prom-client';

// Process metrics describe the process, not an app, so apps in one process share them. prom-client
// cannot stop collectDefaultMetrics (its event-loop histogram and GC observer live forever), so
// one collection per prefix and format, made on first use, keeps app instances from piling them up.
const shared = new Map<string, Registry>();

/** The process-wide registry of Node.js default metrics for this prefix and exposition format. */
export function sharedDefaultMetrics(prefix: string, contentType: RegistryContentType): Registry {
  const key = `${contentType}\n${prefix}`;
  let registry = shared.get(key);
  if (registry === undefined) {
    registry = new Registry();
    // Typed for one format per registry instance; merging needs the same format as the app's registry.
    (registry as Registry<RegistryContentType>).setContentType(contentType);
    collectDefaultMetrics({ register: registry, prefix });
    shared.set(key, registry);
  }
  return registry;
}

/** True when `registry` already has the default metrics with this prefix (the user collected them). */
export function hasDefaultMetrics(registry: Registry, prefix: string): boolean {
  return registry.getSingleMetric(`${prefix}process_cpu_user_seconds_total`) !== undefined;
}
