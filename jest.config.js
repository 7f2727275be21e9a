/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The fault-injection suite is slow; `npm run test:faults` runs it.
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
	transform: {
		// Type checking runs once in `npm run typecheck`, so each test file is
		// only transpiled here.
		'^.+\\.ts$': ['ts-jest', { diagnostics: false }],
	},
	testTimeout: 60_000,
};
