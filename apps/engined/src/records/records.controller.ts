import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { RecordMessage } from './record.js';
import { type EnrichedRecord, type RecordPage, RecordsService } from './records.service.js';
import { parseCreateRecord, parseListRecords, parseRecordId } from './records.validation.js';

/** `engined.v1.RecordService`: validates each request, then delegates. */
@Controller()
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @GrpcMethod('RecordService', 'CreateRecord')
  createRecord(request: unknown): Promise<RecordMessage> {
    return this.records.create(parseCreateRecord(request));
  }

  @GrpcMethod('RecordService', 'GetRecord')
  getRecord(request: unknown): Promise<RecordMessage> {
    return this.records.get(parseRecordId(request));
  }

  @GrpcMethod('RecordService', 'ListRecords')
  listRecords(request: unknown): Promise<RecordPage> {
    return this.records.list(parseListRecords(request));
  }

  @GrpcMethod('RecordService', 'DeleteRecord')
  async deleteRecord(request: unknown): Promise<Record<string, never>> {
    await this.records.delete(parseRecordId(request));
    return {};
  }

  @GrpcMethod('RecordService', 'EnrichRecord')
  enrichRecord(request: unknown): Promise<EnrichedRecord> {
    return this.records.enrich(parseRecordId(request));
  }
}
