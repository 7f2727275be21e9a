import { DEFAULT_SANDBOX_PORT, parseSandboxCli } from '../../sandbox/cliConfig';
import type { SandboxGatewayOptions } from '../../sandbox/types';

/** Returns the gateway options of a parse that is not a help request. */
function gatewayOptions(argv: string[], env: NodeJS.ProcessEnv = {}): SandboxGatewayOptions {
	const config = parseSandboxCli(argv, env);
	if (config.help) {
		throw new Error('Expected gateway options, got a help request.');
	}
	return config.options;
}
import { SANDBOX_API_KEY } from '../../sandbox/types';

describe('parseSandboxCli', () => {
	it('applies the defaults', () => {
		const config = parseSandboxCli([], {});

		expect(config).toEqual({
			help: false,
			logLevel: 'info',
			options: {
				port: DEFAULT_SANDBOX_PORT,
				host: '127.0.0.1',
				apiKey: SANDBOX_API_KEY,
				instances: ['sandbox'],
				latency: undefined,
				notOnWhatsApp: [],
				webhook: {
					deliveredAfterMs: undefined,
					readAfterMs: undefined,
					readRatio: undefined,
					replyRatio: undefined,
					duplicateRatio: undefined,
				},
			},
		});
	});

	it('reads environment variables', () => {
		const options = gatewayOptions([], {
			SANDBOX_PORT: '9000',
			SANDBOX_INSTANCES: 'acme, beta',
			SANDBOX_NOT_ON_WHATSAPP: '34600000009',
			SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:5678/webhook',
			SANDBOX_WEBHOOK_SECRET: 's3cret',
			SANDBOX_READ_RATIO: '0.25',
		});

		expect(options.port).toBe(9000);
		expect(options.instances).toEqual(['acme', 'beta']);
		expect(options.notOnWhatsApp).toEqual(['34600000009']);
		expect(options.webhook?.url).toBe('http://127.0.0.1:5678/webhook');
		expect(options.webhook?.headers).toEqual({ 'x-webhook-secret': 's3cret' });
		expect(options.webhook?.readRatio).toBe(0.25);
	});

	it('prefers flags over environment', () => {
		const options = gatewayOptions(['--port', '0', '--api-key', 'flag-key'], {
			SANDBOX_PORT: '9000',
			SANDBOX_API_KEY: 'env-key',
		});

		expect(options.port).toBe(0);
		expect(options.apiKey).toBe('flag-key');
	});

	it('reads latency ranges', () => {
		expect(gatewayOptions(['--latency-ms', '50']).latency).toBe(50);
		expect(gatewayOptions(['--latency-ms', '20-200']).latency).toEqual({ minMs: 20, maxMs: 200 });
	});

	it('rejects partly numeric ports', () => {
		expect(() => parseSandboxCli(['--port', '10abc'], {})).toThrow(
			'Invalid --port "10abc". Use a whole number from 0 to 65535.',
		);
	});

	it('rejects ratios above 1', () => {
		expect(() => parseSandboxCli([], { SANDBOX_REPLY_RATIO: '1.5' })).toThrow(
			/Invalid --reply-ratio "1.5"/,
		);
	});

	it('rejects inverted latency ranges', () => {
		expect(() => parseSandboxCli(['--latency-ms', '200-20'], {})).toThrow(
			/Invalid --latency-ms "200-20"/,
		);
	});

	it('rejects unknown log levels', () => {
		expect(() => parseSandboxCli(['--log-level', 'loud'], {})).toThrow(
			/Invalid --log-level "loud"/,
		);
	});

	it('rejects unknown flags', () => {
		expect(() => parseSandboxCli(['--colour'], {})).toThrow(/--colour.*Run with --help/);
	});

	it('recognises help', () => {
		expect(parseSandboxCli(['--help'], {})).toEqual({ help: true });
	});
});
