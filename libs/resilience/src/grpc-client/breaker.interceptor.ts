import type {
  Deadline,
  Interceptor,
  InterceptingCall,
  InterceptingListener,
  InterceptorOptions,
  Metadata,
  NextCall,
  StatusObject,
} from '@grpc/grpc-js';
import { RETRY_AFTER_MS_METADATA } from '../breaker/breaker-exception.filter.js';
import type { BreakerRegistry } from '../breaker/breaker.registry.js';
import type { BreakerPermit } from '../breaker/circuit-breaker.policy.js';
import { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { isCircuitBreakerTimeoutError } from '../breaker/errors/circuit-breaker-timeout.error.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { loadGrpcJs } from '../grpc/grpc-js.loader.js';
import { currentIncomingCall, type IncomingCall } from '../grpc/incoming-call.js';
import type { RetryOptions } from '../retry/retry.options.js';
import { GRPC_RETRY_PUSHBACK_METADATA } from '../retry/retry-after.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { GrpcStatusError } from './grpc-status.error.js';
import { grpcRetryOn, grpcStatusKind, type GrpcClassificationOptions } from './grpc-status.classifier.js';

/** Options of {@link breakerInterceptor}. */
export interface BreakerInterceptorOptions {
  /** Where a breaker given by name is found (created there with its defaults if missing). Required with a name. */
  registry?: Pick<BreakerRegistry, 'get' | 'getOrCreate'>;
  /**
   * Retries of unary calls: a `RetryPolicy` (shared with other clients, its `retryOn` decides), or options for one
   * owned by this interceptor (`retryOn` defaults to `grpcRetryOn()`: `UNAVAILABLE` and open-breaker rejections).
   * Default: no retry. Streaming calls are never retried.
   */
  retry?: RetryPolicy | RetryOptions;
  /** Deadline (ms from the call's start) for calls made without one. Default: none. */
  deadlineMs?: number;
  /**
   * How statuses count in the breaker: the gRPC client preset (see `grpcStatusKind`), with its options; `false`
   * reports every non-OK status as a failure and leaves the classification to the breaker's own options.
   * Default `{}` (the preset, `RESOURCE_EXHAUSTED` a failure).
   */
  classification?: GrpcClassificationOptions | false;
  /**
   * Calls made while a `GrpcServer` handles an incoming call (`currentIncomingCall()`) take its deadline when
   * that is earlier than their own (so a caller with 300 ms left never starts a 1 s call), and are cancelled on
   * the wire when it is cancelled; a DEADLINE_EXCEEDED that the incoming deadline caused is ignored by the
   * breaker (the caller ran out of time, the dependency did not fail). Default true.
   */
  propagate?: boolean;
}

// gRPC status codes used here (grpc-js is loaded only when a call is made, as the rest of the gRPC part does).
const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof BreakerInterceptorOptions>(['registry', 'retry', 'deadlineMs', 'classification', 'propagate']);

/** What every call of one interceptor shares. */
interface Guard {
  breaker(): CircuitBreakerPolicy;
  readonly retry: RetryPolicy | undefined;
  readonly deadlineMs: number | undefined;
  readonly classification: GrpcClassificationOptions | undefined;
  readonly propagate: boolean;
}

/** What a call takes from the incoming call it is made for. */
interface Inherited {
  /** Cancels the call when the incoming one is cancelled. */
  readonly signal: AbortSignal | undefined;
  /** The incoming deadline is the call's (earlier than its own): a DEADLINE_EXCEEDED is then the caller's. */
  readonly deadlineIsCallers: boolean;
}

const NOTHING_INHERITED: Inherited = { signal: undefined, deadlineIsCallers: false };

/**
 * A grpc-js client interceptor that puts every call of a client through a circuit breaker, with optional
 * retries and a default deadline, so a client made by `ClientsModule` / `ClientGrpc` (pass it in
 * `channelOptions.interceptors`) or by plain grpc-js (`new Client(target, credentials, { interceptors })`) is
 * guarded without wrapping each method. The breaker's and the retry's events and metrics are the policies' own.
 *
 * - A call the breaker rejects never reaches the wire: the caller gets `UNAVAILABLE` with the breaker's message
 *   and `retry-after-ms` plus `grpc-retry-pushback-ms` (gRFC A6, the same ms) in the trailing metadata (when
 *   FORCED_OPEN: only `grpc-retry-pushback-ms: -1`, do not retry).
 * - Statuses count as the gRPC client preset says (`grpcStatusKind`); a call the caller cancels is ignored.
 * - With the breaker's `timeoutMs`, a call still running then is cancelled on the wire (the server sees it
 *   cancelled) and the caller gets `DEADLINE_EXCEEDED`; the breaker counts a timeout.
 * - Unary calls may be retried: each attempt goes through the breaker, every attempt shares the call's deadline
 *   (so retries never extend it), no retry starts whose wait would end past it, the server's
 *   `grpc-retry-pushback-ms` is obeyed, and the response metadata and message are delivered from the attempt that
 *   answered. Streaming calls take one permit for the whole call and are never retried.
 *
 * - Made while a `GrpcServer` handles a call (`propagate`, default on), a call gets at most the incoming call's
 *   remaining time as its deadline and is cancelled on the wire (the server sees CANCELLED) when the incoming
 *   call is cancelled.
 *
 * @param breaker the breaker, or its name in `options.registry` (resolved at the first call).
 * @throws InvalidOptionError for bad options (at construction).
 */
export function breakerInterceptor(breaker: CircuitBreakerPolicy | string, options: BreakerInterceptorOptions = {}): Interceptor {
  const guard = resolveGuard(breaker, options);
  return (callOptions: InterceptorOptions, nextCall: NextCall): InterceptingCall => {
    const definition = callOptions.method_definition;
    const own = callOptions.deadline ?? (guard.deadlineMs === undefined ? undefined : Date.now() + guard.deadlineMs);
    const incoming = guard.propagate ? currentIncomingCall() : undefined;
    const deadlineIsCallers = incoming !== undefined && Number.isFinite(incoming.deadline) && !(epochMs(own) <= incoming.deadline);
    const deadline = deadlineIsCallers ? incoming.deadline : own;
    const inherited = incoming === undefined ? NOTHING_INHERITED : inherit(incoming, deadlineIsCallers);
    const attemptOptions = deadline === callOptions.deadline ? callOptions : { ...callOptions, deadline };
    const call =
      definition.requestStream || definition.responseStream
        ? new StreamingGuardedCall(guard, attemptOptions, nextCall, inherited)
        : new UnaryGuardedCall(guard, attemptOptions, nextCall, deadline, inherited);
    return new (loadGrpcJs().InterceptingCall)(call);
  };
}

/** A deadline as epoch ms; Infinity for none. */
function epochMs(deadline: Deadline | undefined): number {
  if (deadline === undefined) return Number.POSITIVE_INFINITY;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function inherit(incoming: IncomingCall, deadlineIsCallers: boolean): Inherited {
  return { signal: incoming.signal, deadlineIsCallers };
}

function resolveGuard(breaker: CircuitBreakerPolicy | string, options: BreakerInterceptorOptions): Guard {
  const owner = 'breakerInterceptor()';
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(owner, 'options', options, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InvalidOptionError(owner, key, (options as Record<string, unknown>)[key], 'is not an option');
  }
  const { registry, retry, deadlineMs, classification, propagate } = options;
  if (propagate !== undefined && typeof propagate !== 'boolean') throw new InvalidOptionError(owner, 'propagate', propagate, 'must be a boolean');
  if (deadlineMs !== undefined && !(typeof deadlineMs === 'number' && Number.isFinite(deadlineMs) && deadlineMs > 0)) {
    throw new InvalidOptionError(owner, 'deadlineMs', deadlineMs, 'must be a positive finite number of ms');
  }
  if (classification !== undefined && classification !== false && (typeof classification !== 'object' || classification === null)) {
    throw new InvalidOptionError(owner, 'classification', classification, 'must be an object of GrpcClassificationOptions or false');
  }
  let resolveBreaker: () => CircuitBreakerPolicy;
  let name: string;
  if (breaker instanceof CircuitBreakerPolicy) {
    resolveBreaker = () => breaker;
    name = breaker.name;
  } else if (typeof breaker === 'string' && breaker.trim() !== '') {
    if (registry === undefined || typeof registry.get !== 'function' || typeof registry.getOrCreate !== 'function') {
      throw new InvalidOptionError(owner, 'registry', registry, `must be a BreakerRegistry to find the breaker named ${JSON.stringify(breaker)}`);
    }
    let resolved: CircuitBreakerPolicy | undefined;
    resolveBreaker = () => (resolved ??= registry.get(breaker) ?? registry.getOrCreate(breaker));
    name = breaker;
  } else {
    throw new InvalidOptionError(owner, 'breaker', breaker, 'must be a CircuitBreakerPolicy or the name of one');
  }
  let retryPolicy: RetryPolicy | undefined;
  if (retry instanceof RetryPolicy) retryPolicy = retry;
  else if (retry !== undefined) {
    if (typeof retry !== 'object' || retry === null) throw new InvalidOptionError(owner, 'retry', retry, 'must be a RetryPolicy or RetryOptions');
    retryPolicy = new RetryPolicy({ name, retryOn: grpcRetryOn(), ...retry });
  }
  return {
    breaker: resolveBreaker,
    retry: retryPolicy,
    deadlineMs,
    classification: classification === false ? undefined : (classification ?? {}),
    propagate: propagate ?? true,
  };
}

/** A call below this interceptor (grpc-js does not export its interface by name). */
type InterceptingCallInterface = ReturnType<NextCall>;
type MessageContext = Parameters<InterceptingCallInterface['sendMessageWithContext']>[0];
type AuthContext = NonNullable<ReturnType<InterceptingCallInterface['getAuthContext']>>;

/** The listener methods a guarded call hands statuses to (grpc-js fills in the missing ones). */
type Listener = Partial<InterceptingListener>;

const ONCE = { once: true };

/**
 * A unary call: the request is kept until the caller half-closes, then each attempt is a fresh call below this
 * interceptor, admitted by the breaker; what the caller sees comes from the attempt that ended the call.
 */
class UnaryGuardedCall implements InterceptingCallInterface {
  private listener: Listener = {};
  private metadata: Metadata | undefined;
  private message: unknown;
  private context: MessageContext = {};
  private readonly controller = new AbortController();
  /** The attempt in flight. */
  private current: InterceptingCallInterface | undefined;
  private started = false;
  private finished = false;

  constructor(
    private readonly guard: Guard,
    private readonly options: InterceptorOptions,
    private readonly nextCall: NextCall,
    private readonly deadline: Deadline | undefined,
    private readonly inherited: Inherited,
  ) {}

  start(metadata: Metadata, listener?: Listener): void {
    this.metadata = metadata;
    this.listener = listener ?? {};
    followIncoming(this.inherited.signal, this);
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    this.context = context;
    this.message = message;
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  /** The attempt below reads its one response itself. */
  startRead(): void {}

  halfClose(): void {
    if (this.started || this.finished) return;
    this.started = true;
    const refusal = this.refusedByIncoming();
    if (refusal !== undefined) {
      // Nothing is sent: the answer could not reach the caller in time, or the caller is gone.
      process.nextTick(() => this.deliver({ status: { ...refusal, metadata: newMetadata() } }));
      return;
    }
    const retry = this.guard.retry;
    const signal = this.controller.signal;
    const answer =
      retry === undefined
        ? this.attempt()
        : retry.execute(() => this.attempt(), signal, retryDeadline(retry, this.deadline));
    answer.then(
      (result) => this.deliver(result),
      (error: unknown) => this.deliver(statusOf(error)),
    );
  }

  cancelWithStatus(code: number, details: string): void {
    if (this.finished) return;
    this.controller.abort(new GrpcStatusError({ code, details, metadata: newMetadata() }));
    // Not started yet: nothing below to cancel, the caller's status is the answer.
    if (!this.started) this.deliver({ status: { code, details, metadata: newMetadata() } });
  }

  getPeer(): string {
    return this.current?.getPeer() ?? '';
  }

  getAuthContext(): AuthContext | null {
    return this.current?.getAuthContext() ?? null;
  }

  /** Why the incoming call this one is made for leaves it nothing to do: cancelled, or out of time. */
  private refusedByIncoming(): { code: number; details: string } | undefined {
    if (this.inherited.signal?.aborted) return { code: CANCELLED, details: 'Cancelled: the incoming call it was made for was cancelled or ran out of time' };
    if (this.inherited.deadlineIsCallers && epochMs(this.deadline) <= Date.now()) {
      return { code: DEADLINE_EXCEEDED, details: 'Deadline exceeded: the incoming call it was made for has no time left' };
    }
    return undefined;
  }

  /** One attempt through the breaker: resolves with an OK answer, rejects with the status (or the breaker's error). */
  private attempt(): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let permit: BreakerPermit;
      try {
        permit = this.guard.breaker().tryAcquire(this.controller.signal);
      } catch (error) {
        reject(error);
        return;
      }
      const call = this.nextCall(this.options);
      this.current = call;
      let headers: Metadata | undefined;
      let response: unknown = null;
      let settled = false;
      const signal = permit.signal;
      // The breaker's timeout, or the caller's cancel: the attempt ends now and is cancelled on the wire.
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        const reason: unknown = signal.reason;
        permit.cancel();
        call.cancelWithStatus(CANCELLED, isCircuitBreakerTimeoutError(reason) ? reason.message : 'Cancelled on client');
        reject(reason);
      };
      signal.addEventListener('abort', onAbort, ONCE);
      call.start(this.metadata?.clone() ?? newMetadata(), {
        onReceiveMetadata: (metadata: Metadata) => {
          headers = metadata;
        },
        onReceiveMessage: (message: unknown) => {
          response = message;
        },
        onReceiveStatus: (status: StatusObject) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (status.code === OK) {
            permit.success(response);
            resolve({ headers, message: response, status });
            return;
          }
          const error = new GrpcStatusError(status, headers);
          // The caller's time ran out, not the dependency's: nothing to count.
          if (status.code === DEADLINE_EXCEEDED && this.inherited.deadlineIsCallers) permit.cancel();
          else report(permit, error, this.guard.classification);
          reject(error);
        },
      });
      call.sendMessageWithContext(this.context, this.message);
      call.halfClose();
    });
  }

  private deliver(answer: Answer): void {
    if (this.finished) return;
    this.finished = true;
    unfollowIncoming(this.inherited.signal, this);
    const listener = this.listener;
    if (answer.headers !== undefined) listener.onReceiveMetadata?.(answer.headers);
    listener.onReceiveMessage?.(answer.message ?? null);
    listener.onReceiveStatus?.(answer.status);
  }
}

