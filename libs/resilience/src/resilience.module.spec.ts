import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { ResilienceModule } from './resilience.module.js';

describe('ResilienceModule', () => {
  it('compiles', async () => {
    const ref = await Test.createTestingModule({ imports: [ResilienceModule] }).compile();
    expect(ref.get(ResilienceModule)).toBeInstanceOf(ResilienceModule);
    await ref.close();
  });
});
