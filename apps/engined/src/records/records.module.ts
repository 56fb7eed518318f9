import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { DownstreamModule } from '../downstream/downstream.module.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';

/** The record store: `engined.v1.RecordService` over PostgreSQL. */
@Module({
  imports: [DatabaseModule, DownstreamModule],
  controllers: [RecordsController],
  providers: [RecordsRepository, RecordsService],
})
export class RecordsModule {}
