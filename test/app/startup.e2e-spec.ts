import { createServer, type Server } from 'node:net';
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Pool } from 'pg';
import { createDownstreamApp } from '../../apps/downstream/src/downstream.app.js';
import { createApp } from '../../apps/engined/src/app.factory.js';
import { ConfigValidationError } from '../../apps/shared/src/config/config-validation.error.js';
import { startupFailureMessage } from '../../apps/engined/src/startup-failure.js';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { MIGRATIONS } from '../../apps/engined/src/database/migrations.js';
import { migrate } from '../../apps/engined/src/database/migrator.js';
import { createInMemoryPglite } from '../../apps/engined/src/database/pglite-template.js';
import { EmbeddedDownstream } from '../../apps/engined/src/downstream/embedded-downstream.js';
import { Cleanup } from './support/cleanup.js';
import { startEnginedApp } from './support/engined-test-app.js';
import { RecordsClient } from './support/records-client.js';

describe('starting the daemon', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    jest.restoreAllMocks();
    await cleanup.run();
  });

  it('refuses an invalid environment before starting anything, naming the variables', async () => {
    const started = createApp({
      useProcessEnv: false,
      envFile: false,
      env: { GRPC_PORT: 'http', DATABASE_URL: 'mysql://root:hunter2@db/app' },
    });
    await expect(started).rejects.toBeInstanceOf(ConfigValidationError);
    const message = startupFailureMessage(await started.catch((e: unknown) => e));
    expect(message).toBe(
      'engined: Invalid environment: GRPC_PORT must be an integer from 0 to 65535 (got "http"); ' +
        'DATABASE_URL must use the postgres:// or postgresql:// scheme (got "mysql://root:***@db/app")',
    );
  });

  it.each([
    ['HTTP_PORT', 'HTTP: the port is in use by another process (set HTTP_PORT)'],
    ['GRPC_PORT', 'the gRPC API: the port is in use by another process (set GRPC_PORT)'],
    ['DOWNSTREAM_PORT', 'the in-process downstream: the port is in use by another process (set DOWNSTREAM_PORT)'],
    ['PGLITE_PORT', 'the embedded PostgreSQL: the port is in use by another process (set PGLITE_PORT)'],
  ])('fails on %s already in use, naming it, and releases what it had started', async (variable, reason) => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      const error = await startEnginedApp({ [variable]: String(port) }).catch((e: unknown) => e);
      expect(startupFailureMessage(error)).toBe(`engined: cannot listen on 127.0.0.1:${port} for ${reason}`);
      // Nothing else to assert: jest's open-handle check fails the run if the database,
      // the downstream or the gRPC server were left behind.
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('fails on a GRPC_HOST that is not an address of this machine, naming it', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no machine has it.
    const error = await startEnginedApp({ GRPC_HOST: '192.0.2.1' }).catch((e: unknown) => e);
    expect(startupFailureMessage(error)).toBe('engined: cannot listen on 192.0.2.1:0 for the gRPC API: the address is not one of this machine (set GRPC_HOST)');
  });

  it('uses DATABASE_URL and DOWNSTREAM_URL instead of starting its own, and never logs the password', async () => {
    // A separate PostgreSQL-protocol server (PGlite here) and a separately started downstream.
    const db = cleanup.add(await createInMemoryPglite(new Logger('test')), (d) => d.close());
    const server = cleanup.add(new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 10 }), (s) => s.stop());
    await server.start();
    const downstream = cleanup.add(await createDownstreamApp({ host: '127.0.0.1', port: 0 }), (d) => d.close());
    const logged: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });

    const daemon = cleanup.add(
      await startEnginedApp({
        LOG_LEVEL: 'log',
        LOG_FORMAT: 'json',
        DATABASE_URL: `postgres://engined:sup3r-secret@${server.getServerConn()}/postgres`,
        DOWNSTREAM_URL: downstream.target,
      }),
      (d) => d.close(),
    );
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'external' });
    await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false });
    expect(daemon.app.get(EmbeddedPostgres).running).toBe(false);
    expect(daemon.app.get(EmbeddedDownstream).running).toBe(false);
    // The row is in the external database, whose schema was migrated once.
    await expect(db.query('SELECT name FROM records WHERE id = $1', [record.id])).resolves.toMatchObject({ rows: [{ name: 'external' }] });
    await expect(db.query('SELECT version, name FROM schema_migrations ORDER BY version')).resolves.toMatchObject({
      rows: MIGRATIONS.map(({ version, name }) => ({ version, name })),
    });
    // Migrating again (a restart, a second instance) applies nothing.
    const pool = cleanup.add(new Pool({ connectionString: `postgres://engined@${server.getServerConn()}/postgres`, max: 1 }), (p) => p.end());
    await expect(migrate(pool, MIGRATIONS, new Logger('test'))).resolves.toEqual([]);

    const lines = logged.join('').trim().split('\n').map((line) => JSON.parse(line) as { message: string });
    expect(lines.map((l) => l.message)).toContain(`database ready at postgres://engined:***@${server.getServerConn()}/postgres`);
    expect(logged.join('')).not.toContain('sup3r-secret');
  });
});
