import { jest } from '@jest/globals';

// The system project's tests wait on real processes and servers: 60 s each (jest's testTimeout is global only).
jest.setTimeout(60_000);
