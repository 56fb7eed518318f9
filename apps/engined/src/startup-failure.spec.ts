import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../../shared/src/config/config-validation.error.js';
import { ListenError } from './listen-error.js';
import { startupFailureMessage } from './startup-failure.js';

const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('startupFailureMessage', () => {
  it('is one line naming the invalid variables', () => {
    const error = new ConfigValidationError([{ variable: 'HTTP_PORT', reason: 'must be an integer from 0 to 65535 (got "x")' }]);
    expect(startupFailureMessage(error)).toBe('engined: Invalid environment: HTTP_PORT must be an integer from 0 to 65535 (got "x")');
  });

  const grpc = { what: 'the gRPC API', host: '127.0.0.1', port: 9003, hostVariable: 'GRPC_HOST', portVariable: 'GRPC_PORT' };

  it.each([
    [nodeError('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:9003'), 'the port is in use by another process (set GRPC_PORT)'],
    // grpc-js folds the Node error into its own message
    [new Error('No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:9003]'), 'the port is in use by another process (set GRPC_PORT)'],
    [nodeError('EACCES', 'listen EACCES: permission denied 127.0.0.1:80'), 'permission denied (ports below 1024 need privileges) (set GRPC_PORT)'],
    [nodeError('EADDRNOTAVAIL', 'listen EADDRNOTAVAIL: address not available 192.0.2.1'), 'the address is not one of this machine (set GRPC_HOST)'],
    [new Error('Name resolution failed for target dns:nowhere.invalid:9003'), 'the host name does not resolve (set GRPC_HOST)'],
    [new Error('something\nunexpected'), 'something unexpected (check GRPC_HOST / GRPC_PORT)'],
  ])('names the listener, the cause and the variable to change, in one line: %s', (cause, reason) => {
    expect(startupFailureMessage(new ListenError(grpc, cause))).toBe(`engined: cannot listen on 127.0.0.1:9003 for the gRPC API: ${reason}`);
  });

  it('names only the port variable of a listener whose host is fixed, and brackets an IPv6 host', () => {
    const downstream = { what: 'the in-process downstream', host: '::1', port: 9005, portVariable: 'DOWNSTREAM_PORT' };
    expect(startupFailureMessage(new ListenError(downstream, nodeError('EADDRNOTAVAIL', 'x')))).toBe(
      'engined: cannot listen on [::1]:9005 for the in-process downstream: the address is not one of this machine (check DOWNSTREAM_PORT)',
    );
  });

  it('keeps any other error on one line', () => {
    expect(startupFailureMessage(new Error('Nest could not resolve\n  a dependency'))).toBe('engined: failed to start: Nest could not resolve a dependency');
  });
});
