import { Controller, Get, Header, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MetricsService } from './metrics.service.js';

/**
 * The scrape endpoint as a controller class for `path`; made per module definition because a route is
 * class metadata. The `Content-Type` is the registry's exposition format, known once the options are.
 */
export function createMetricsController(path: string): Type<unknown> {
  @Controller()
  class MetricsController {
    constructor(
      private readonly metrics: MetricsService,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    @Get(path)
    @Header('Cache-Control', 'no-store')
    scrape(@Res({ passthrough: true }) response: unknown): Promise<string> {
      this.adapterHost.httpAdapter.setHeader(response, 'Content-Type', this.metrics.contentType);
      return this.metrics.metrics();
    }
  }
  return MetricsController;
}
