const { availableParallelism } = require('node:os');

/** Shared by both projects: ts-jest transpiles each file on its own (isolatedModules), no type check here. */
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testEnvironment: 'node',
  // The workspace packages are tested from their sources (no build needed for `npm test`).
  moduleNameMapper: {
    '^@llm-incident-manager/protocol$': '<rootDir>/protocol/src/index.ts',
    '^@llm-incident-manager/client$': '<rootDir>/client/src/index.ts',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Every e2e spec starts its own app on a random port with its own temporary database, so specs run side by side.
  // Measured on the 2-core CI machine (unit + e2e): 2 workers 24 s, --runInBand 39 s; Jest's default (cores - 1)
  // would mean in band there.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // A global option: Jest ignores it inside a project. E2e specs start real servers and processes.
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/client/src'],
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/client/src/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
