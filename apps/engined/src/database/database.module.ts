import { Module } from '@nestjs/common';
import { Database } from './database.js';
import { DatabaseHealth } from './database.health.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** PostgreSQL through `pg`: a real server from DATABASE_URL, or the embedded PGlite. */
@Module({
  providers: [EmbeddedPostgres, Database, DatabaseHealth],
  exports: [Database, EmbeddedPostgres],
})
export class DatabaseModule {}