/**
 * A streaming call: one breaker permit for the whole call, taken at start, settled by the final status; every
 * operation passes through to the call below. Never retried.
 */
class StreamingGuardedCall implements InterceptingCallInterface {
  private readonly controller = new AbortController();
  private inner: InterceptingCallInterface | undefined;
  private permit: BreakerPermit | undefined;
  private finished = false;

  constructor(
    private readonly guard: Guard,
    private readonly options: InterceptorOptions,
    private readonly nextCall: NextCall,
    private readonly inherited: Inherited,
  ) {}

  start(metadata: Metadata, listener?: Listener): void {
    followIncoming(this.inherited.signal, this);
    let permit: BreakerPermit;
    try {
      permit = this.guard.breaker().tryAcquire(this.controller.signal);
    } catch (error) {
      this.finished = true;
      // After the caller has attached its stream handlers.
      process.nextTick(() => listener?.onReceiveStatus?.(statusOf(error).status));
      return;
    }
    this.permit = permit;
    const inner = this.nextCall(this.options);
    this.inner = inner;
    const signal = permit.signal;
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      if (isCircuitBreakerTimeoutError(reason)) inner.cancelWithStatus(DEADLINE_EXCEEDED, reason.message);
    };
    signal.addEventListener('abort', onAbort, ONCE);
    inner.start(metadata, {
      onReceiveMetadata: (received: Metadata) => listener?.onReceiveMetadata?.(received),
      onReceiveMessage: (message: unknown) => listener?.onReceiveMessage?.(message),
      onReceiveStatus: (status: StatusObject) => {
        signal.removeEventListener('abort', onAbort);
        unfollowIncoming(this.inherited.signal, this);
        if (!this.finished) {
          this.finished = true;
          if (status.code === OK) permit.success();
          else if (status.code === DEADLINE_EXCEEDED && this.inherited.deadlineIsCallers) permit.cancel();
          else report(permit, new GrpcStatusError(status), this.guard.classification);
        }
        listener?.onReceiveStatus?.(status);
      },
    });
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    this.inner?.sendMessageWithContext(context, message);
  }

  sendMessage(message: unknown): void {
    this.inner?.sendMessage(message);
  }

  startRead(): void {
    this.inner?.startRead();
  }

  halfClose(): void {
    this.inner?.halfClose();
  }

  cancelWithStatus(code: number, details: string): void {
    // The caller's cancel: ignored by the breaker.
    this.controller.abort(new GrpcStatusError({ code, details, metadata: newMetadata() }));
    if (!this.finished) {
      this.finished = true;
      this.permit?.cancel();
    }
    this.inner?.cancelWithStatus(code, details);
  }

  getPeer(): string {
    return this.inner?.getPeer() ?? '';
  }

  getAuthContext(): AuthContext | null {
    return this.inner?.getAuthContext() ?? null;
  }
}

