import { Controller, Get, Header, type Type } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/**
 * The scrape endpoint as a controller class for `path`; made per module definition because a
 * route is class metadata. `contentType` is the registry's exposition format.
 */
export function createMetricsController(path: string, contentType: string): Type<unknown> {
  @Controller()
  class MetricsController {
    constructor(private readonly metrics: MetricsService) {}

    @Get(path)
    @Header('Content-Type', contentType)
    @Header('Cache-Control', 'no-store')
    scrape(): Promise<string> {
      return this.metrics.metrics();
    }
  }
  return MetricsController;
}
