import type { Redis } from 'ioredis';

import { createAnalyticsExtensions } from '../../worker/analyticsExtensions';
import { loadWorkerConfig } from '../../worker/config';
import { runWorker, type RunningWorker } from '../../worker/runWorker';
import { silentLogger } from '../../shared/logger';
import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { WorkerProcess } from '../helpers/workerProcess';

/** What a rejected call threw, reduced to what the tests check. */
interface Rejection {
	name: string;
	/** Issue paths of a `ValidationError`, or the option of a `ConfigError`. */
	fields: string[];
	message: string;
}

async function rejectionOf(call: () => Promise<unknown>): Promise<Rejection | undefined> {
	try {
		await call();
		return undefined;
	} catch (error) {
		const { name, message } = error as Error;
		const issues = (error as { issues?: Array<{ path: string }> }).issues;
		const option = (error as { option?: string }).option;
		let fields: string[] = [];
		if (issues) {
			fields = issues.map((issue) => issue.path);
		} else if (option) {
			fields = [option];
		}
		return { name, fields, message };
	}
}

function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { instanceName: 'acme', recipientPhone: '34600000001', messageType: 'text', content: { text: 'Hello' }, ...overrides };
}

function withMetadata(metadata: unknown): Record<string, unknown> {
	return valid({ metadata });
}

function location(latitude: unknown, longitude: unknown): Record<string, unknown> {
	return valid({ messageType: 'location', content: { latitude, longitude } });
}

function image(content: Record<string, unknown>): Record<string, unknown> {
	return valid({ messageType: 'image', content });
}

function cards(count: number): Record<string, unknown> {
	const card = { fullName: 'Ana', phoneNumber: '34600000002' };
	return valid({ messageType: 'contact', content: { contacts: Array.from({ length: count }, () => card) } });
}

const HOSTILE_MESSAGES: Array<[string, unknown, string]> = [
	['a null message', null, ''],
	['a string message', 'Hello', ''],
	['a number message', 42, ''],
	['an array message', [], ''],
	['a Date message', new Date(), ''],
	['a numeric instance', valid({ instanceName: 5 }), 'instanceName'],
	['a 10,000-character instance', valid({ instanceName: 'i'.repeat(10_000) }), 'instanceName'],
	['a NUL in the instance', valid({ instanceName: 'ac\u0000me' }), 'instanceName'],
	['a numeric recipient', valid({ recipientPhone: 34600000001 }), 'recipientPhone'],
	['a million-digit recipient', valid({ recipientPhone: '3'.repeat(1_000_000) }), 'recipientPhone'],
	['a BEL in the recipient', valid({ recipientPhone: '3460000\u00070001' }), 'recipientPhone'],
	['a recipient of -1', valid({ recipientPhone: '-1' }), 'recipientPhone'],
	['an unknown message type', valid({ messageType: 'sticker' }), 'messageType'],
	['the message type __proto__', valid({ messageType: '__proto__' }), 'messageType'],
	['a 5,000,000-character text', valid({ content: { text: 'x'.repeat(5_000_000) } }), 'content.text'],
	['a NUL in the text', valid({ content: { text: 'a\u0000b' } }), 'content.text'],
	['an escape sequence in the text', valid({ content: { text: '\u001b[31mred' } }), 'content.text'],
	['a numeric text', valid({ content: { text: 42 } }), 'content.text'],
	['a latitude of -1e308', location(-1e308, 0), 'content.latitude'],
	['an infinite latitude', location(Number.POSITIVE_INFINITY, 0), 'content.latitude'],
	['a NaN longitude', location(0, Number.NaN), 'content.longitude'],
	['a longitude of 181', location(0, 181), 'content.longitude'],
	['a javascript: URL', image({ url: 'javascript:alert(1)' }), 'content.url'],
	['a file: URL', image({ url: 'file:///etc/passwd' }), 'content.url'],
	['8 MiB of base64', image({ base64: 'A'.repeat(8 * 1024 * 1024), mimeType: 'image/png' }), 'content.base64'],
	['1,000 contact cards', cards(1000), 'content.contacts'],
	['a priority of -1', withMetadata({ priority: -1 }), 'metadata.priority'],
	['a priority of 1e308', withMetadata({ priority: 1e308 }), 'metadata.priority'],
	['a NaN priority', withMetadata({ priority: Number.NaN }), 'metadata.priority'],
	['an unknown priority', withMetadata({ priority: 'urgent' }), 'metadata.priority'],
	['a 10,000-character campaign', withMetadata({ campaignId: 'c'.repeat(10_000) }), 'metadata.campaignId'],
	['a NUL in the campaign', withMetadata({ campaignId: 'spring\u0000' }), 'metadata.campaignId'],
	['an object idempotency key', withMetadata({ idempotencyKey: {} }), 'metadata.idempotencyKey'],
	['100 KB of metadata', withMetadata({ notes: 'x'.repeat(100_000) }), 'metadata'],
	[
		'__proto__ in JSON text',
		JSON.parse('{"instanceName":"acme","recipientPhone":"34600000001","messageType":"text","content":{"text":"Hi"},"__proto__":{"polluted":true}}'),
		'__proto__',
	],
	['constructor in metadata', withMetadata(JSON.parse('{"constructor":{"prototype":{"polluted":true}}}')), 'metadata.constructor'],
	['prototype in content', valid({ content: JSON.parse('{"text":"Hi","prototype":{"polluted":true}}') }), 'content.prototype'],
	['__proto__ deep in metadata', withMetadata(JSON.parse('{"a":{"b":[{"__proto__":{"polluted":true}}]}}')), 'metadata.a.b[0].__proto__'],
	['an unknown field', valid({ sendAt: 'now' }), 'sendAt'],
];

