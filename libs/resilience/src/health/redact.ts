const MASK = '***';

// Every pattern starts a match only where a token starts (a lookbehind, not \b), and never
// backtracks into a token, so redaction stays linear on any input, long hyphenated ones included.

// user:password@ in any URL (postgres://, amqp://, redis://, https://…)
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi;
// Authorization: Bearer <token>, Basic <token>
const AUTH_SCHEME = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// name=value, name: value, "name": "value" in query strings, DSNs, headers, JSON and logfmt. The name is
// a whole token (matched atomically through a lookahead); whether it names a secret is decided in code,
// and only then is its value read (a quoted value whole), so a long run of non-secret pairs costs one pass.
const PAIR_NAME = /(?<![a-z0-9_-])(?=([a-z0-9_-]+))\1(["']?\s*[=:]\s*)/gi;
const PAIR_VALUE = /"[^"]*"|'[^']*'|[^\s"'&;,)\]}]+/y;
// A secret's name, lowercased without `_` and `-`: client_secret, refreshToken, X-Auth-Token, AWS_SECRET_KEY,
// private_key, api-key, and the bare pass / pwd / auth (but not author, maxTokens, tokenCount, passwordHash).
const SECRET_NAME = /(?:secret|secretkey|token|password|passwd|apikey|authorization|credentials?|privatekey|accesskey)$|^(?:pass|pwd|auth)$/;

/** True when a key or parameter name names a credential. */
function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[_-]/g, ''));
}

/**
 * Removes credentials from a message before it is stored, logged or served:
 * `postgres://app:s3cret@db/x` → `postgres://app:***@db/x`, `Bearer abc` → `Bearer ***`,
 * `password=hunter2` → `password=***`, `"client_secret": "a b"` → `"client_secret": "***"`.
 */
export function redactSecrets(text: string): string {
  return redactPairs(text.replace(URL_CREDENTIALS, `$1:${MASK}@`).replace(AUTH_SCHEME, `$1 ${MASK}`));
}

/** Masks the value of every pair whose name is a secret's. */
function redactPairs(text: string): string {
  let out = '';
  let copied = 0;
  PAIR_NAME.lastIndex = 0;
  for (let m = PAIR_NAME.exec(text); m !== null; m = PAIR_NAME.exec(text)) {
    const [pair, name] = m as unknown as [string, string];
    if (!isSecretName(name)) continue; // its value is scanned on: it may hold a pair itself (`error: token=…`)
    const valueAt = m.index + pair.length;
    PAIR_VALUE.lastIndex = valueAt;
    const value = PAIR_VALUE.exec(text)?.[0];
    // `Authorization: Bearer ***` was handled by AUTH_SCHEME: keep the scheme readable.
    if (value === undefined || /^(?:bearer|basic)$/i.test(value)) continue;
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
    out += `${text.slice(copied, valueAt)}${quote}${MASK}${quote}`;
    copied = valueAt + value.length;
    PAIR_NAME.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
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
    out[key] = isSecretName(key) && item != null ? MASK : redactValue(item, depth + 1);
  }
  return out;
}
