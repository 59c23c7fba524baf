// Jest 30 in native ESM mode; @swc/jest strips types (the typecheck is `npm run typecheck`).
// One embedded PostgreSQL serves the whole run (test/support/global-setup.ts); each test file
// gets its own throwaway databases.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120_000,
  // `npm test -- --coverage` (what .ci/run runs): V8's own coverage (no instrumentation), with
  // thresholds per folder that CI enforces (see the README's CI section for the figures).
  coverageProvider: 'v8',
  collectCoverageFrom: ['services/**/*.ts', 'shared/**/*.ts', '!**/*.d.ts'],
  coverageDirectory: '<rootDir>/coverage',
  coverageReporters: ['text-summary', 'json-summary'],
  maxWorkers: process.env.CI ? 2 : '50%',
};
