/** One rejected environment variable and the reason. */
export interface ConfigIssue {
  variable: string;
  reason: string;
}

/** Thrown by `validateEnv`: names every bad variable and why, in one line. */
export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid environment: ${issues.map((i) => `${i.variable} ${i.reason}`).join('; ')}`);
  }
}

/** Works across module copies (the built app and the test run each load their own). */
export function isConfigValidationError(error: unknown): error is ConfigValidationError {
  return error instanceof Error && error.name === 'ConfigValidationError' && Array.isArray((error as ConfigValidationError).issues);
}
