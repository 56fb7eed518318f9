import { Inject, Injectable, Logger } from '@nestjs/common';
import { createDownstreamApp, type DownstreamApp } from '../../../downstream/src/downstream.app.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { listenAs } from '../listen-error.js';

/**
 * The downstream quote service started in this process on 127.0.0.1:DOWNSTREAM_PORT,
 * for development when DOWNSTREAM_URL is unset. `stop()` and `start()` take it down and
 * bring it back on the same port (the e2e tests use this). `QuoteClient` owns it.
 */
@Injectable()
export class EmbeddedDownstream {
  private readonly logger = new Logger(EmbeddedDownstream.name);
  private app: DownstreamApp | undefined;
  private port: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.port = config.downstream.port;
  }

  get running(): boolean {
    return this.app !== undefined;
  }

  /** Starts the service if needed and returns the `host:port` to dial. */
  async start(): Promise<string> {
    if (!this.app) {
      const listener = { what: 'the in-process downstream', host: '127.0.0.1', port: this.port, portVariable: 'DOWNSTREAM_PORT' };
      this.app = await listenAs(listener, () => createDownstreamApp({ host: '127.0.0.1', port: this.port, shutdownTimeoutMs: 1_000 }));
      // Keep the port: a restart after GRPC_PORT-style port 0 comes back where clients expect it.
      this.port = this.app.port;
      this.logger.log(`in-process downstream listening on ${this.app.target}`);
    }
    return this.app.target;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (!app) return;
    await app.close();
    this.logger.log('in-process downstream stopped');
  }
}