const HOSTILE_DATES: Array<[string, unknown]> = [
	['the epoch', new Date(0)],
	['the earliest Date', new Date(-8.64e15)],
	['the latest Date', new Date(8.64e15)],
	['an invalid Date', new Date(Number.NaN)],
	['-1', -1],
	['0', 0],
	['1.5', 1.5],
	['an unsafe integer', Number.MAX_SAFE_INTEGER + 2],
	['epoch seconds', Math.floor(Date.now() / 1000)],
	['year 0000', '0000-01-01T00:00:00Z'],
	['year 9999', '9999-12-31T23:59:59Z'],
	['a past year', '2020-01-01T00:00:00Z'],
	['a relative phrase', 'tomorrow 9am'],
	['an empty string', ''],
	['month 13', '2025-13-01T00:00:00Z'],
	['a time without a zone', '2030-01-01T00:00:00'],
	['null', null],
	['an object', {}],
	['an array', []],
	['__proto__ as JSON text', '{"__proto__":1}'],
];

describe('hostile input', () => {
	let server: RedisServer;

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	describe('QueueManager', () => {
		let queue: QueueManager;
		let redis: Redis;
		let prefix: string;

		beforeAll(async () => {
			prefix = uniquePrefix();
			queue = createQueueManager({ redis: server.connection, prefix });
			redis = server.client();
			// A known instance, so rate-limit calls below add nothing to the registry.
			await queue.setRateLimit('acme', { max: 80, duration: 60_000 });
		});

		afterAll(async () => {
			await queue.close();
			redis.disconnect();
		});

		/** Runs a call that must fail and checks that Redis gained no key. */
		async function expectRejected(call: () => Promise<unknown>, field: string): Promise<void> {
			const keysBefore = await redis.dbsize();
			const rejection = await rejectionOf(call);
			expect(['ValidationError', 'ConfigError']).toContain(rejection?.name);
			expect(rejection?.fields).toContain(field);
			expect(rejection?.message).toContain(field === '' ? 'Invalid message' : field);
			expect(await redis.dbsize()).toBe(keysBefore);
		}

		it.each(HOSTILE_MESSAGES)('rejects %s', async (_name, message, field) => {
			await expectRejected(() => queue.addMessage(message as WhatsAppMessage), field);
		});

		it.each(HOSTILE_DATES)('rejects a schedule of %s', async (_name, date) => {
			await expectRejected(() => queue.scheduleMessage(valid() as unknown as WhatsAppMessage, date as string), 'scheduledAt');
		});

		it('rejects an unknown time zone', async () => {
			const due = Date.now() + 60_000;
			await expectRejected(
				() => queue.scheduleMessage(valid() as unknown as WhatsAppMessage, due, { timeZone: 'Mars/Base' }),
				'scheduledAt',
			);
		});

		it('rejects a bulk that is not an array', async () => {
			await expectRejected(() => queue.addBulk({} as WhatsAppMessage[]), 'messages');
		});

		it('rejects a sparse bulk', async () => {
			await expectRejected(() => queue.addBulk(new Array(3)), '[0]');
		});

		it('rejects one bad message among 1,000', async () => {
			const messages = Array.from({ length: 1000 }, (_, i) => valid({ recipientPhone: `3460${String(i).padStart(7, '0')}` }));
			messages[500] = valid({ recipientPhone: 'not a number' });
			await expectRejected(() => queue.addBulk(messages as unknown as WhatsAppMessage[]), '[500].recipientPhone');
		});

		it('rejects a bad last message of 5,000', async () => {
			const messages = Array.from({ length: 5000 }, () => valid());
			messages[4999] = valid({ messageType: 'sticker' });
			await expectRejected(() => queue.addBulk(messages as unknown as WhatsAppMessage[]), '[4999].messageType');
		});

		const HOSTILE_CALLS: Array<[string, (target: QueueManager) => Promise<unknown>, string]> = [
			['a numeric job id', (q) => q.getStatus(42 as unknown as string), 'jobId'],
			['a job id without instance', (q) => q.getStatus('m1'), 'jobId'],
			['a job id without id', (q) => q.getStatus('acme:'), 'jobId'],
			['a null job id to cancel', (q) => q.cancelMessage(null as unknown as string), 'jobId'],
			['an object job id to retry', (q) => q.retryDLQMessage({} as unknown as string), 'jobId'],
			['a missing job id to remove', (q) => q.removeDLQMessage(undefined as unknown as string), 'jobId'],
			['a dead-letter limit of -1', (q) => q.getDLQMessages(-1), 'limit'],
			['a dead-letter limit of 1.5', (q) => q.getDLQMessages(1.5), 'limit'],
			['a NaN dead-letter limit', (q) => q.getDLQMessages(Number.NaN), 'limit'],
			['a dead-letter limit of 1e9', (q) => q.getDLQMessages(1e9), 'limit'],
			['a string dead-letter limit', (q) => q.getDLQMessages('10' as unknown as number), 'limit'],
			['a 200-character instance', (q) => q.getDLQMessages(10, 'i'.repeat(200)), 'instanceName'],
			['a negative clean grace', (q) => q.clean(-1), 'graceMs'],
			['an infinite clean grace', (q) => q.clean(Number.POSITIVE_INFINITY), 'graceMs'],
			['a fractional clean limit', (q) => q.clean(0, 1.5), 'limit'],
			['a BEL instance to pause', (q) => q.pause('\u0007'), 'instanceName'],
			['a numeric instance to resume', (q) => q.resume(42 as unknown as string), 'instanceName'],
			['a padded instance to drain', (q) => q.drain(' acme'), 'instanceName'],
			['an empty instance for metrics', (q) => q.getMetrics(''), 'instanceName'],
			['an empty campaign', (q) => q.cancelCampaign(''), 'campaignId'],
			['a numeric campaign', (q) => q.cancelCampaign(42 as unknown as string), 'campaignId'],
			['a NUL instance for a campaign', (q) => q.cancelCampaign('spring', '\u0000'), 'instanceName'],
			['a rate limit of -1', (q) => q.setRateLimit('acme', { max: -1 }), 'rateLimit.max'],
			['a rate limit of 1e12', (q) => q.setRateLimit('acme', { max: 1e12 }), 'rateLimit.max'],
			['a zero window', (q) => q.setRateLimit('acme', { duration: 0 }), 'rateLimit.duration'],
			['a string window', (q) => q.setRateLimit('acme', { duration: 'abc' as unknown as number }), 'rateLimit.duration'],
			['a jitter of 5', (q) => q.setRateLimit('acme', { jitter: 5 }), 'rateLimit.jitter'],
			['a NUL instance for a limit', (q) => q.setRateLimit('\u0000', { max: 1 }), 'instanceName'],
			['an empty instance for a limit', (q) => q.getRateLimit(''), 'instanceName'],
		];

		it.each(HOSTILE_CALLS)('rejects %s', async (_name, call, field) => {
			await expectRejected(() => call(queue), field);
		});

		it('leaves Object.prototype clean', () => {
			expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		});

		// setRateLimit adds the instance to the registry before it checks the limit.
		it('registers nothing for a bad limit', async () => {
			await rejectionOf(() => queue.setRateLimit('fresh', { max: -1 }));
			expect(await redis.sismember(`${prefix}:instances`, 'fresh')).toBe(0);
		});

		// resolveRateLimit reads `max` of any value, so a string or null stores the defaults.
		it('rejects a string rate limit', async () => {
			await expectRejected(() => queue.setRateLimit('acme', 'fast' as never), 'rateLimit');
		});

		// parsePublicJobId does not check the instance part of a job id.
		it('rejects a NUL in a job id', async () => {
			await expectRejected(() => queue.getStatus('ac\u0000me:m1'), 'jobId');
		});

		// A status read creates a BullMQ Queue, which writes the instance's meta key.
		it('writes nothing to read a status', async () => {
			const keysBefore = await redis.dbsize();
			await queue.getStatus('nobody:m1');
			expect(await redis.dbsize()).toBe(keysBefore);
		});

		// cancelCampaign checks only that the id is a non-empty string.
		it('rejects a NUL in a campaign id', async () => {
			await expectRejected(() => queue.cancelCampaign('spring\u0000'), 'campaignId');
		});

		// The message quotes String(limit), so "10" reads like the number 10.
		it('shows the type of a string limit', async () => {
			const rejection = await rejectionOf(() => queue.getDLQMessages('10' as unknown as number));
			expect(rejection?.message).toContain('"10"');
		});
	});

	describe('worker environment', () => {
		let gateway: TestGateway;
		const processes: WorkerProcess[] = [];

		beforeAll(async () => {
			gateway = await startTestGateway({ instances: ['acme'] });
		});

		afterAll(async () => {
			await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
			await gateway.sandbox.stop();
		});

		function spawnWorker(extra: Record<string, string>): WorkerProcess {
			const worker = new WorkerProcess({
				REDIS_HOST: server.host,
				REDIS_PORT: String(server.port),
				QUEUE_PREFIX: uniquePrefix(),
				EVOLUTION_API_URL: gateway.url,
				EVOLUTION_API_KEY: gateway.sandbox.apiKey,
				HTTP_PORT: '0',
				ANALYTICS_ENABLED: 'false',
				...extra,
			});
			processes.push(worker);
			return worker;
		}

		/** Exit code of a worker, or `running` when it has not exited within `timeoutMs`. */
		async function exitCodeOf(worker: WorkerProcess, timeoutMs = 3000): Promise<number | null | 'running'> {
			let timer: NodeJS.Timeout | undefined;
			const deadline = new Promise<'running'>((resolve) => {
				timer = setTimeout(() => resolve('running'), timeoutMs);
			});
			try {
				return await Promise.race([worker.exited.then((exit) => exit.code), deadline]);
			} finally {
				clearTimeout(timer);
			}
		}

		async function expectConfigExit(name: string, value: string): Promise<void> {
			const worker = spawnWorker({ [name]: value, ANALYTICS_ENABLED: name.startsWith('ANALYTICS') ? 'true' : 'false' });
			expect(await exitCodeOf(worker)).toBe(2);
			expect(worker.stderr).toContain(name);
			expect(worker.stderr).not.toMatch(/^\s+at /m);
		}

		it.each([
			['WORKER_CONCURRENCY', '-1'],
			['WORKER_CONCURRENCY', '1e3'],
			['WORKER_CONCURRENCY', '99999999999999999999'],
			['WORKER_CONCURRENCY', '0x10'],
			['RATE_LIMIT_MAX', 'abc'],
			['RATE_LIMIT_JITTER', '2'],
			['RATE_LIMIT_JITTER', 'NaN'],
			['GATEWAY_TIMEOUT_MS', '0'],
			['REDIS_PORT', '70000'],
			['REDIS_DB', '16'],
			['REDIS_TLS', 'maybe'],
			['REDIS_TLS_CA', '/nonexistent/ca.pem'],
			['LOG_LEVEL', 'loud'],
			['RETRY_ATTEMPTS', '0'],
			['RETRY_BACKOFF_TYPE', 'linear'],
			['RETRY_MAX_RATE_LIMITED', '-1'],
			['TEXT_POLICY', 'truncate'],
			['KEEP_COMPLETED_SECONDS', '1e99'],
			['HTTP_PORT', '-1'],
			['EVENT_MAX_LENGTH', '1e9'],
			['LOCK_DURATION_MS', '10'],
			['SHUTDOWN_TIMEOUT_MS', '-5'],
			['POLL_INTERVAL_MS', '5'],
			['EVOLUTION_API_KEY', ' '],
			['ANALYTICS_RETENTION_DAYS', '0'],
			['ANALYTICS_COST_PER_MESSAGE', '-1'],
			['REDIS_ANALYTICS_DB', '-1'],
		])('rejects %s=%j', async (name, value) => {
			await expectConfigExit(name, value);
		});

		// These values are checked after loadWorkerConfig, so the process exits 1
		// with "unexpected error" and an internal option name.
		it.each([
			['REDIS_URL', 'http://127.0.0.1'],
			['EVOLUTION_API_URL', 'not a url'],
			['EVOLUTION_API_URL', 'ftp://127.0.0.1'],
			['QUEUE_PREFIX', '{bad}'],
			['ANALYTICS_PREFIX', '{bad}'],
			['ANALYTICS_TIME_ZONE', 'Mars/Base'],
		])('rejects %s=%j at start', async (name, value) => {
			await expectConfigExit(name, value);
		});

		// readList drops empty entries and checks no names, so the worker serves nothing.
		it.each([
			['INSTANCES', ' , '],
			['INSTANCES', 'ac\tme'],
		])('rejects %s=%j', async (name, value) => {
			await expectConfigExit(name, value);
		});

		it('hides the password of a bad REDIS_URL', async () => {
			const worker = spawnWorker({ REDIS_URL: 'redis://:url-password-value@127.0.0.1:99999' });
			await exitCodeOf(worker);
			expect(worker.stdout + worker.stderr).not.toContain('url-password-value');
		});

		it('hides credentials in EVOLUTION_API_URL', async () => {
			const worker = spawnWorker({ EVOLUTION_API_URL: 'http://user:url-password-value@127.0.0.1:9' });
			await exitCodeOf(worker);
			expect(worker.stdout + worker.stderr).not.toContain('url-password-value');
		});
	});

	describe('webhook bodies', () => {
		const secret = 'hostile-body-webhook-secret';
		let gateway: TestGateway;
		let worker: RunningWorker;
		let analyticsRedis: Redis;
		let url: string;

		beforeAll(async () => {
			const prefix = uniquePrefix();
			const port = await getFreePort();
			url = `http://127.0.0.1:${port}/webhooks/evolution`;
			gateway = await startTestGateway({ instances: ['acme'] });
			const config = loadWorkerConfig({
				REDIS_HOST: server.host,
				REDIS_PORT: String(server.port),
				QUEUE_PREFIX: prefix,
				ANALYTICS_PREFIX: prefix,
				EVOLUTION_API_URL: gateway.url,
				EVOLUTION_API_KEY: gateway.sandbox.apiKey,
				HTTP_PORT: String(port),
				WEBHOOK_SECRET: secret,
			});
			worker = await runWorker(config, silentLogger, await createAnalyticsExtensions(config, silentLogger));
			analyticsRedis = server.client(1);
			// The first body connects analytics, which may store its settings once.
			await post(JSON.stringify({ event: 'connection.update', data: {} }));
		});

		afterAll(async () => {
			await worker.stop();
			await gateway.sandbox.stop();
			analyticsRedis.disconnect();
		});

		async function post(body: string): Promise<number> {
			const response = await fetch(url, { method: 'POST', headers: { 'x-webhook-secret': secret }, body });
			await response.arrayBuffer();
			return response.status;
		}

		const update = (data: unknown) => JSON.stringify({ event: 'messages.update', instance: 'acme', data });

		it.each([
			['text that is not JSON', 'not json', 400],
			['truncated JSON', '{"event":"messages.update"', 400],
			['null', 'null', 400],
			['an array', '[]', 400],
			['a number', '123', 400],
			['an empty object', '{}', 400],
			['a numeric event', '{"event":5}', 400],
			['deeply nested arrays', `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 400],
			['__proto__ as JSON text', '{"event":"messages.update","__proto__":{"polluted":true},"data":{"keyId":"A1","status":"EXPLODED","fromMe":true}}', 200],
			['constructor as JSON text', '{"event":"messages.upsert","constructor":{"prototype":{"polluted":true}},"data":{"key":{"fromMe":true}}}', 200],
			['an unknown event', '{"event":"call.exploded","data":{}}', 200],
			['a NUL in the event', '{"event":"\\u0000messages.update"}', 200],
			['a 500,000-character event', JSON.stringify({ event: 'e'.repeat(500_000) }), 200],
			['an unknown status', update({ keyId: 'A1', status: 'EXPLODED', fromMe: true }), 200],
			['a 10,000-character message id', update({ keyId: 'k'.repeat(10_000), status: 'DELIVERY_ACK', fromMe: true }), 200],
			['50,000 empty records', update(Array.from({ length: 50_000 }, () => ({}))), 200],
			['a string as data', update('x'), 200],
			['a date in year 9999', JSON.stringify({ event: 'messages.upsert', date_time: '9999-12-31T00:00:00Z', data: { key: { fromMe: true } } }), 200],
			['a timestamp of -1e308', JSON.stringify({ event: 'messages.upsert', data: { key: { id: 'B1', fromMe: true }, messageTimestamp: -1e308 } }), 200],
		])('answers %s', async (_name, body, status) => {
			const keysBefore = await analyticsRedis.dbsize();
			expect(await post(body)).toBe(status);
			expect(await analyticsRedis.dbsize()).toBe(keysBefore);
		});

		it('leaves Object.prototype clean', () => {
			expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		});

		it('stays healthy afterwards', async () => {
			const response = await fetch(url.replace('/webhooks/evolution', '/health'));
			await response.arrayBuffer();
			expect(response.status).toBe(200);
		});
	});
});
