// Lint of the n8n nodes, the credential and package.json with n8n's
// community node rules, in the variant for packages that n8n Cloud cannot
// install. shared/, worker/ and the other library folders are plain Node
// code outside n8n's conventions, so they are not linted here.
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
	{
		files: ['package.json'],
		rules: {
			// The queue needs BullMQ and ioredis at run time, which is why the
			// package is for self-hosted n8n only (see the README).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
