import { formatHost } from '../../shared/src/grpc/format-host.js';

/** A listener of the daemon, and the variables that choose its address. */
export interface Listener {
  /** What listens, for the message: `the gRPC API`, `HTTP`, ... */
  what: string;
  host: string;
  port: number;
  /** The variable of the host; absent when the host is fixed (the in-process downstream). */
  hostVariable?: string;
  portVariable: string;
}

/** Why a listen failed, as an operator would fix it: a bad host, or a port taken. */
type Reason = { kind: 'host' | 'port' | 'other'; text: string };

/**
 * A listener that could not bind: names the address and the variable to change.
 * `startupFailureMessage` turns it into the daemon's one line.
 */
export class ListenError extends Error {
  override readonly name = 'ListenError';

  constructor(
    readonly listener: Listener,
    override readonly cause: unknown,
  ) {
    super(describe(listener, reasonOf(cause)));
  }
}

/** Works across module copies. */
export function isListenError(error: unknown): error is ListenError {
  return error instanceof Error && error.name === 'ListenError' && typeof (error as ListenError).listener === 'object';
}

/** Runs `listen`; a failure becomes a {@link ListenError} for `listener`. */
export async function listenAs<T>(listener: Listener, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    throw new ListenError(listener, error);
  }
}

function describe(listener: Listener, reason: Reason): string {
  const { what, host, port, hostVariable, portVariable } = listener;
  const either = hostVariable ? `${hostVariable} / ${portVariable}` : portVariable;
  const variable = reason.kind === 'host' && hostVariable ? hostVariable : reason.kind === 'port' ? portVariable : either;
  // A host problem of a listener whose host is fixed is not the variable's fault.
  const settles = reason.kind === 'port' || (reason.kind === 'host' && hostVariable !== undefined);
  const fix = settles ? `set ${variable}` : `check ${variable}`;
  return `cannot listen on ${formatHost(host)}:${port} for ${what}: ${reason.text} (${fix})`;
}

/**
 * The cause in an operator's words. Node errors carry a `code`; grpc-js folds them into its message
 * (`No address added out of total 1 resolved errors: [listen EADDRINUSE: ...]`).
 */
function reasonOf(cause: unknown): Reason {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const text = `${typeof code === 'string' ? code : ''} ${message}`;
  if (/\bEADDRINUSE\b/.test(text)) return { kind: 'port', text: 'the port is in use by another process' };
  if (/\bEACCES\b/.test(text)) return { kind: 'port', text: 'permission denied (ports below 1024 need privileges)' };
  if (/\bEADDRNOTAVAIL\b/.test(text)) return { kind: 'host', text: 'the address is not one of this machine' };
  if (/\b(ENOTFOUND|EAI_AGAIN|EAI_NONAME)\b|Name resolution failed/.test(text)) return { kind: 'host', text: 'the host name does not resolve' };
  return { kind: 'other', text: oneLine(message) };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
