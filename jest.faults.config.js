/** Fault-injection suite: crashes, Redis outages, gateway faults and load. `npm run test:faults` runs it. */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/faults'],
	testPathIgnorePatterns: [],
	testTimeout: 300_000,
};
