import {
	createAnalyticsManager,
	getAnalyticsManager,
	type AnalyticsManager,
} from '../../../shared/analytics';
import { QueueClosedError, RedisUnavailableError } from '../../../shared/errors';
import { startRedisServer, uniquePrefix, type RedisServer } from '../../helpers/redisServer';
import { waitFor } from '../../helpers/waitFor';
import { useAnalyticsHarness } from './harness';

const DAY_S = 24 * 3600;

describe('AnalyticsManager lifecycle', () => {
	const harness = useAnalyticsHarness();

	it('closes idempotently', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text');
		await manager.close();
		await manager.close();
		expect(manager.isClosed).toBe(true);
	});

	it('rejects calls after close', async () => {
		const manager = harness.manager();
		await manager.close();
		await expect(manager.trackMessageSent('34600000001', 'text')).rejects.toThrow(QueueClosedError);
		await expect(manager.getMessageMetrics()).rejects.toThrow('The analytics manager is closed.');
	});

	it('keeps keys under one hash tag', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		await manager.recordQueued([
			{
				jobId: 'acme:1',
				instanceName: 'acme',
				phone: '34600000001',
				messageType: 'text',
				campaignId: 'C-1',
			},
		]);
		await manager.recordSent({
			jobId: 'acme:1',
			instanceName: 'acme',
			phone: '34600000001',
			messageType: 'text',
			messageId: 'BAE1',
			processingTimeMs: 90,
			attempts: 1,
		});
		await manager.trackMessageReceived('34600000001', 'text', { messageId: 'IN1' });
		await manager.setCampaignCost('C-1', 0.01);

		const keys = await scanKeys(harness, `*${prefix}*`);
		expect(keys.length).toBeGreaterThan(10);
		expect(keys.filter((key) => !key.startsWith(`{${prefix}}:`))).toEqual([]);
	});

	it('expires buckets and state by TTL', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix, retentionDays: 90 });
		await manager.recordSent({
			jobId: 'acme:1',
			instanceName: 'acme',
			phone: '34600000001',
			messageType: 'text',
			campaignId: 'C-1',
			messageId: 'BAE1',
			processingTimeMs: 90,
			attempts: 1,
		});
		const client = harness.inspector();
		const untimed = [];
		for (const key of await scanKeys(harness, `{${prefix}}:*`)) {
			if ((await client.ttl(key)) < 0) {
				untimed.push(key.slice(prefix.length + 3));
			}
		}
		expect(untimed.sort()).toEqual(['campaigns', 'conversations', 'meta']);

		const dayKey = (await scanKeys(harness, `{${prefix}}:d:*`))[0];
		const dayTtl = await client.ttl(dayKey);
		expect(dayTtl).toBeGreaterThan(90 * DAY_S);
		expect(dayTtl).toBeLessThanOrEqual(91 * DAY_S);
		expect(await client.ttl(`{${prefix}}:m:acme:1`)).toBeGreaterThan(7 * DAY_S - 60);
	});

	it('bounds the busiest contacts set', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		const timestamp = '2025-04-01T10:00:00Z';
		for (let i = 0; i < 1200; i++) {
			await manager.trackMessageSent(`346${String(i).padStart(8, '0')}`, 'text', { timestamp });
		}
		const size = await harness.inspector().zcard(`{${prefix}}:top:20250401`);
		expect(size).toBeGreaterThanOrEqual(500);
		expect(size).toBeLessThanOrEqual(1000);
	});

	it('sweeps timed-out conversations while recording', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		for (let i = 0; i < 20; i++) {
			const phone = `346${String(i).padStart(8, '0')}`;
			await manager.trackMessageReceived(phone, 'text', { timestamp: '2025-04-01T10:00:00Z' });
		}
		for (let i = 0; i < 32; i++) {
			await manager.trackMessageSent('34699999999', 'text');
		}
		expect(await harness.inspector().zcard(`{${prefix}}:conversations`)).toBe(1);
		const old = await manager.getConversationMetrics({ start: '2025-04-01', end: '2025-04-02' });
		expect(old.endedBy.timeout).toBe(20);
	});

	it('removes data older than the cutoff', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		const recent = new Date().toISOString();
		await manager.trackMessageSent('34600000001', 'text', {
			campaignId: 'C-OLD',
			timestamp: '2025-04-01T10:00:00Z',
		});
		await manager.trackMessageSent('34600000002', 'text', {
			campaignId: 'C-NEW',
			timestamp: '2025-04-01T10:00:00Z',
		});
		await manager.trackMessageSent('34600000003', 'text', {
			campaignId: 'C-NEW',
			timestamp: recent,
		});

		const client = harness.inspector();
		await client.config('RESETSTAT');
		const result = await manager.cleanup(30);
		const stats = await client.info('commandstats');
		expect(stats).not.toMatch(/cmdstat_(keys|scan):/);

		expect(result.removedCampaigns).toBe(1);
		expect(result.endedConversations).toBe(2);
		const old = await manager.getMessageTimeSeries(1, { end: '2025-04-01' });
		expect(old[0].value).toBe(0);
		expect((await manager.getCampaignMetrics('C-OLD')).sent).toBe(0);
		expect((await manager.getCampaignMetrics('C-NEW')).sent).toBe(1);
		expect((await manager.getMessageMetrics()).sent).toBe(1);
	});
});

