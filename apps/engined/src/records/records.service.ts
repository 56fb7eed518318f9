import { Injectable } from '@nestjs/common';
import { GrpcNotFoundException } from '@nestjs/microservices';
import { QuoteClient } from '../downstream/quote.client.js';
import { encodePageToken } from './page-token.js';
import { type RecordMessage, toMessage } from './record.js';
import { RecordsRepository } from './records.repository.js';
import type { CreateRecordInput, ListRecordsInput } from './records.validation.js';

export interface RecordPage {
  records: RecordMessage[];
  nextPageToken: string;
}

export interface EnrichedRecord {
  record: RecordMessage;
  quote: string;
  quoteAuthor: string;
  degraded: boolean;
}

/** The record store's use cases, on validated input. */
@Injectable()
export class RecordsService {
  constructor(
    private readonly repository: RecordsRepository,
    private readonly quotes: QuoteClient,
  ) {}

  async create(input: CreateRecordInput): Promise<RecordMessage> {
    return toMessage(await this.repository.insert(input.name, input.payload));
  }

  async get(id: string): Promise<RecordMessage> {
    const row = await this.repository.findById(id);
    if (!row) throw notFound(id);
    return toMessage(row);
  }

  async list({ pageSize, afterSeq }: ListRecordsInput): Promise<RecordPage> {
    // One extra row tells whether another page exists, so the last page has no token.
    const rows = await this.repository.list(afterSeq, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const more = rows.length > pageSize;
    return { records: page.map(toMessage), nextPageToken: more ? encodePageToken(page.at(-1)!.seq) : '' };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.deleteById(id))) throw notFound(id);
  }

  async enrich(id: string): Promise<EnrichedRecord> {
    const record = await this.get(id);
    const quote = await this.quotes.getQuote(record.name);
    return { record, quote: quote.text, quoteAuthor: quote.author, degraded: quote.degraded };
  }
}

function notFound(id: string): GrpcNotFoundException {
  return new GrpcNotFoundException(`record ${id} not found`);
}
