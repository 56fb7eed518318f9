import { Inject, Injectable } from '@nestjs/common';
import { GrpcAlreadyExistsException, GrpcNotFoundException } from '@nestjs/microservices';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the record; with a request id, at most once: a retry gets the record the first attempt stored, and a
   * different name or payload under a used request id is ALREADY_EXISTS.
   */
  async create({ name, payload, requestId }: CreateRecordInput): Promise<RecordMessage> {
    if (requestId === undefined) return toMessage(await this.repository.insert(name, payload));
    const result = await this.repository.insertOnce(name, payload, requestId);
    if (result.outcome === 'existing' && !result.samePayload) {
      throw new GrpcAlreadyExistsException(`request_id: ${requestId} was already used for record ${result.row.id}, with a different name or payload`);
    }
    return toMessage(result.row);
  }

  async get(id: string): Promise<RecordMessage> {
    const row = await this.repository.findById(id);
    if (!row) throw notFound(id);
    return toMessage(row);
  }

  /**
   * A page of at most `pageSize` records whose response stays within LIST_MAX_PAGE_BYTES (a page holds at
   * least one record): one large request cannot make the daemon send, or buffer, more than that.
   */
  async list({ pageSize, afterSeq }: ListRecordsInput): Promise<RecordPage> {
    const budget = this.config.records.listMaxPageBytes - NEXT_PAGE_TOKEN_BYTES;
    // One extra row, by count or by size, tells whether another page exists, so the last page has no token.
    const rows = await this.repository.list(afterSeq, pageSize + 1, budget);
    const page = rows.slice(0, pageSize).filter((row, i) => i === 0 || Number(row.page_bytes) <= budget);
    const more = rows.length > page.length;
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

/** Room kept in a page for its next_page_token field (a token is at most 64 characters). */
const NEXT_PAGE_TOKEN_BYTES = 72;

function notFound(id: string): GrpcNotFoundException {
  return new GrpcNotFoundException(`record ${id} not found`);
}
