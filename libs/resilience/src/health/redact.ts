const MASK = '***';

// user:password@ in any URL (postgres://, amqp://, redis://, https://…)
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi;
// Authorization: Bearer <token>, Basic <token>
const AUTH_SCHEME = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// password=…, token: "…", api_key=… in query strings, DSNs, JSON and logfmt
const SECRET_PAIR =
  /\b((?:pass(?:word|wd)?|pwd|secret|token|access[_-]?token|api[_-]?key|apikey|auth|credentials?)["']?\s*[=:]\s*["']?)[^\s"'&;,)\]}]+/gi;

/**
 * Removes credentials from a message before it is stored, logged or served:
 * `postgres://app:s3cret@db/x` → `postgres://app:***@db/x`, `Bearer abc` → `Bearer ***`,
 * `password=hunter2` → `password=***`.
 */
export function redactSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1:${MASK}@`).replace(AUTH_SCHEME, `$1 ${MASK}`).replace(SECRET_PAIR, `$1${MASK}`);
}

/** Redacts every string in a details object (recursively, a few levels deep; deeper values are dropped). */
export function redactDetails(value: Record<string, unknown>): Record<string, unknown> {
  return redactValue(value, 0) as Record<string, unknown>;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= 4) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item != null ? MASK : redactValue(item, depth + 1);
  }
  return out;
}

const SECRET_KEY = /^(pass(word|wd)?|pwd|secret|token|access[_-]?token|api[_-]?key|apikey|authorization|credentials?)$/i;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}
