import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../../shared/src/config/config-validation.error.js';
import { startupFailureMessage } from './startup-failure.js';

describe('startupFailureMessage', () => {
  it('is one line naming the invalid variables', () => {
    const error = new ConfigValidationError([{ variable: 'HTTP_PORT', reason: 'must be an integer from 0 to 65535 (got "x")' }]);
    expect(startupFailureMessage(error)).toBe('engined: Invalid environment: HTTP_PORT must be an integer from 0 to 65535 (got "x")');
  });

  it('adds a hint for a port in use', () => {
    const error = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9003'), { code: 'EADDRINUSE' });
    expect(startupFailureMessage(error)).toBe(
      'engined: failed to start: listen EADDRINUSE: address already in use 127.0.0.1:9003 (is another instance running? set GRPC_PORT / HTTP_PORT / DOWNSTREAM_PORT)',
    );
  });
});
