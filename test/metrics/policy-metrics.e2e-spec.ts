import { afterEach, describe, expect, it } from '@jest/globals';
import { type INestApplication, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Bulkhead, ResilienceModule, Retry } from '@engined/resilience';
import { MetricsModule } from '@engined/resilience/metrics';
import { FakeClock } from '@engined/resilience/testing';
import { scrape, valueOf } from './scrape.js';

@Injectable()
class Jobs {
  failures = 0;

  @Retry({ name: 'jobs', maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0 }, budget: false })
  async run(): Promise<string> {
    if (this.failures-- > 0) throw new Error('transient');
    return 'done';
  }

  @Bulkhead({ name: 'reports', maxConcurrent: 1 })
  async report(release: Promise<void>): Promise<void> {
    await release;
  }
}

describe('retry and bulkhead metrics (read at scrape time)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('exports retry_calls_total by outcome, retry_attempts_total, retry_retries_total and the bulkhead gauges and counters', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ clock: new FakeClock() }), MetricsModule.forRoot({ defaultMetrics: false })],
      providers: [Jobs],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const jobs = app.get(Jobs);
    await jobs.run();
    jobs.failures = 1;
    await jobs.run();
    jobs.failures = 5;
    await expect(jobs.run()).rejects.toThrow('transient');

    let release!: () => void;
    const held = jobs.report(new Promise<void>((resolve) => (release = resolve)));
    await expect(jobs.report(Promise.resolve())).rejects.toMatchObject({ name: 'BulkheadRejectedError' });

    const { samples } = await scrape(app);
    expect(valueOf(samples, 'retry_calls_total', { name: 'jobs', outcome: 'success' })).toBe(1);
    expect(valueOf(samples, 'retry_calls_total', { name: 'jobs', outcome: 'success_after_retry' })).toBe(1);
    expect(valueOf(samples, 'retry_calls_total', { name: 'jobs', outcome: 'exhausted' })).toBe(1);
    expect(valueOf(samples, 'retry_calls_total', { name: 'jobs', outcome: 'budget_exhausted' })).toBe(0);
    expect(valueOf(samples, 'retry_attempts_total', { name: 'jobs' })).toBe(1 + 2 + 3);
    expect(valueOf(samples, 'retry_retries_total', { name: 'jobs' })).toBe(3);
    expect(valueOf(samples, 'bulkhead_active_calls', { name: 'reports' })).toBe(1);
    expect(valueOf(samples, 'bulkhead_queued_calls', { name: 'reports' })).toBe(0);
    expect(valueOf(samples, 'bulkhead_max_concurrent_calls', { name: 'reports' })).toBe(1);
    expect(valueOf(samples, 'bulkhead_calls_total', { name: 'reports', outcome: 'admitted' })).toBe(1);
    expect(valueOf(samples, 'bulkhead_calls_total', { name: 'reports', outcome: 'rejected' })).toBe(1);
    release();
    await held;
    expect(valueOf((await scrape(app)).samples, 'bulkhead_active_calls', { name: 'reports' })).toBe(0);
  });
});
