import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { isInvalidOptionError } from '../common/invalid-option.error.js';
import { GrpcHealthModule } from './grpc-health.module.js';

async function bootError(module: ReturnType<typeof GrpcHealthModule.forRoot>): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
    await moduleRef.init();
    await moduleRef.close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('GrpcHealthModule options', () => {
  it('rejects a source that is not a GrpcHealthSource, naming the option and value', async () => {
    const error = await bootError(GrpcHealthModule.forRoot({ source: {} as never }));
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'GrpcHealthModule: option "source" must have current() and updates$ (a GrpcHealthSource), got {}',
    );
  });

  it('rejects a non-boolean components flag', async () => {
    const error = await bootError(GrpcHealthModule.forRoot({ components: 'yes' as never }));
    expect((error as Error).message).toBe('GrpcHealthModule: option "components" must be a boolean, got "yes"');
  });

  it('asks for a source when the app has no health registry', async () => {
    const error = await bootError(GrpcHealthModule.forRoot());
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/GrpcHealthModule: option "source" must be given when the app has no HealthRegistry/);
  });
});
