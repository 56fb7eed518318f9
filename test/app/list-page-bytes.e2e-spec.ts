import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metadata } from '@grpc/grpc-js';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { int, len, message } from '../faults/support/wire.js';
import { Cleanup } from './support/cleanup.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { RecordsClient } from './support/records-client.js';

interface Page {
  records: { id: string; name: string; payload: string }[];
  nextPageToken: string;
}

/** A JSON object of about `bytes` bytes. */
const payloadOf = (bytes: number): string => JSON.stringify({ blob: 'x'.repeat(bytes - 11) });

/**
 * ListRecords(page_size=1000, page_token) sent as raw bytes (3 of them for the first page); resolves
 * with the size of the response on the wire and the page, decoded by a second, generated-client call.
 */
async function listRaw(client: RecordsClient, pageToken = ''): Promise<{ size: number; page: Page }> {
  const bytes = pageToken === '' ? message(int(1, 1000)) : message(int(1, 1000), len(2, pageToken));
  const size = await new Promise<number>((resolve, reject) =>
    client.raw.makeUnaryRequest(
      '/engined.v1.RecordService/ListRecords',
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, reply) => (error ? reject(error) : resolve(reply!.length)),
    ),
  );
  return { size, page: await client.ok<Page>('ListRecords', { pageSize: 1000, pageToken }) };
}

describe('ListRecords pages capped by bytes (LIST_MAX_PAGE_BYTES) as well as by count', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  async function daemonWithRecords(maxPageBytes: number, count: number, payloadBytes: number) {
    const daemon: EnginedApp = cleanup.add(await startEnginedApp({ LIST_MAX_PAGE_BYTES: String(maxPageBytes) }, new FakeClock()), (d) => d.close());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await client.ok<{ id: string }>('CreateRecord', { name: `large ${i}`, payload: payloadOf(payloadBytes) })).id);
    return { client, ids };
  }

  let large: Awaited<ReturnType<typeof daemonWithRecords>>;
  beforeAll(async () => {
    large = await daemonWithRecords(262_144, 12, 60_000);
  }, 60_000);

  it('answers the 3-byte ListRecords(page_size=1000) with at most LIST_MAX_PAGE_BYTES and a next page token', async () => {
    const { size, page } = await listRaw(large.client);
    expect(size).toBeLessThanOrEqual(262_144);
    expect(page.records.map((r) => r.id)).toEqual(large.ids.slice(0, 4)); // 4 × ~60 KB fit in 256 KiB, 5 do not
    expect(page.nextPageToken).not.toBe('');
  });

  it('pages through every large record once, in order, each page within the cap', async () => {
    const seen: string[] = [];
    let token = '';
    for (let pages = 0; pages < 20; pages++) {
      const { size, page } = await listRaw(large.client, token);
      expect(size).toBeLessThanOrEqual(262_144);
      expect(page.records.length).toBeGreaterThan(0);
      seen.push(...page.records.map((r) => r.id));
      token = page.nextPageToken;
      if (token === '') break;
    }
    expect(token).toBe('');
    expect(seen).toEqual(large.ids);
  });

  it('still honours page_size when it is the smaller limit', async () => {
    const page = await large.client.ok<Page>('ListRecords', { pageSize: 2 });
    expect(page.records.map((r) => r.id)).toEqual(large.ids.slice(0, 2));
    expect(page.nextPageToken).not.toBe('');
  });

  it('always returns at least one record, even one larger than the cap', async () => {
    const tiny = await daemonWithRecords(1_024, 3, 5_000);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await tiny.client.ok<Page>('ListRecords', { pageSize: 1000, pageToken });
      expect(page.records).toHaveLength(1);
      seen.push(page.records[0]!.id);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual(tiny.ids);
  }, 60_000);
});
