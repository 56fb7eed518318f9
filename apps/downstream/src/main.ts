import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { isConfigValidationError } from '../../shared/src/config/config-validation.error.js';
import { createLogger } from '../../shared/src/logging/create-logger.js';
import { validateDownstreamEnv } from './config/downstream-env.js';
import { createDownstreamApp } from './downstream.app.js';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const config = validateDownstreamEnv(process.env);
  const { app, target } = await createDownstreamApp({ ...config, logger: createLogger(config.log) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  new Logger('Downstream').log(`downstream quote service listening on ${target}`);
} catch (error) {
  console.error(isConfigValidationError(error) ? `downstream: ${error.message}` : `downstream: failed to start: ${String(error)}`);
  process.exit(1);
}
