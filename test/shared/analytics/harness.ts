import type { Redis } from 'ioredis';

import {
	createAnalyticsManager,
	type AnalyticsManager,
	type AnalyticsManagerOptions,
} from '../../../shared/analytics';
import { startRedisServer, uniquePrefix, type RedisServer } from '../../helpers/redisServer';

/** Test events use fixed dates in 2025, so buckets must outlive them. */
export const LONG_RETENTION_DAYS = 3650;

/** Managers and clients for one test file, on a private redis-server. */
export interface AnalyticsHarness {
	readonly server: RedisServer;
	/** A manager with a fresh prefix and long retention; closed after each test. */
	manager(options?: AnalyticsManagerOptions): AnalyticsManager;
	/** A plain client on the analytics database; closed after each test. */
	inspector(): Redis;
}

/**
 * Starts redis-server in `beforeAll`, closes every manager and client in
 * `afterEach`, and stops the server in `afterAll`.
 */
export function useAnalyticsHarness(): AnalyticsHarness {
	let server: RedisServer | undefined;
	const managers: AnalyticsManager[] = [];
	const clients: Redis[] = [];

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterEach(async () => {
		await Promise.all(managers.splice(0).map((manager) => manager.close()));
		for (const client of clients.splice(0)) {
			client.disconnect();
		}
	});

	afterAll(async () => {
		await server?.dispose();
	});

	return {
		get server(): RedisServer {
			if (!server) {
				throw new Error('The redis-server has not started yet.');
			}
			return server;
		},
		manager(options: AnalyticsManagerOptions = {}): AnalyticsManager {
			const manager = createAnalyticsManager({
				...this.server.connection,
				prefix: uniquePrefix(),
				retentionDays: LONG_RETENTION_DAYS,
				...options,
			});
			managers.push(manager);
			return manager;
		},
		inspector(): Redis {
			const client = this.server.client(1);
			clients.push(client);
			return client;
		},
	};
}
