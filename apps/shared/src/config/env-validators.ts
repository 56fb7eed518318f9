import { isIP } from 'node:net';
import { type CleanedEnv, cleanEnv, EnvError, makeExactValidator, type ValidatorSpec } from 'envalid';
import { type ConfigIssue, ConfigValidationError } from './config-validation.error.js';
import { redactUrl } from './redact.js';

/** Raw environment: what `process.env` and `.env` provide. */
export type Env = Record<string, string | undefined>;

/**
 * The envalid validators of this repo's settings. Each throws an `EnvError` whose message is the reason
 * (`must be an integer from 0 to 65535 (got "http")`), so an issue reads `GRPC_PORT must be ...`.
 */

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** An integer in `[min, max]`: digits only, so `1e3`, `80.5` and `0x10` are refused. */
export const integer = (min: number, max: number) =>
  makeExactValidator<number>((value) => {
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new EnvError(`must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    return n;
  });

/** A TCP port; 0 asks the system for a free one. */
export const port = integer(0, 65535);

/** An IP address or a host name. Digits and dots only is an IPv4 address or nothing (256.1.1.1 is no host name). */
export const host = makeExactValidator<string>((value) => {
  if (isIP(value) === 0 && (!HOSTNAME.test(value) || /^[\d.]+$/.test(value))) {
    throw new EnvError(`must be an IP address or a host name (got ${JSON.stringify(value)})`);
  }
  return value;
});

/** One of `allowed`, spelled exactly. */
export const oneOf = <T extends string>(allowed: readonly T[]) =>
  makeExactValidator<T>((value) => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new EnvError(`must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
    }
    return value as T;
  });

/** `true` or `false`. */
export const boolean = makeExactValidator<boolean>((value) => {
  if (value !== 'true' && value !== 'false') throw new EnvError(`must be one of true, false (got ${JSON.stringify(value)})`);
  return value === 'true';
});

/** Any text (a path, say). */
export const text = makeExactValidator<string>((value) => value);

/** A postgres:// URL. Never echoes the value unredacted: it may hold a password. */
export const postgresUrl = makeExactValidator<string>((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError('must be a URL such as postgres://user:password@host:5432/db');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new EnvError(`must use the postgres:// or postgresql:// scheme (got ${JSON.stringify(redactUrl(value))})`);
  }
  if (url.hostname === '' && !url.searchParams.has('host')) throw new EnvError('must name a host');
  return value;
});

/** host:port, [v6]:port, or a gRPC name-resolver URI such as dns:///quotes:9005. */
export const grpcTarget = makeExactValidator<string>((value) => {
  const hostPort = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(value);
  if (hostPort ? Number(hostPort[2]) >= 1 && Number(hostPort[2]) <= 65535 : /^(dns|ipv4|ipv6|unix):\S+$/.test(value)) return value;
  throw new EnvError(`must be host:port or a gRPC target URI such as dns:///quotes:9005 (got ${JSON.stringify(value)})`);
});

/** An http:// or https:// base URL. */
export const httpUrl = makeExactValidator<string>((value) => {
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new EnvError(`must be an http:// or https:// URL (got ${JSON.stringify(value)})`);
  return value;
});

/** A bearer token: at least `minLength` characters, no whitespace. Only its length is ever named. */
export const secret = (minLength: number, hint = '') =>
  makeExactValidator<string>((value) => {
    if (value.length < minLength) throw new EnvError(`must be at least ${minLength} characters (got ${value.length})${hint}`);
    if (/\s/.test(value)) throw new EnvError('must not contain whitespace');
    return value;
  });

/** What a schema's variables hold once read: envalid's output types, as a plain object. */
export type EnvValues<S> = { -readonly [K in keyof S]: K extends keyof CleanedEnv<S> ? CleanedEnv<S>[K] : never };

/**
 * Reads `env` through `schema` (envalid specs), collecting every problem so one run reports them all.
 * Values are trimmed, and an empty value counts as unset, as in most .env templates.
 * `rules` adds the checks that span variables; it sees `undefined` for a variable that was invalid.
 *
 * @throws ConfigValidationError naming every bad variable and why, in schema order, then the rules' issues.
 */
export function readEnv<S extends Record<string, ValidatorSpec<unknown>>>(
  env: Env,
  schema: S,
  rules?: (values: EnvValues<S>, fail: (variable: keyof S & string, reason: string) => void) => void,
): EnvValues<S> {
  const present: Env = {};
  for (const name of Object.keys(schema)) {
    const value = env[name];
    if (typeof value === 'string' && value.trim() !== '') present[name] = value.trim();
  }
  const issues: ConfigIssue[] = [];
  const cleaned = cleanEnv(present, schema, {
    reporter: ({ errors }) => {
      for (const name of Object.keys(schema)) {
        const error = (errors as Record<string, Error | undefined>)[name];
        if (error) issues.push({ variable: name, reason: error.message });
      }
    },
  });
  // A plain copy: envalid's result is a proxy that throws on unknown keys.
  const values = Object.fromEntries(Object.keys(schema).map((name) => [name, issues.some((i) => i.variable === name) ? undefined : (cleaned as Record<string, unknown>)[name]])) as EnvValues<S>;
  rules?.(values, (variable, reason) => issues.push({ variable, reason }));
  if (issues.length > 0) throw new ConfigValidationError(issues);
  return values;
}

/** The variables a schema declares and their defaults (`undefined`: unset by default), for docs checks. */
export function describeSchema(schema: Record<string, object>): { name: string; default: unknown }[] {
  return Object.entries(schema).map(([name, spec]) => ({ name, default: (spec as { default?: unknown }).default }));
}
