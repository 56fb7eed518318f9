import { isConfigValidationError } from '../../shared/src/config/config-validation.error.js';

/**
 * One line for a daemon that could not start: the invalid variables, or the error.
 * Never the whole environment, which may hold secrets.
 */
export function startupFailureMessage(error: unknown): string {
  if (isConfigValidationError(error)) return `engined: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const hint = code === 'EADDRINUSE' ? ' (is another instance running? set GRPC_PORT / HTTP_PORT / DOWNSTREAM_PORT)' : '';
  return `engined: failed to start: ${message}${hint}`;
}
