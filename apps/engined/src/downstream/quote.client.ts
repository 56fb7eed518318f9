import { type CallOptions, type Client, type ClientUnaryCall, credentials, type Interceptor, loadPackageDefinition, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BreakerRegistry, Fallback } from '@engined/resilience';
import { breakerInterceptor } from '@engined/resilience/grpc';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { checkHealth, createHealthClient, type HealthClient, type ServingStatus } from '../grpc/grpc-health.client.js';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../shared/src/grpc/proto-path.js';
import { DOWNSTREAM_BREAKER } from './downstream.breaker.js';
import { EmbeddedDownstream } from './embedded-downstream.js';

/** A quote as the daemon uses it; `degraded` marks the fallback. */
export interface Quote {
  text: string;
  author: string;
  degraded: boolean;
}

/** What the daemon answers with when the downstream cannot: the call still succeeds, marked degraded. */
export const FALLBACK_QUOTE: Quote = {
  text: 'The quote service is unavailable right now; this is the fallback.',
  author: 'engined',
  degraded: true,
};

interface QuoteServiceClient extends Client {
  GetQuote(
    request: { subject: string },
    options: CallOptions,
    callback: (error: ServiceError | null, response?: { text: string; author: string }) => void,
  ): ClientUnaryCall;
}

let quoteServiceConstructor: ServiceClientConstructor | undefined;

function quoteService(): ServiceClientConstructor {
  if (!quoteServiceConstructor) {
    const pkg = loadPackageDefinition(loadSync(protoPath('downstream/v1/quotes.proto'), PROTO_LOADER_OPTIONS));
    quoteServiceConstructor = (pkg.downstream as Record<string, Record<string, ServiceClientConstructor>>).v1!.QuoteService!;
  }
  return quoteServiceConstructor;
}

/**
 * The daemon's gRPC client for the downstream quote service. Owns the channel (rebuilt by
 * the health heal) and, when DOWNSTREAM_URL is unset, the in-process downstream.
 *
 * Every call goes through the `downstream` breaker by the client's interceptor (`breakerInterceptor`):
 * gRPC statuses count as the library's client preset says, a call gets DOWNSTREAM_TIMEOUT_MS as its
 * deadline, and the breaker's timeout (same length, on the injected clock) cancels it on the wire.
 */
@Injectable()
export class QuoteClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(QuoteClient.name);
  private client: QuoteServiceClient | undefined;
  /** grpc.health.v1 client on the same channel as `client`. */
  private health: HealthClient | undefined;
  private target: string | undefined;
  private readonly resilience: Interceptor;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly embedded: EmbeddedDownstream,
    breakers: BreakerRegistry,
  ) {
    const breaker = breakers.getOrCreate(DOWNSTREAM_BREAKER.name, { profile: DOWNSTREAM_BREAKER.profile });
    this.resilience = breakerInterceptor(breaker, { deadlineMs: config.downstream.timeoutMs });
  }

  async onModuleInit(): Promise<void> {
    this.target = this.config.downstream.url ?? (await this.embedded.start());
    this.connect(this.target);
    this.logger.log(`downstream quote service at ${this.target}`);
  }

  /** After the daemon's gRPC server has finished its calls: close the channel, then the in-process downstream. */
  async onApplicationShutdown(): Promise<void> {
    this.disconnect();
    await this.embedded.stop();
  }

  /**
   * A quote for `subject` through the `downstream` breaker, within DOWNSTREAM_TIMEOUT_MS. When the
   * call fails, times out or the breaker is open, the answer is {@link FALLBACK_QUOTE}
   * (`degraded: true`) instead of an error. `signal`, if given, cancels the call.
   */
  @Fallback('fallbackQuote')
  getQuote(subject: string, signal?: AbortSignal): Promise<Quote> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('the downstream client is closed'));
    return new Promise<Quote>((resolve, reject) => {
      const cancel = (): void => call.cancel();
      const call = client.GetQuote({ subject }, {}, (error, response) => {
        signal?.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve({ text: response?.text ?? '', author: response?.author ?? '', degraded: false });
      });
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** `getQuote`'s fallback: called with its arguments (the signal too), then the error. */
  fallbackQuote(_subject: string, _signal: AbortSignal | undefined, error: unknown): Quote {
    this.logger.debug(`quote fallback: ${error instanceof Error ? error.message : String(error)}`);
    return FALLBACK_QUOTE;
  }

  /** Replaces the channel (the health heal): a fresh channel dials at once instead of waiting out reconnect backoff. */
  rebuildChannel(): void {
    if (!this.client || !this.target) return;
    this.disconnect();
    this.connect(this.target);
    this.logger.log('downstream channel rebuilt');
  }

  /** grpc.health.v1 `Check("")` against the downstream: its overall health. */
  checkHealth(timeoutMs: number): Promise<ServingStatus> {
    if (!this.health) return Promise.reject(new Error('the downstream client is closed'));
    return checkHealth(this.health, '', timeoutMs);
  }

  private connect(target: string): void {
    const Ctor = quoteService();
    const client = new Ctor(target, credentials.createInsecure(), { interceptors: [this.resilience] }) as unknown as QuoteServiceClient;
    this.client = client;
    this.health = createHealthClient(target, client.getChannel());
  }

  private disconnect(): void {
    // Both clients share one channel; closing it ends in-flight calls with CANCELLED.
    this.client?.close();
    this.client = undefined;
    this.health = undefined;
  }
}
