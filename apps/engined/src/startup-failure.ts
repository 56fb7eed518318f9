import { isConfigValidationError } from '../../shared/src/config/config-validation.error.js';
import { isListenError } from './listen-error.js';

/**
 * One line for a daemon that could not start: the invalid variables, the listener that could not bind
 * and the variable to change, or the error. Never the whole environment, which may hold secrets.
 */
export function startupFailureMessage(error: unknown): string {
  if (isConfigValidationError(error) || isListenError(error)) return `engined: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `engined: failed to start: ${message.replace(/\s*\n\s*/g, ' ').trim()}`;
}
