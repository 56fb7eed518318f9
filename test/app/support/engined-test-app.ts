import type { Clock } from '@engined/resilience';
import { createApp, type EnginedApp } from '../../../apps/engined/src/app.factory.js';
import type { Env } from '../../../apps/engined/src/config/env.validation.js';

export { FakeClock } from '@engined/resilience/testing';

/**
 * The whole daemon on ephemeral loopback ports, embedded database and in-process downstream,
 * configured only by `env` (neither process.env nor .env is read, so runs are hermetic).
 */
export function startEnginedApp(env: Env = {}, clock?: Clock): Promise<EnginedApp> {
  return createApp({
    clock,
    useProcessEnv: false,
    envFile: false,
    env: {
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      DOWNSTREAM_PORT: '0',
      PGLITE_PORT: '0',
      SHUTDOWN_DRAIN_MS: '0',
      LOG_LEVEL: 'warn',
      // Real-time limits far above any test's duration: a loaded CI machine must not turn a slow
      // answer into a failure. Timeouts that matter are on the injected clock.
      DATABASE_QUERY_TIMEOUT_MS: '60000',
      HEALTH_CHECK_TIMEOUT_MS: '60000',
      DOWNSTREAM_TIMEOUT_MS: '60000',
      ...env,
    },
  });
}
