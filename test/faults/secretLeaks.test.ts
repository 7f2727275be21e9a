import { randomBytes } from 'node:crypto';

import { analyticsObserver, createAnalyticsManager, type AnalyticsManager } from '../../shared/analytics';
import { EvolutionClient } from '../../shared/gateways/evolution/client';
import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { getFreePort } from '../helpers/ports';
import { readEveryValue } from '../helpers/redisInspect';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

const API_KEY = `gw-key-${randomBytes(12).toString('hex')}`;
const REDIS_PASSWORD = `redis-pw-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `hook-secret-${randomBytes(12).toString('hex')}`;
const SECRETS: Array<[string, string]> = [
	['the API key', API_KEY],
	['the Redis password', REDIS_PASSWORD],
	['the webhook secret', WEBHOOK_SECRET],
];

/** A gateway 400 whose message repeats the API key, as a careless proxy might. */
const ECHOING_REJECTION = {
	status: 400,
	error: 'Bad Request',
	response: { message: [`apikey ${API_KEY} is not allowed to send to this number`] },
};

function text(recipientPhone: string, instanceName = 'acme'): WhatsAppMessage {
	return {
		instanceName,
		recipientPhone,
		messageType: 'text',
		content: { text: 'Hello' },
		metadata: { campaignId: 'leak' },
	};
}

/** Returns the message of an error and of its cause, or of the error a call threw. */
async function errorTextOf(call: () => unknown): Promise<string> {
	try {
		await call();
		return '';
	} catch (error) {
		const cause = (error as { cause?: unknown }).cause;
		return `${(error as Error).message} ${cause instanceof Error ? cause.message : ''}`;
	}
}

describe('secrets', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let queue: QueueManager;
	let analytics: AnalyticsManager;
	let prefix: string;
	const workers: WorkerProcess[] = [];
	/** Everything a secret must not appear in, gathered once. */
	const seen = { logs: '', redis: '', deadLetters: '', producerErrors: '' };

	beforeAll(async () => {
		// Redis is killed below, and the append-only file keeps the queue across that.
		server = await startRedisServer({ password: REDIS_PASSWORD, appendOnly: true });
		prefix = uniquePrefix();
		const hookPort = await getFreePort();
		gateway = await startTestGateway({
			apiKey: API_KEY,
			// The instance token travels in every webhook envelope as `apikey`.
			instances: [{ name: 'acme', token: API_KEY }, 'beta'],
			notOnWhatsApp: ['34650000009'],
			webhook: {
				url: `http://127.0.0.1:${hookPort}/webhooks/evolution`,
				headers: { 'x-webhook-secret': WEBHOOK_SECRET },
				deliveredAfterMs: 50,
				readAfterMs: 100,
				readRatio: 1,
				replyRatio: 1,
				replyAfterMs: 150,
			},
		});
		const common = {
			QUEUE_PREFIX: prefix,
			ANALYTICS_PREFIX: prefix,
			ANALYTICS_ENABLED: 'true',
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: API_KEY,
			WEBHOOK_SECRET,
			RATE_LIMIT_MAX: '0',
			RETRY_BACKOFF_DELAY_MS: '100',
			POLL_INTERVAL_MS: '100',
			LOG_LEVEL: 'trace',
		};
		workers.push(
			new WorkerProcess({
				...common,
				REDIS_HOST: server.host,
				REDIS_PORT: String(server.port),
				REDIS_PASSWORD,
				HTTP_PORT: String(hookPort),
			}),
			// The second worker has the password only inside REDIS_URL.
			new WorkerProcess({
				...common,
				REDIS_URL: `redis://:${REDIS_PASSWORD}@${server.host}:${server.port}/0`,
				HTTP_PORT: '0',
			}),
		);
		await Promise.all(workers.map((worker) => worker.waitForLog('Delivery worker ready.')));
		queue = createQueueManager({ redis: server.connection, prefix });
		analytics = createAnalyticsManager({ ...server.connection, db: 1, prefix });
		queue.addObserver(analyticsObserver(analytics));

		await sendThroughFaults();
		await postHostileWebhooks(hookPort);
		await restartRedis();
		seen.deadLetters = JSON.stringify(await queue.getDLQMessages(100));
		await recoverEverything();
		seen.producerErrors = await collectProducerErrors();

		await Promise.all(workers.map((worker) => worker.signal('SIGTERM')));
		await Promise.all(workers.map((worker) => worker.exited));
		seen.logs = workers.map((worker) => worker.stdout + worker.stderr).join('\n');
		const dumps = await Promise.all([0, 1].map((db) => dumpDatabase(db)));
		seen.redis = dumps.join('\n');
	});

	afterAll(async () => {
		await Promise.all(workers.map((worker) => worker.dispose()));
		await queue.close();
		await analytics.close();
		await gateway.sandbox.stop();
		await server.dispose();
	});

	/** Sends, retries, rejections with the key in the body, a dead letter, and a paused instance. */
	async function sendThroughFaults(): Promise<void> {
		gateway.sandbox.addFault({ action: 'respond', status: 500, count: 2, message: `upstream said apikey=${API_KEY}` });
		gateway.sandbox.addFault({ action: 'respond', status: 400, number: '34650000008', count: 1, body: ECHOING_REJECTION });
		gateway.sandbox.addFault({ action: 'respond', status: 401, instance: 'beta', count: 1 });
		const numbers = ['34650000001', '34650000002', '34650000003', '34650000004', '34650000008', '34650000009'];
		await queue.addBulk(numbers.map((phone) => text(phone)));
		await queue.addMessage(text('34650000010', 'beta'));
		await waitFor(async () => {
			const metrics = await queue.getMetrics();
			return metrics.completed === 4 && metrics.dlq === 2 && metrics.paused === 1;
		}, { timeoutMs: 20_000, description: 'four sent, two dead-lettered, one paused' });
	}

	/** Wrong secrets, and a malformed body that carries every secret. */
	async function postHostileWebhooks(hookPort: number): Promise<void> {
		const url = `http://127.0.0.1:${hookPort}/webhooks/evolution`;
		const body = JSON.stringify({ event: 5, apikey: API_KEY, note: REDIS_PASSWORD, secret: WEBHOOK_SECRET });
		const attempts = [
			fetch(url, { method: 'POST', body }),
			fetch(`${url}?token=${WEBHOOK_SECRET}x`, { method: 'POST', body }),
			fetch(url, { method: 'POST', headers: { 'x-webhook-secret': `${WEBHOOK_SECRET}x` }, body }),
			fetch(`${url}?token=${WEBHOOK_SECRET}`, { method: 'POST', body }),
			fetch(url, { method: 'POST', headers: { 'x-webhook-secret': WEBHOOK_SECRET }, body: `${body}}` }),
		];
		for (const response of await Promise.all(attempts)) {
			await response.arrayBuffer();
		}
	}

	/** Kills Redis, so both workers log the outage, and starts it again. */
	async function restartRedis(): Promise<void> {
		await server.kill();
		await Promise.all(workers.map((worker) => worker.waitForLog('Redis connection lost; retrying until it is back.')));
		await server.start();
		await Promise.all(workers.map((worker) => worker.waitForLog('Redis connection restored.', 15_000)));
	}

	async function recoverEverything(): Promise<void> {
		gateway.sandbox.clearFaults();
		gateway.sandbox.setNotOnWhatsApp([]);
		await queue.retryAllDLQMessages();
		await queue.resume('beta');
		await waitFor(async () => (await queue.getMetrics()).completed === 7, {
			timeoutMs: 20_000,
			description: 'seven messages sent',
		});
		await waitFor(() => gateway.sandbox.stats().webhooks.pending === 0, {
			timeoutMs: 15_000,
			description: 'every webhook posted',
		});
	}

	/** Errors of producers given wrong or malformed settings that contain the secrets. */
	async function collectProducerErrors(): Promise<string> {
		const closedPort = await getFreePort();
		const texts = await Promise.all([
			errorTextOf(async () => {
				const wrong = createQueueManager({ redis: { ...server.connection, password: `${REDIS_PASSWORD}x` }, prefix });
				try {
					await wrong.getMetrics();
				} finally {
					await wrong.close();
				}
			}),
			errorTextOf(async () => {
				const unreachable = createQueueManager({ redis: { url: `redis://:${REDIS_PASSWORD}@127.0.0.1:${closedPort}` }, prefix });
				try {
					await unreachable.getMetrics();
				} finally {
					await unreachable.close();
				}
			}),
			errorTextOf(() => createQueueManager({ redis: { url: `redis://:${REDIS_PASSWORD}@127.0.0.1:99999` } })),
			errorTextOf(() => new EvolutionClient({ baseUrl: `http://user:${API_KEY}@127.0.0.1:1`, apiKey: API_KEY })),
		]);
		return texts.join('\n');
	}

	async function dumpDatabase(db: number): Promise<string> {
		const client = server.client(db);
		try {
			const values = await readEveryValue(client);
			return [...values].map(([key, value]) => `${key} ${value}`).join('\n');
		} finally {
			client.disconnect();
		}
	}

	it.each(['logs', 'redis', 'deadLetters', 'producerErrors'] as const)('gathers the %s to search', (place) => {
		expect(seen[place].length).toBeGreaterThan(0);
	});

	it('logs the echoed key redacted', () => {
		expect(seen.logs).toContain('upstream said apikey=[redacted]');
	});

	it('records the gateway response', () => {
		// The rejection that repeated the key is kept, with the key replaced.
		expect(seen.deadLetters).toContain('is not allowed to send to this number');
	});

	it.each(SECRETS)('keeps %s out of logs', (_name, secret) => {
		expect(seen.logs).not.toContain(secret);
	});

	it.each(SECRETS)('keeps %s out of Redis', (_name, secret) => {
		expect(seen.redis).not.toContain(secret);
	});

	it.each(SECRETS)('keeps %s out of dead letters', (_name, secret) => {
		expect(seen.deadLetters).not.toContain(secret);
	});

	it.each(SECRETS)('keeps %s out of producer errors', (_name, secret) => {
		expect(seen.producerErrors).not.toContain(secret);
	});
});
