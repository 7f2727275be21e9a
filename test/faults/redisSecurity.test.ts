import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { analyticsObserver, createAnalyticsManager, type AnalyticsManager } from '../../shared/analytics';
import { EventGroupReader, EventTailReader, type StoredEvent } from '../../shared/events/eventStream';
import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import type { RedisConnectionConfig } from '../../shared/redis/connection';
import { getFreePort } from '../helpers/ports';
import { queueAclRules } from '../helpers/redisAcl';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { TlsRedisServer } from '../helpers/tlsRedis';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess, type LogLine } from '../helpers/workerProcess';

/** Producers here give up on Redis after this long. */
const CONNECT_TIMEOUT_MS = 2000;

function text(recipientPhone: string, metadata: WhatsAppMessage['metadata'] = {}): WhatsAppMessage {
	return { instanceName: 'acme', recipientPhone, messageType: 'text', content: { text: 'Hello' }, metadata };
}

function phones(count: number, first = 0): string[] {
	return Array.from({ length: count }, (_, i) => `3464${String(first + i).padStart(7, '0')}`);
}

/** Runs a call that should fail and returns its error and duration. */
async function failureOf(call: () => Promise<unknown>): Promise<{ error?: Error; elapsedMs: number }> {
	const started = Date.now();
	try {
		await call();
		return { elapsedMs: Date.now() - started };
	} catch (error) {
		return { error: error as Error, elapsedMs: Date.now() - started };
	}
}

/** Joins the messages of an error and of its cause, where a password could hide. */
function errorText(error: Error | undefined): string {
	const cause = (error as { cause?: unknown } | undefined)?.cause;
	return `${error?.message ?? ''} ${cause instanceof Error ? cause.message : String(cause ?? '')}`;
}

