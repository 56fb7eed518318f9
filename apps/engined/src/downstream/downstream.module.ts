import { Module } from '@nestjs/common';
import { DownstreamHealth } from './downstream.health.js';
import { EmbeddedDownstream } from './embedded-downstream.js';
import { QuoteClient } from './quote.client.js';

/** The client side of the downstream quote service (and its in-process instance in development). */
@Module({
  providers: [EmbeddedDownstream, QuoteClient, DownstreamHealth],
  exports: [QuoteClient, EmbeddedDownstream],
})
export class DownstreamModule {}
