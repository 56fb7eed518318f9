/** Jest in ESM mode: ts-jest transpiles (type-checking is `npm run typecheck`). */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@engined/resilience$': '<rootDir>/libs/resilience/src/index.ts',
    // Each subpath entry (`@engined/resilience/health`, ...) to its folder's index.ts.
    '^@engined/resilience/([a-z-]+)$': '<rootDir>/libs/resilience/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/libs/resilience/dist'],
};

/**
 * System suites: real processes, the packed tarball, a real PostgreSQL server, a browser. They wait on real time
 * (process start, server start), so a test gets 60 s (set by a setup file: jest's testTimeout is global only);
 * everything else gets 20 s, so a hung unit test fails fast.
 * `npm run test:unit` runs only the fast project, `npm run test:system` only this one.
 */
const SYSTEM = ['test/app', 'test/faults', 'test/package', 'test/build', 'test/browser', 'test/cluster', 'test/deploy'];

export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
      testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...SYSTEM.map((dir) => `<rootDir>/${dir}/`)],
    },
    {
      ...shared,
      displayName: 'system',
      roots: ['<rootDir>/test'],
      testMatch: SYSTEM.map((dir) => `<rootDir>/${dir}/**/*.e2e-spec.ts`),
      setupFilesAfterEnv: ['<rootDir>/test/support/system-timeout.ts'],
    },
  ],
  testTimeout: 20_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Much of the suite waits on sockets and child processes: one worker per core (jest's default is cores - 1).
  maxWorkers: '100%',
  // How long a worker gets to exit once the run is over before jest kills it and prints "A worker process has
  // failed to exit gracefully" (default 500 ms). Measured on the loaded 2-core machine: every worker's event loop
  // is empty when jest ends it (only its stdio and IPC pipes open, its 'exit' event within 1 ms), and it exits
  // with code 0 on its own 1.2-1.5 s later (tearing down a heap of ESM test modules with a core to share): no
  // handle leaks, the 500 ms were too short. A real leak still ends in that warning, after these 10 s.
  workerGracefulExitTimeout: 10_000,
};