/** The cancel of each call following an incoming call's signal (one listener per call, removed when it ends). */
const incomingCancels = new WeakMap<object, () => void>();

/** Cancels `call` (CANCELLED, as a caller's cancel) when the incoming call's `signal` aborts; at once if it already has. */
function followIncoming(signal: AbortSignal | undefined, call: { cancelWithStatus(code: number, details: string): void }): void {
  if (signal === undefined) return;
  const cancel = (): void => call.cancelWithStatus(CANCELLED, 'Cancelled: the incoming call it was made for was cancelled or ran out of time');
  if (signal.aborted) {
    // After the caller has attached its handlers.
    process.nextTick(cancel);
    return;
  }
  incomingCancels.set(call, cancel);
  signal.addEventListener('abort', cancel, ONCE);
}

function unfollowIncoming(signal: AbortSignal | undefined, call: object): void {
  const cancel = incomingCancels.get(call);
  if (signal === undefined || cancel === undefined) return;
  incomingCancels.delete(call);
  signal.removeEventListener('abort', cancel);
}

/** What the caller of a unary call receives. */
interface Answer {
  readonly headers?: Metadata;
  readonly message?: unknown;
  readonly status: StatusObject;
}

/** Settles a permit for a non-OK status by the classification (or as a failure without one). */
function report(permit: BreakerPermit, error: GrpcStatusError, classification: GrpcClassificationOptions | undefined): void {
  if (classification !== undefined && grpcStatusKind(error.code, classification) === 'ignore') permit.cancel();
  else permit.failure(error);
}

