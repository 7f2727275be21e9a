import { ConfigError } from '../../shared/errors';
import { connectRedis, createRedisClient, resolveRedisConfig } from '../../shared/redis/connection';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

describe('connectRedis', () => {
	let server: RedisServer;

	beforeAll(async () => {
		server = await startRedisServer({ extraArgs: ['--databases', '2'] });
	});

	afterAll(async () => {
		await server.dispose();
	});

	it('rejects a database the server lacks', async () => {
		const config = resolveRedisConfig({ ...server.connection, db: 5 });
		const client = createRedisClient(config, 'producer');
		try {
			const error = await connectRedis(client, config).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as Error).message).toContain('has no database 5');
		} finally {
			client.disconnect();
		}
	});

	it('uses the configured database', async () => {
		const config = resolveRedisConfig({ ...server.connection, db: 1 });
		const client = createRedisClient(config, 'producer');
		const check = server.client(1);
		try {
			await connectRedis(client, config);
			await client.set('where', 'here');
			expect(await check.get('where')).toBe('here');
		} finally {
			client.disconnect();
			check.disconnect();
		}
	});
});
