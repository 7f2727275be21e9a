import { decodeInstance, encodeInstance, parsePublicJobId, QueueKeys, toPublicJobId } from '../../shared/redis/keys';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

describe('QueueKeys', () => {
	it('round-trips instance names through encoding', () => {
		for (const name of ['acme', 'Acme Sales', 'a:b{c}', 'número-1', '%41']) {
			const encoded = encodeInstance(name);
			expect(encoded).not.toMatch(/[:{}]/);
			expect(decodeInstance(encoded)).toBe(name);
		}
	});

	it('puts every key of an instance under one hash tag', () => {
		const keys = new QueueKeys('waq');
		const tag = keys.queueName('acme');
		expect(tag).toBe('{acme}');
		for (const key of [keys.limiter('acme'), keys.deadLetterIndex('acme'), keys.bullKey('acme', 'wait')]) {
			expect(key.match(/\{([^}]*)\}/)?.[1]).toBe('acme');
		}
	});

	it('splits public job ids at the last colon', () => {
		const id = toPublicJobId('team:one', 'm123');
		expect(parsePublicJobId(id)).toEqual({ instanceName: 'team:one', internalId: 'm123' });
		expect(parsePublicJobId('no-instance')).toBeUndefined();
	});

	it('rejects prefixes with braces', () => {
		expect(() => new QueueKeys('{bad}')).toThrow(/Invalid key prefix "\{bad\}"/);
	});
});

describe('redis test server', () => {
	let server: RedisServer;

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	it('answers on its own port', async () => {
		const client = server.client();
		try {
			expect(await client.ping()).toBe('PONG');
			expect(server.port).not.toBe(6379);
		} finally {
			client.disconnect();
		}
	});
});