/** The status the caller gets for an error that ended its call. */
function statusOf(error: unknown): Answer {
  if (error instanceof GrpcStatusError) return { headers: error.headers, status: { code: error.code, details: error.details, metadata: error.metadata } };
  const metadata = newMetadata();
  if (isCircuitBreakerOpenError(error)) {
    if (error.retryAfterMs >= 0 && Number.isFinite(error.retryAfterMs)) {
      const ms = String(Math.ceil(error.retryAfterMs));
      metadata.set(RETRY_AFTER_MS_METADATA, ms);
      metadata.set(GRPC_RETRY_PUSHBACK_METADATA, ms);
    } else metadata.set(GRPC_RETRY_PUSHBACK_METADATA, '-1');
    return { status: { code: UNAVAILABLE, details: error.message, metadata } };
  }
  if (isCircuitBreakerTimeoutError(error)) return { status: { code: DEADLINE_EXCEEDED, details: error.message, metadata } };
  return { status: { code: UNKNOWN, details: error instanceof Error ? error.message : String(error), metadata } };
}

/** The call's deadline as a reading of the retry policy's clock (grpc-js deadlines are wall-clock ms). */
function retryDeadline(retry: RetryPolicy, deadline: Deadline | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? retry.clock.now() + (at - Date.now()) : undefined;
}

function newMetadata(): Metadata {
  return new (loadGrpcJs().Metadata)();
}