describe('getAnalyticsManager', () => {
	const harness = useAnalyticsHarness();
	const saved = { ...process.env };
	let shared: AnalyticsManager | undefined;

	afterEach(async () => {
		await shared?.close();
		process.env = { ...saved };
	});

	it('shares one manager from the environment', async () => {
		process.env.REDIS_HOST = harness.server.host;
		process.env.REDIS_PORT = String(harness.server.port);
		process.env.ANALYTICS_PREFIX = uniquePrefix();
		process.env.ANALYTICS_TIME_ZONE = 'America/Sao_Paulo';
		shared = getAnalyticsManager();
		expect(getAnalyticsManager()).toBe(shared);
		expect(shared.timeZone).toBe('America/Sao_Paulo');
		await shared.trackMessageSent('34600000001', 'text');
		expect(await harness.inspector().exists(`{${process.env.ANALYTICS_PREFIX}}:meta`)).toBe(1);
	});

	it('replaces a closed shared manager', async () => {
		process.env.REDIS_HOST = harness.server.host;
		process.env.REDIS_PORT = String(harness.server.port);
		const first = getAnalyticsManager();
		await first.close();
		shared = getAnalyticsManager();
		expect(shared).not.toBe(first);
	});
});

describe('AnalyticsManager with Redis down', () => {
	let server: RedisServer;
	let manager: AnalyticsManager | undefined;

	beforeEach(async () => {
		server = await startRedisServer();
	});

	afterEach(async () => {
		await manager?.close();
		manager = undefined;
		await server.dispose();
	});

	it('fails fast when Redis is stopped', async () => {
		await server.stop();
		manager = createAnalyticsManager({ ...server.connection, prefix: uniquePrefix() });
		const startedAt = Date.now();
		const error = await manager
			.trackMessageSent('34600000001', 'text')
			.catch((reason: unknown) => reason);
		expect(error).toBeInstanceOf(RedisUnavailableError);
		expect((error as Error).message).toBe(
			`Redis refused the connection at 127.0.0.1:${server.port}. Check the host and port, and that Redis is running.`,
		);
		expect(Date.now() - startedAt).toBeLessThan(3000);
	});

	it('fails fast when Redis goes away', async () => {
		manager = createAnalyticsManager({
			...server.connection,
			prefix: uniquePrefix(),
			connectTimeoutMs: 1000,
		});
		await manager.trackMessageSent('34600000001', 'text');
		await server.kill();
		const startedAt = Date.now();
		await expect(manager.trackMessageSent('34600000002', 'text')).rejects.toThrow(
			RedisUnavailableError,
		);
		expect(Date.now() - startedAt).toBeLessThan(3000);
	});

	it('recovers when Redis returns', async () => {
		manager = createAnalyticsManager({
			...server.connection,
			prefix: uniquePrefix(),
			connectTimeoutMs: 1000,
		});
		await manager.trackMessageSent('34600000001', 'text');
		await server.kill();
		await manager.getMessageMetrics().catch(() => undefined);
		await server.start();
		const active = manager;
		await waitFor(() => active.trackMessageSent('34600000002', 'text').then(() => true), {
			timeoutMs: 10_000,
			description: 'a tracked message after the restart',
		});
		expect((await manager.getMessageMetrics()).sent).toBeGreaterThanOrEqual(1);
	});
});

async function scanKeys(
	harness: ReturnType<typeof useAnalyticsHarness>,
	pattern: string,
): Promise<string[]> {
	const client = harness.inspector();
	const keys: string[] = [];
	let cursor = '0';
	do {
		const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
		cursor = next;
		keys.push(...batch);
	} while (cursor !== '0');
	return keys;
}
