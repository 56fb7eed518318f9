import { Controller } from '@nestjs/common';
import { GrpcInvalidArgumentException, GrpcMethod } from '@nestjs/microservices';
import { isMalformedRequest } from '@engined/resilience/grpc';
import { type Quote, quoteFor } from './quote-book.js';

const MAX_SUBJECT_LENGTH = 1_000;

/** `downstream.v1.QuoteService`. */
@Controller()
export class QuotesController {
  @GrpcMethod('QuoteService', 'GetQuote')
  getQuote(request: unknown): Quote {
    if (isMalformedRequest(request)) throw new GrpcInvalidArgumentException(`request: could not be decoded (${request.reason})`);
    const subject = (request as { subject?: unknown } | null)?.subject;
    if (typeof subject !== 'string') throw new GrpcInvalidArgumentException('subject: must be a string');
    if (subject.length > MAX_SUBJECT_LENGTH) throw new GrpcInvalidArgumentException(`subject: must be at most ${MAX_SUBJECT_LENGTH} characters`);
    return quoteFor(subject);
  }
}
