// Lint of the n8n nodes and credential with n8n's community node rules, in
// the variant for packages that n8n Cloud cannot install (the queue needs the
// BullMQ and ioredis runtime dependencies). shared/, worker/ and the other
// library folders are plain Node code outside n8n's conventions.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'.cache/**',
			'shared/**',
			'worker/**',
			'sandbox/**',
			'demo/**',
			'bench/**',
			'docs/**',
			'test/**',
			'examples/**',
			'coverage/**',
			'**/*.js',
			'**/*.mjs',
		],
	},
	...configWithoutCloudSupport,
];
