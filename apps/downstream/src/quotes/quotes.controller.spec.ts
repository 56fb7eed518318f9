import { describe, expect, it } from '@jest/globals';
import { GrpcInvalidArgumentException } from '@nestjs/microservices';
import { MalformedRequest } from '@engined/resilience/grpc';
import { QuotesController } from './quotes.controller.js';

describe('QuotesController', () => {
  const controller = new QuotesController();

  it('gives the same subject the same quote', () => {
    expect(controller.getQuote({ subject: 'resilience' })).toEqual(controller.getQuote({ subject: 'resilience' }));
    expect(controller.getQuote({ subject: '' })).toMatchObject({ text: expect.any(String), author: expect.any(String) });
  });

  it.each([
    ['no subject', {}, 'subject: must be a string'],
    ['a 1001-character subject', { subject: 'x'.repeat(1_001) }, 'subject: must be at most 1000 characters'],
    ['undecodable bytes', new MalformedRequest('index out of range'), 'request: could not be decoded (index out of range)'],
  ])('answers %s with INVALID_ARGUMENT naming the field', (_label, request, message) => {
    expect(() => controller.getQuote(request)).toThrow(new GrpcInvalidArgumentException(message));
  });
});
