import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { startupFailureMessage } from './startup-failure.js';

try {
  const { app } = await createApp();
  // SIGTERM/SIGINT: readiness off, drain, gRPC finishes in-flight calls, database closed, exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
} catch (error) {
  console.error(startupFailureMessage(error));
  process.exit(1);
}
