import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { BAD_SETTINGS, ErrorCode, PREFACE, RawConnection, errorCodeOf, grpcHeaders, isGoaway, isRst, settings } from '../grpc/support/raw-http2.js';
import { eventually } from '../support/eventually.js';
import { Cleanup } from './support/cleanup.js';
import { DaemonProcess } from './support/daemon-process.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';


describe('the daemon as a process against hostile gRPC clients', () => {
  const cleanup = new Cleanup();
  let daemon: DaemonProcess;
  let port: number;
  let httpUrl: string;
  let client: RecordsClient;
  const openFds = () => readdirSync(`/proc/${daemon.pid}/fd`).length;

  beforeAll(async () => {
    const cwd = cleanup.add(await mkdtemp(join(tmpdir(), 'engined-hostile-')), (d) => rm(d, { recursive: true, force: true }));
    // The limits come from the environment, small enough to reach in a test.
    daemon = cleanup.add(
      DaemonProcess.start(
        { GRPC_PORT: '0', HTTP_PORT: '0', DOWNSTREAM_PORT: '0', SHUTDOWN_DRAIN_MS: '0', GRPC_MAX_CONCURRENT_STREAMS: '2', GRPC_REQUEST_TIMEOUT_MS: '400' },
        cwd,
      ),
      (d) => d.stop(),
    );
    const listening = await daemon.listening();
    port = Number(listening.grpcTarget.split(':').pop());
    httpUrl = listening.httpUrl;
    client = cleanup.add(new RecordsClient(listening.grpcTarget), (c) => c.close());
    const health = cleanup.add(createHealthClient(listening.grpcTarget), (c) => c.close());
    await cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel()).next('SERVING');
  }, 90_000);
  afterAll(() => cleanup.run());

  it('closes every connection broken at the HTTP/2 level: 100 of them leave no file descriptor after 5 s', async () => {
    await client.ok('CreateRecord', { name: 'before' });
    const baseline = openFds();
    const connections = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(port, BAD_SETTINGS)));
    for (const connection of connections) cleanup.add(connection, (c) => c.destroy());
    await Promise.all(connections.map((connection) => connection.next(isGoaway)));
    expect(openFds()).toBeGreaterThanOrEqual(baseline + 100);
    await eventually(() => openFds() <= baseline, 5_000, () => `${openFds()} fds open, ${baseline} before`);
    // Still serving: gRPC calls, and HTTP health.
    await expect(client.ok('CreateRecord', { name: 'after' })).resolves.toMatchObject({ name: 'after' });
    expect((await request(httpUrl).get('/health/live')).status).toBe(200);
  }, 30_000);

  it('applies GRPC_MAX_CONCURRENT_STREAMS and GRPC_REQUEST_TIMEOUT_MS', async () => {
    // An empty SETTINGS, the server's never acknowledged, three calls that never send their request.
    const connection = cleanup.add(await RawConnection.open(port, Buffer.concat([PREFACE, settings()]), { answer: false }), (c) => c.destroy());
    for (const id of [1, 3, 5]) connection.send(grpcHeaders(id, '/engined.v1.RecordService/GetRecord'));
    expect(errorCodeOf(await connection.next(isRst(5)))).toBe(ErrorCode.REFUSED_STREAM);
    expect(errorCodeOf(await connection.next(isRst(1)))).toBe(ErrorCode.CANCEL);
    expect(errorCodeOf(await connection.next(isRst(3)))).toBe(ErrorCode.CANCEL);
  });
});
