import type { ReadableStreamReadResult } from 'node:stream/web';

/** Where the admin commands send their requests, and with which token. */
export interface AdminTarget {
  /** `http://host:port` of the daemon's HTTP side. */
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

/** A request the daemon answered with an error, or could not be sent: printed as one line. */
export class AdminRequestError extends Error {}

/** The bad usage of an admin command (exit code 2). */
export class AdminUsageError extends Error {}

const PREFIX = '/resilience';
const BREAKER_ACTIONS = ['force-open', 'disable', 'metrics-only', 'reset'];

export const ADMIN_USAGE = `admin commands (the HTTP admin API; the daemon must run with ADMIN_TOKEN set):
  breakers                                         every circuit breaker: state, reason, metrics, options
  breaker <name>                                   one breaker
  breaker <name> force-open|disable|metrics-only|reset --reason <why>
                                                   an operator action (audited with the reason)
  components                                       every health component: status, last check, heal state, history
  events [--since <id>] [--follow]                 the event history; --follow streams new events until Ctrl-C

admin options:
  --http <url>          the daemon's HTTP side (default $ENGINED_HTTP, else http://127.0.0.1:9004)
  --token <token>       the admin token (default $ADMIN_TOKEN)
  --reason <why>        why an operator action is taken (required for breaker actions)
  --since <id>          events after this id (default: every kept event)`;

/** The admin commands the CLI knows. */
export const ADMIN_COMMANDS: ReadonlySet<string> = new Set(['breakers', 'breaker', 'components', 'events']);

export interface AdminCommandValues {
  readonly reason?: string;
  readonly since?: string;
  readonly follow?: boolean;
}

/**
 * Runs one admin command and returns what to print (JSON), or, for `events --follow`, prints each
 * event as one JSON line through `print` until `signal` aborts or the daemon ends the stream.
 */
export async function runAdminCommand(
  command: string,
  args: readonly string[],
  values: AdminCommandValues,
  target: AdminTarget,
  print: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  switch (command) {
    case 'breakers':
      return request(target, 'GET', '/breakers');
    case 'breaker': {
      const [name, action] = args;
      if (name === undefined) throw new AdminUsageError('breaker needs a breaker name (see: breakers)');
      if (action === undefined) return request(target, 'GET', `/breakers/${encodeURIComponent(name)}`);
      if (!BREAKER_ACTIONS.includes(action)) throw new AdminUsageError(`unknown breaker action "${action}" (one of ${BREAKER_ACTIONS.join(', ')})`);
      if (values.reason === undefined || values.reason.trim() === '') throw new AdminUsageError(`breaker ${action} needs --reason <why>`);
      return request(target, 'POST', `/breakers/${encodeURIComponent(name)}/${action}`, { reason: values.reason });
    }
    case 'components':
      return request(target, 'GET', '/components');
    case 'events': {
      const since = values.since;
      if (since !== undefined && !/^\d+$/.test(since)) throw new AdminUsageError('--since must be an event id (a non-negative integer)');
      if (!values.follow) return request(target, 'GET', `/events${since === undefined ? '' : `?since=${since}`}`);
      await follow(target, since ?? '0', print, signal);
      return undefined;
    }
    default:
      throw new AdminUsageError(`unknown command "${command}"`);
  }
}

async function request(target: AdminTarget, method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> {
  const response = await send(target, method, path, AbortSignal.timeout(target.timeoutMs), body);
  return response.json();
}

/** Sends the request; any answer but 2xx becomes an `AdminRequestError` with a message for a person. */
async function send(target: AdminTarget, method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: object, accept = 'application/json'): Promise<Response> {
  const url = `${target.baseUrl}${PREFIX}${path}`;
  const headers: Record<string, string> = { accept };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, body === undefined ? { method, headers, signal } : { method, headers, body: JSON.stringify(body), signal });
  } catch (error) {
    if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError') {
      throw new AdminRequestError(`no answer from ${target.baseUrl} within ${target.timeoutMs} ms`);
    }
    if (signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AdminRequestError(`cannot reach the daemon's HTTP side at ${target.baseUrl}: ${cause?.code ?? cause?.message ?? String(error)}`);
  }
  if (response.ok) return response;
  throw new AdminRequestError(await describeFailure(response, target));
}

async function describeFailure(response: Response, target: AdminTarget): Promise<string> {
  const answer = (await response.json().catch(() => ({}))) as { code?: string; message?: string | string[] };
  const message = Array.isArray(answer.message) ? answer.message.join('; ') : answer.message;
  switch (response.status) {
    case 401:
      return target.token === undefined
        ? '401 Unauthorized: the admin API needs a token: set ADMIN_TOKEN or pass --token'
        : '401 Unauthorized: the token was not sent as a bearer token';
    case 403:
      return "403 Forbidden: the admin API refused the token (it is not the daemon's ADMIN_TOKEN)";
    case 404:
      if (answer.code === undefined) {
        return `404 Not Found: no admin API at ${target.baseUrl}${PREFIX} (is the daemon started with ADMIN_TOKEN set, and is --http its HTTP port?)`;
      }
      return `404 Not Found: ${message ?? 'not found'}`;
    default:
      return `${response.status} ${response.statusText}: ${message ?? 'request failed'}`;
  }
}

/** Streams `events/stream` from `since`, one JSON line per event (markers included), until aborted or ended. */
async function follow(target: AdminTarget, since: string, print: (line: string) => void, signal: AbortSignal | undefined): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) return;
    const response = await send(target, 'GET', `/events/stream?since=${since}`, controller.signal, undefined, 'text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (controller.signal.aborted) return;
        throw new AdminRequestError(`the event stream broke: ${(error as Error).message}`);
      }
      if (chunk.done) throw new AdminRequestError('the daemon ended the event stream (it is shutting down)');
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const line = eventLine(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (line !== undefined) print(line);
      }
    }
  } catch (error) {
    if (controller.signal.aborted && signal?.aborted) return;
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}

/** One SSE block as a JSON line: the event's data, or `{ event, ...data }` for the stream's markers; comments are skipped. */
function eventLine(block: string): string | undefined {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data = line.slice(6);
  }
  if (data === undefined) return undefined;
  if (event === 'dropped' || event === 'reset') return JSON.stringify({ event, ...(JSON.parse(data) as object) });
  return data;
}
