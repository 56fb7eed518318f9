/** Jest in ESM mode: ts-jest transpiles (type-checking is `npm run typecheck`). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
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
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 20000,
  // Much of the suite waits on sockets and child processes: one worker per core (jest's default is cores - 1).
  maxWorkers: '100%',
};
