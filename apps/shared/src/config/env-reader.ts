import { isIP } from 'node:net';
import type { LogLevel } from '@nestjs/common';
import type { LogFormat } from '../logging/create-logger.js';
import type { ConfigIssue } from './config-validation.error.js';
import { redactUrl } from './redact.js';

/** Raw environment: what `process.env` and `.env` provide. */
export type Env = Record<string, string | undefined>;

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Reads variables, collecting every problem so one run reports them all. */
export class EnvReader {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly env: Env) {}

  /** The trimmed value; an empty string counts as unset, as in most .env templates. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    if (typeof value !== 'string') return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  fail(variable: string, reason: string): undefined {
    this.issues.push({ variable, reason });
    return undefined;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(name, `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
      return fallback;
    }
    return n;
  }

  /** Like {@link int}, but with no default: unset stays `undefined` (the feature it configures is off). */
  optionalInt(name: string, min: number, max: number): number | undefined {
    if (this.raw(name) === undefined) return undefined;
    const issues = this.issues.length;
    const n = this.int(name, Number.NaN, min, max);
    return this.issues.length > issues ? undefined : n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  host(name: string, fallback: string): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    // Digits and dots only is an IPv4 address or nothing: 256.1.1.1 is not a host name (its last label is numeric).
    if (isIP(value) === 0 && (!HOSTNAME.test(value) || /^[\d.]+$/.test(value))) {
      return this.fail(name, `must be an IP address or a host name (got ${JSON.stringify(value)})`) ?? fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      return this.fail(name, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`) ?? fallback;
    }
    return value as T;
  }

  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      // Never echo the value: it may hold a password.
      return this.fail(name, 'must be a URL such as postgres://user:password@host:5432/db');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      return this.fail(name, `must use the postgres:// or postgresql:// scheme (got ${JSON.stringify(redactUrl(value))})`);
    }
    if (url.hostname === '' && !url.searchParams.has('host')) {
      return this.fail(name, 'must name a host');
    }
    return value;
  }

  grpcTarget(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    // host:port, [v6]:port, or a gRPC name-resolver URI such as dns:///quotes:9005.
    const hostPort = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(value);
    if (hostPort) {
      const port = Number(hostPort[2]);
      if (port >= 1 && port <= 65535) return value;
    } else if (/^(dns|ipv4|ipv6|unix):\S+$/.test(value)) {
      return value;
    }
    return this.fail(name, `must be host:port or a gRPC target URI such as dns:///quotes:9005 (got ${JSON.stringify(value)})`);
  }
}
