// Jest 30 in native ESM mode; @swc/jest strips types (the typecheck is `npm run typecheck`).
// One embedded PostgreSQL serves the whole run (test/support/global-setup.ts); each test file
// gets its own throwaway databases.
export default {
  // Node's environment, holding each test's output and printing it only when the test fails.
  testEnvironment: '<rootDir>/test/support/quiet-environment.ts',
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
  maxWorkers: process.env.CI ? 2 : '50%',
};