describe('Redis security', () => {
	let gateway: TestGateway;
	const processes: WorkerProcess[] = [];

	function spawnWorker(env: Record<string, string>): WorkerProcess {
		const worker = new WorkerProcess({
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			HTTP_PORT: '0',
			RATE_LIMIT_MAX: '0',
			POLL_INTERVAL_MS: '100',
			RETRY_BACKOFF_DELAY_MS: '100',
			ANALYTICS_ENABLED: 'false',
			LOG_LEVEL: 'info',
			...env,
		});
		processes.push(worker);
		return worker;
	}

	afterEach(async () => {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
	});

	describe('password', () => {
		// Characters that break clients which build a connection URL.
		const password = `p@ss:w/rd#%1}{$-${randomBytes(6).toString('hex')}`;
		let server: RedisServer;
		let queue: QueueManager;
		let prefix: string;

		beforeAll(async () => {
			server = await startRedisServer({ password });
			gateway = await startTestGateway({ instances: ['acme'] });
		});

		afterAll(async () => {
			await gateway.sandbox.stop();
			await server.dispose();
		});

		beforeEach(() => {
			prefix = uniquePrefix();
			queue = createQueueManager({ redis: { ...server.connection, connectTimeoutMs: CONNECT_TIMEOUT_MS }, prefix });
		});

		afterEach(async () => {
			await queue.close();
		});

		function baseEnv(redisPassword: string): Record<string, string> {
			return { REDIS_HOST: server.host, REDIS_PORT: String(server.port), REDIS_PASSWORD: redisPassword, QUEUE_PREFIX: prefix };
		}

		it('delivers through a worker process', async () => {
			const worker = spawnWorker(baseEnv(password));
			await worker.waitForLog('Delivery worker ready.');
			await queue.addBulk(phones(10).map((phone) => text(phone)));
			await waitFor(async () => (await queue.getMetrics('acme')).completed === 10, { timeoutMs: 15_000 });
			expect(gateway.sandbox.received.filter((record) => phones(10).includes(record.number))).toHaveLength(10);
		});

		it('names rejected credentials', async () => {
			const wrong = createQueueManager({ redis: { ...server.connection, password: 'wrong-password-value' }, prefix });
			try {
				const { error } = await failureOf(() => wrong.getMetrics());
				expect(error?.message).toContain('rejected the credentials');
			} finally {
				await wrong.close();
			}
		});

		it('keeps passwords out of errors', async () => {
			const wrong = createQueueManager({ redis: { ...server.connection, password: 'wrong-password-value' }, prefix });
			try {
				const { error } = await failureOf(() => wrong.getMetrics());
				expect(errorText(error)).not.toContain('wrong-password-value');
			} finally {
				await wrong.close();
			}
		});

		it('logs WRONGPASS for a wrong password', async () => {
			const worker = spawnWorker(baseEnv('wrong-password-value'));
			const line = await worker.waitForLog('Redis connection lost; retrying until it is back.');
			expect(String(line.errorMessage)).toContain('WRONGPASS');
		});

		it('keeps a wrong password out of logs', async () => {
			const worker = spawnWorker(baseEnv('wrong-password-value'));
			await worker.waitForLog('Redis connection lost; retrying until it is back.');
			expect(worker.stdout + worker.stderr).not.toContain('wrong-password-value');
		});
	});

	describe('ACL user', () => {
		const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
		const user = 'waq-worker';
		const userPassword = `acl-${randomBytes(8).toString('hex')}`;
		const secret = 'acl-test-webhook-secret';
		let server: RedisServer;
		let admin: Redis;
		let restricted: Redis;
		let queue: QueueManager;
		let analytics: AnalyticsManager;
		let prefix: string;
		let analyticsPrefix: string;
		let delivered = 0;
		let events: StoredEvent[] = [];
		let tailEvents: StoredEvent[] = [];

		function userConnection() {
			return { host: server.host, port: server.port, username: user, password: userPassword };
		}

		beforeAll(async () => {
			server = await startRedisServer({ password: adminPassword });
			admin = server.client();
			prefix = uniquePrefix();
			analyticsPrefix = uniquePrefix();
			await admin.call('ACL', ...queueAclRules(user, userPassword, { queue: prefix, analytics: analyticsPrefix }));
			await admin.call('ACL', 'LOG', 'RESET');

			const hookPort = await getFreePort();
			gateway = await startTestGateway({
				instances: ['acme'],
				notOnWhatsApp: ['34640000009'],
				webhook: {
					url: `http://127.0.0.1:${hookPort}/webhooks/evolution`,
					headers: { 'x-webhook-secret': secret },
					deliveredAfterMs: 50,
					readAfterMs: 100,
					readRatio: 1,
					replyRatio: 1,
					replyAfterMs: 150,
				},
			});
			const worker = spawnWorker({
				REDIS_HOST: server.host,
				REDIS_PORT: String(server.port),
				REDIS_USERNAME: user,
				REDIS_PASSWORD: userPassword,
				QUEUE_PREFIX: prefix,
				ANALYTICS_PREFIX: analyticsPrefix,
				ANALYTICS_ENABLED: 'true',
				WEBHOOK_SECRET: secret,
				HTTP_PORT: String(hookPort),
			});
			// The worker outlives the per-test cleanup of `processes`.
			processes.splice(processes.indexOf(worker), 1);
			await worker.waitForLog('Delivery worker ready.');

			queue = createQueueManager({ redis: userConnection(), prefix });
			analytics = createAnalyticsManager({ ...userConnection(), db: 1, prefix: analyticsPrefix });
			queue.addObserver(analyticsObserver(analytics));
			restricted = new Redis(userConnection());
			const reader = new EventGroupReader(restricted, prefix, ['message.sent', 'message.delivered'], 'wf', 'n8n');
			await reader.ensureGroup();
			const tail = new EventTailReader(restricted, prefix, ['message.sent']);
			await tail.start();

			try {
				await runWholeProduct();
				events = await waitFor(async () => {
					const batch = await reader.read(100, 100);
					return batch.length > 0 && batch;
				});
				await reader.claimStale(0, 10);
				await reader.ack(events);
				tailEvents = await tail.read(10, 100);
				delivered = (await analytics.getCampaignMetrics('acl')).delivered;
			} finally {
				worker.signal('SIGTERM');
				await worker.exited;
			}
		});

		/** Runs every public operation of the queue and analytics as the ACL user. */
		async function runWholeProduct(): Promise<void> {
			gateway.sandbox.addFault({ action: 'respond', status: 500, count: 1, number: '34640000001' });
			await queue.addBulk(phones(5).map((phone) => text(phone, { campaignId: 'acl' })));
			await queue.addBulk([text('34640000009', { campaignId: 'acl' })]);
			await queue.addMessage(text('34640000020', { idempotencyKey: 'acl-1' }));
			await queue.addMessage(text('34640000020', { idempotencyKey: 'acl-1' }));
			await queue.scheduleMessage(text('34640000021'), Date.now() + 500);
			await waitFor(async () => {
				const metrics = await queue.getMetrics('acme');
				return metrics.completed === 7 && metrics.dlq === 1;
			}, { timeoutMs: 15_000, description: 'seven sent and one dead-lettered' });

			gateway.sandbox.setNotOnWhatsApp([]);
			await queue.retryAllDLQMessages();
			await waitFor(async () => (await queue.getMetrics('acme')).completed === 8, { timeoutMs: 10_000 });

			await queue.setRateLimit('acme', { max: 100, duration: 1000 });
			await queue.getRateLimit('acme');
			await queue.clearRateLimit('acme');
			await queue.pause('acme');
			const later = await queue.scheduleMessage(text('34640000030', { campaignId: 'acl-cancel' }), Date.now() + 60_000);
			await queue.cancelMessage(later.id);
			await queue.scheduleMessage(text('34640000031', { campaignId: 'acl-cancel' }), Date.now() + 60_000);
			await queue.cancelCampaign('acl-cancel');
			await queue.addMessage(text('34640000032'));
			await queue.drain('acme');
			await queue.resume('acme');
			await queue.getStatus(later.id);
			await queue.getProcessingRate();
			await queue.listInstances();
			await queue.clean(0, 0);

			gateway.sandbox.setNotOnWhatsApp(['34640000040', '34640000041']);
			const failed = await queue.addMessage(text('34640000040'));
			await queue.addMessage(text('34640000041'));
			await waitFor(async () => (await queue.getMetrics('acme')).dlq === 2, { timeoutMs: 10_000 });
			await queue.getDLQMessages(10);
			await queue.removeDLQMessage(failed.id);
			await queue.clearDLQ();

			await waitFor(() => gateway.sandbox.stats().webhooks.pending === 0, { timeoutMs: 15_000 });
			await analytics.generateReport('day');
			await analytics.getMessageTimeSeries(1);
			await analytics.cleanup(90);
		}

		afterAll(async () => {
			await queue.close();
			await analytics.close();
			restricted.disconnect();
			admin.disconnect();
			await gateway.sandbox.stop();
			await server.dispose();
		});

		// CONFIG GET is left out on purpose because it also returns requirepass, so
		// the worker skips its start-up check of maxmemory-policy.
		it('denies nothing but CONFIG GET', async () => {
			const entries = (await admin.call('ACL', 'LOG')) as string[][];
			const commands = entries.map((entry) => entry[entry.indexOf('object') + 1]);
			expect(commands.filter((command) => command !== 'config|get')).toEqual([]);
		});

		it('delivers every message', () => {
			expect(new Set(gateway.sandbox.received.map((record) => record.number)).size).toBe(8);
		});

		it('counts receipts in analytics', () => {
			expect(delivered).toBeGreaterThan(0);
		});

		it('reads trigger events', () => {
			expect(events.length).toBeGreaterThan(0);
		});

		it('reads the newest events', () => {
			expect(tailEvents.length).toBeGreaterThan(0);
		});

		it.each([
			['FLUSHALL', ['FLUSHALL']],
			['KEYS', ['KEYS', '*']],
			['CONFIG SET', ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']],
			['ACL SETUSER', ['ACL', 'SETUSER', 'waq-worker', '+@all']],
			['SCRIPT FLUSH', ['SCRIPT', 'FLUSH']],
		])('denies %s', async (_name, command) => {
			const reply = await restricted.call(command[0], ...command.slice(1)).catch((error: Error) => error);
			expect(String(reply)).toMatch(/NOPERM/);
		});

		it('denies keys of other prefixes', async () => {
			const reply = await restricted.get('other:key').catch((error: Error) => error);
			expect(String(reply)).toMatch(/NOPERM/);
		});

		it('names a missing permission', async () => {
			const narrowUser = 'waq-no-scripts';
			const rules = queueAclRules(narrowUser, userPassword, { queue: prefix, analytics: analyticsPrefix });
			await admin.call('ACL', ...rules, '-evalsha', '-eval');
			const narrow = createQueueManager({ redis: { ...userConnection(), username: narrowUser }, prefix });
			try {
				const { error } = await failureOf(() => narrow.addMessage(text('34640000050')));
				expect(error?.message).toMatch(/permission.*(evalsha|eval)/is);
			} finally {
				await narrow.close();
			}
		});
	});

	describe('TLS', () => {
		let tls: TlsRedisServer;
		let plain: RedisServer;
		let queue: QueueManager;
		let prefix: string;

		beforeAll(async () => {
			tls = new TlsRedisServer();
			await tls.start();
			plain = await startRedisServer();
			gateway = await startTestGateway({ instances: ['acme'] });
		});

		afterAll(async () => {
			await gateway.sandbox.stop();
			await tls.dispose();
			await plain.dispose();
		});

		beforeEach(() => {
			prefix = uniquePrefix();
			queue = createQueueManager({
				redis: { host: tls.host, port: tls.port, tls: { ca: tls.certificates.caPem }, connectTimeoutMs: CONNECT_TIMEOUT_MS },
				prefix,
			});
		});

		afterEach(async () => {
			await queue.close();
		});

		function tlsEnv(ca: string): Record<string, string> {
			return {
				REDIS_HOST: tls.host,
				REDIS_PORT: String(tls.port),
				REDIS_TLS: 'true',
				REDIS_TLS_CA: ca,
				QUEUE_PREFIX: prefix,
				ANALYTICS_ENABLED: 'true',
				ANALYTICS_PREFIX: prefix,
			};
		}

		it('delivers through a worker process', async () => {
			const worker = spawnWorker(tlsEnv(tls.certificates.caCertPath));
			await worker.waitForLog('Delivery worker ready.');
			await queue.addBulk(phones(10, 100).map((phone) => text(phone)));
			await waitFor(async () => (await queue.getMetrics('acme')).completed === 10, { timeoutMs: 15_000 });
			expect(gateway.sandbox.received.filter((record) => phones(10, 100).includes(record.number))).toHaveLength(10);
		});

		it('takes the CA as PEM text', async () => {
			const worker = spawnWorker(tlsEnv(tls.certificates.caPem));
			const ready = await worker.waitForLog('Delivery worker ready.');
			expect(ready.msg).toBe('Delivery worker ready.');
		});

		it('accepts a rediss:// URL', async () => {
			const byUrl = createQueueManager({
				redis: { url: `rediss://${tls.host}:${tls.port}`, tls: { ca: tls.certificates.caPem } },
				prefix,
			});
			try {
				expect((await byUrl.getMetrics()).completed).toBe(0);
			} finally {
				await byUrl.close();
			}
		});

		async function failureWith(redis: RedisConnectionConfig) {
			const manager = createQueueManager({ redis: { ...redis, connectTimeoutMs: CONNECT_TIMEOUT_MS }, prefix });
			try {
				return await failureOf(() => manager.getMetrics());
			} finally {
				await manager.close();
			}
		}

		it('rejects an untrusted certificate', async () => {
			const { error } = await failureWith({ host: tls.host, port: tls.port, tls: true });
			expect(error?.message).toMatch(/certificate that is not trusted/);
		});

		it('points a plaintext client at TLS', async () => {
			const { error } = await failureWith({ host: tls.host, port: tls.port });
			expect(error?.message).toMatch(/TLS/);
		});

		it('fails a plaintext client within the timeout', async () => {
			const { elapsedMs } = await failureWith({ host: tls.host, port: tls.port });
			expect(elapsedMs).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + 1000);
		});

		it('points a TLS client at plaintext', async () => {
			const { error } = await failureWith({ host: plain.host, port: plain.port, tls: { ca: tls.certificates.caPem } });
			expect(error?.message).toMatch(/TLS/);
		});

		it('fails a TLS client within the timeout', async () => {
			const { elapsedMs } = await failureWith({ host: plain.host, port: plain.port, tls: { ca: tls.certificates.caPem } });
			expect(elapsedMs).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + 1000);
		});

		it('logs nothing but JSON lines', async () => {
			const worker = spawnWorker(tlsEnv(tls.certificates.caCertPath));
			await worker.waitForLog('Delivery worker ready.');
			const raw = worker.lines.filter((line: LogLine) => line.level === 'raw');
			expect(raw).toEqual([]);
		});
	});
});
