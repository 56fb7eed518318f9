import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The gRPC call a server is handling, as the work it starts sees it: the client's deadline and a signal
 * aborted when the client cancels. `GrpcServer` makes it current for every handler (and everything the
 * handler awaits), so `breakerInterceptor` caps the deadline of the downstream calls made meanwhile and
 * cancels them with it; `currentIncomingCall()` reads it, e.g. to hand the signal to a `@BreakerSignal()`
 * parameter.
 */
export interface IncomingCall {
  /** Epoch ms (grpc-js deadlines are wall-clock) by which the client wants its answer; `Infinity` without a deadline. */
  readonly deadline: number;
  /**
   * Aborted when the client cancels the call or goes away, and when the deadline passes (the answer can no longer
   * be delivered): the reason is a `DOMException` named `AbortError` or `TimeoutError`. Built on first read.
   */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline (never negative; `Infinity` without one). */
  remainingMs(): number;
  /**
   * True until the handler has answered. Work that outlives its call (a timer armed by the handler) still sees
   * the call in its async context; `currentIncomingCall()` no longer returns it then.
   */
  readonly active: boolean;
}

/** The parts of a grpc-js server call read here (`ServerUnaryCall`, `ServerWritableStream`, …). */
export interface ServerCallLike {
  getDeadline(): Date | number;
  on(event: 'cancelled', listener: () => void): unknown;
  readonly cancelled?: boolean;
}

const storage = new AsyncLocalStorage<IncomingCallState>();
/**
 * Calls inside their context and not answered yet. The storage is enabled only while there is one: on Node 20 and
 * 22 an enabled AsyncLocalStorage runs async hooks for every promise of the process (measured: ~20 µs per call of
 * a gRPC daemon, 10–20 % of its throughput), so a process whose context methods are idle pays nothing.
 */
let open = 0;
/**
 * Where a call keeps its state: a property of the call object rather than a WeakMap entry, since one WeakMap
 * entry per call costs ~20 µs of garbage collection per call under load (ephemerons), a symbol property nothing.
 */
const STATE = Symbol.for('@engined/resilience/IncomingCall');

class IncomingCallState implements IncomingCall {
  readonly deadline: number;
  active = true;
  /** Counted in {@link open} (entered through `runInIncomingCall`, not answered yet). */
  entered = false;
  private controller: AbortController | undefined;
  private built: AbortSignal | undefined;
  private cancelled: boolean;

  constructor(call: ServerCallLike) {
    const at = call.getDeadline();
    const ms = at instanceof Date ? at.getTime() : at;
    this.deadline = typeof ms === 'number' && !Number.isNaN(ms) ? ms : Number.POSITIVE_INFINITY;
    this.cancelled = call.cancelled === true;
    call.on('cancelled', () => {
      // grpc-js also reports 'cancelled' right after sending every status: once the handler has answered, that is
      // the call's end, not its client giving up, and work the handler left running is not aborted for it.
      if (!this.active) return;
      this.cancelled = true;
      this.controller?.abort(new DOMException('the client cancelled the call', 'AbortError'));
    });
  }

  get signal(): AbortSignal {
    if (this.built !== undefined) return this.built;
    this.controller = new AbortController();
    if (this.cancelled) this.controller.abort(new DOMException('the client cancelled the call', 'AbortError'));
    // Unref'd by Node: a call that ends first leaves no timer holding the process.
    const deadline = Number.isFinite(this.deadline) ? [AbortSignal.timeout(this.remainingMs())] : [];
    this.built = deadline.length === 0 ? this.controller.signal : AbortSignal.any([this.controller.signal, ...deadline]);
    return this.built;
  }

  remainingMs(): number {
    return Number.isFinite(this.deadline) ? Math.max(0, this.deadline - Date.now()) : Number.POSITIVE_INFINITY;
  }

  /** The handler answered. */
  end(): void {
    this.active = false;
    if (!this.entered) return;
    this.entered = false;
    // Nothing in a context any more: stop the hooks. Work left behind by answered calls keeps its store but sees `active` false.
    if (--open === 0) storage.disable();
  }
}

/** The {@link IncomingCall} of a grpc-js server call (the third argument of a Nest `@GrpcMethod` handler); the same object for the same call. */
export function incomingCallOf(call: ServerCallLike): IncomingCall {
  return stateOf(call);
}

function stateOf(call: ServerCallLike): IncomingCallState {
  const holder = call as ServerCallLike & { [STATE]?: IncomingCallState };
  let state = holder[STATE];
  if (state === undefined) {
    state = new IncomingCallState(call);
    Object.defineProperty(holder, STATE, { value: state, configurable: true });
  }
  return state;
}

/** The gRPC call being handled in this async context (see {@link IncomingCall}); undefined outside one, or once it has been answered. */
export function currentIncomingCall(): IncomingCall | undefined {
  const state = storage.getStore();
  return state?.active ? state : undefined;
}

/**
 * Runs `handler` with `call` as the current incoming call; `answered` (wrap the callback with it) ends it.
 * `GrpcServer` does this for every method; a server built otherwise can do the same.
 */
export function runInIncomingCall<T>(call: ServerCallLike, handler: (answered: () => void) => T): T {
  const state = stateOf(call);
  // Answered already: it would never be current again (see `active`), so no context to open.
  if (!state.active) return handler(() => undefined);
  if (!state.entered) {
    state.entered = true;
    open++;
  }
  return storage.run(state, () => handler(() => state.end()));
}

/** @internal Calls in their context now (tests). */
export function openIncomingCalls(): number {
  return open;
}
