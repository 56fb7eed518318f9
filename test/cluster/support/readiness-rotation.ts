import {
  type ClientReadableStream,
  type ChannelOptions,
  experimental,
  Metadata,
  status as grpcStatus,
} from '@grpc/grpc-js';
import { createHealthClient, type HealthClient, type ServingStatus } from '../../../apps/engined/src/grpc/grpc-health.client.js';

const SCHEME = 'engined-rotation';
/** Every rotation by id, for the resolver grpc-js constructs from a target `engined-rotation:///<id>`. */
const rotations = new Map<string, ReadinessRotation>();
let registered = false;

/** When one address joined or left the rotation (`Date.now()`), and why. */
export interface RotationChange {
  readonly address: string;
  readonly at: number;
  readonly joined: boolean;
  readonly why: string;
}

/**
 * What a Kubernetes Service does with its endpoints, for a grpc-js channel: an address is in rotation
 * while its `readiness` health service (grpc.health.v1 Watch) says SERVING, and leaves it the moment it
 * says anything else or its stream ends. The channel balances over the addresses in rotation with grpc-js'
 * own `round_robin` (see `channelOptions`): a replica that starts draining on SIGTERM stops getting calls
 * while it still serves the ones it has.
 */
export class ReadinessRotation {
  readonly changes: RotationChange[] = [];
  private readonly serving = new Set<string>();
  private readonly watches = new Map<string, { client: HealthClient; stream: ClientReadableStream<{ status: ServingStatus }> }>();
  private readonly resolvers = new Set<RotationResolver>();
  private readonly waiters = new Set<() => void>();

  constructor(readonly id: string) {
    if (!registered) {
      experimental.registerResolver(SCHEME, RotationResolver);
      registered = true;
    }
    rotations.set(id, this);
  }

  /** The channel target. */
  get target(): string {
    return `${SCHEME}:///${this.id}`;
  }

  /** Channel options: round_robin over the addresses in rotation. */
  get channelOptions(): ChannelOptions {
    return { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };
  }

  /** Addresses in rotation now. */
  get addresses(): string[] {
    return [...this.serving].toSorted();
  }

  /** Starts (or restarts, after a replica came back) following `address`' readiness. */
  follow(address: string): void {
    this.unfollow(address);
    const client = createHealthClient(address);
    const watch = (client as unknown as { Watch(request: { service: string }): ClientReadableStream<{ status: ServingStatus }> }).Watch;
    const stream = watch.call(client, { service: 'readiness' });
    this.watches.set(address, { client, stream });
    stream.on('data', ({ status }: { status: ServingStatus }) => {
      if (status === 'SERVING') this.set(address, true, 'readiness SERVING');
      else this.set(address, false, `readiness ${status}`);
    });
    stream.on('error', () => undefined);
    stream.on('status', ({ code }) => {
      if (this.watches.get(address)?.stream === stream) this.set(address, false, `readiness watch ended (${grpcStatus[code]})`);
    });
  }

  /** Resolves once `condition` holds (re-checked at every change); the caller bounds it. */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  /** The last time `address` left the rotation, if it did. */
  leftAt(address: string): number | undefined {
    return this.changes.findLast((c) => c.address === address && !c.joined)?.at;
  }

  close(): void {
    for (const address of this.watches.keys()) this.unfollow(address);
    rotations.delete(this.id);
  }

  /** @internal */
  attach(resolver: RotationResolver): void {
    this.resolvers.add(resolver);
  }

  /** @internal */
  detach(resolver: RotationResolver): void {
    this.resolvers.delete(resolver);
  }

  /** @internal */
  endpoints(): { addresses: { host: string; port: number }[] }[] {
    return this.addresses.map((address) => {
      const [host, port] = address.split(':');
      return { addresses: [{ host: host!, port: Number(port) }] };
    });
  }

  private unfollow(address: string): void {
    const watch = this.watches.get(address);
    if (watch === undefined) return;
    this.watches.delete(address);
    watch.stream.cancel();
    watch.client.close();
  }

  private set(address: string, joined: boolean, why: string): void {
    if (this.serving.has(address) === joined) return;
    if (joined) this.serving.add(address);
    else this.serving.delete(address);
    this.changes.push({ address, at: Date.now(), joined, why });
    // The channels' pickers change now, synchronously: a call started after this never picks a departed address.
    for (const resolver of this.resolvers) resolver.report();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

type Listener = Parameters<experimental.ResolverListener>;

/** grpc-js resolver for `engined-rotation:///<id>`: the addresses its rotation has in rotation. */
class RotationResolver implements experimental.Resolver {
  private readonly rotation: ReadinessRotation;
  /** The channel asks again whenever a subchannel fails: answer once per change, as grpc-js' ip resolver does. */
  private reported = false;

  constructor(
    target: { path: string },
    private readonly listener: experimental.ResolverListener,
  ) {
    const rotation = rotations.get(target.path.replace(/^\//, ''));
    if (rotation === undefined) throw new Error(`no ReadinessRotation "${target.path}"`);
    this.rotation = rotation;
    rotation.attach(this);
  }

  static getDefaultAuthority(target: { path: string }): string {
    return target.path.replace(/^\//, '');
  }

  updateResolution(): void {
    // grpc-js keeps a destroyed resolver (the channel went idle) and asks it again when it leaves idle.
    this.rotation.attach(this);
    if (this.reported) return;
    this.reported = true;
    process.nextTick(() => this.report());
  }

  destroy(): void {
    this.rotation.detach(this);
    this.reported = false;
  }

  report(): void {
    this.reported = true;
    const endpoints = this.rotation.endpoints();
    const result: Listener[0] =
      endpoints.length > 0
        ? experimental.statusOrFromValue(endpoints)
        : experimental.statusOrFromError({ code: grpcStatus.UNAVAILABLE, details: 'no replica in rotation', metadata: new Metadata() });
    this.listener(result, {}, null, '');
  }
}
