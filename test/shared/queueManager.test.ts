import type { Redis } from 'ioredis';

import { createQueueManager, type QueueManager } from '../../shared/queue';
import { QueueKeys } from '../../shared/redis/keys';
import type { WhatsAppMessage } from '../../shared/message';
import { ConfigError, QueueClosedError, RedisUnavailableError, ValidationError } from '../../shared/errors';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';

function text(instanceName: string, recipientPhone: string, extra: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
	return { instanceName, recipientPhone, messageType: 'text', content: { text: 'Hello' }, ...extra };
}

describe('QueueManager', () => {
	let server: RedisServer;
	let redis: Redis;
	let prefix: string;
	let keys: QueueKeys;
	const managers: QueueManager[] = [];

	function manager(config: Parameters<typeof createQueueManager>[0] = {}): QueueManager {
		const created = createQueueManager({ redis: server.connection, prefix, ...config });
		managers.push(created);
		return created;
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		prefix = uniquePrefix();
		keys = new QueueKeys(prefix);
		redis = server.client();
	});

	afterEach(async () => {
		await Promise.all(managers.splice(0).map((m) => m.close()));
		redis.disconnect();
	});

	describe('addMessage', () => {
		it('returns a public job id and state', async () => {
			const job = await manager().addMessage(text('acme', '+34 600 000 001'));
			expect(job.id).toMatch(/^acme:m[0-9a-z]+$/);
			expect(job.state).toBe('waiting');
			expect(job.duplicate).toBe(false);
			expect(job.priority).toBe('normal');
			expect(job.recipientPhone).toBe('34600000001');
		});

		it('keeps the original phone string', async () => {
			const queue = manager();
			const job = await queue.addMessage(text('acme', '(+34) 600-000-001'));
			const status = await queue.getStatus(job.id);
			expect(status.message?.recipientPhone).toBe('34600000001');
			expect(status.message?.recipientInput).toBe('(+34) 600-000-001');
		});

		it('maps every priority to an explicit BullMQ priority', async () => {
			const queue = manager();
			const priorities = ['critical', 'high', 'normal', 'low', 2] as const;
			for (const [index, priority] of priorities.entries()) {
				const job = await queue.addMessage(text('acme', `3460000000${index}`, { metadata: { priority } }));
				const internalId = job.id.split(':')[1];
				const stored = await redis.hget(keys.jobKey('acme', internalId), 'priority');
				expect(stored).toBe(String(typeof priority === 'number' ? priority : index + 1));
			}
		});

		it('rejects an invalid message before Redis', async () => {
			const queue = manager({ redis: { host: '127.0.0.1', port: await getFreePort() } });
			await expect(queue.addMessage(text('acme', '+34 600 00O 001'))).rejects.toThrow(ValidationError);
		});

		it('makes job ids unique across instances', async () => {
			const queue = manager();
			const a = await queue.addMessage(text('acme', '34600000001'));
			const b = await queue.addMessage(text('beta', '34600000001'));
			expect(a.id).not.toBe(b.id);
			expect((await queue.getStatus(a.id)).instanceName).toBe('acme');
			expect((await queue.getStatus(b.id)).instanceName).toBe('beta');
		});
	});

	describe('idempotency', () => {
		it('returns the existing job as a duplicate', async () => {
			const queue = manager();
			const message = text('acme', '34600000009', { metadata: { idempotencyKey: 'order-1001-confirm' } });
			const first = await queue.addMessage(message);
			const second = await queue.addMessage(message);
			expect(second.duplicate).toBe(true);
			expect(second.id).toBe(first.id);
			expect(second.state).toBe('waiting');
			expect((await queue.getMetrics('acme')).waiting).toBe(1);
		});

		it('queues one of concurrent duplicates', async () => {
			const queue = manager();
			const message = text('acme', '34600000009', { metadata: { idempotencyKey: 'race' } });
			const results = await Promise.all(Array.from({ length: 8 }, () => queue.addMessage(message)));
			expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
			expect((await queue.getMetrics('acme')).waiting).toBe(1);
		});

		it('marks duplicates within one bulk call', async () => {
			const queue = manager();
			const message = text('acme', '34600000009', { metadata: { idempotencyKey: 'same' } });
			const [first, second] = await queue.addBulk([message, message]);
			expect(first.duplicate).toBe(false);
			expect(second.duplicate).toBe(true);
			expect(second.id).toBe(first.id);
		});

		it('scopes keys to one instance', async () => {
			const queue = manager();
			const metadata = { idempotencyKey: 'shared-key' };
			const a = await queue.addMessage(text('acme', '34600000001', { metadata }));
			const b = await queue.addMessage(text('beta', '34600000001', { metadata }));
			expect(a.duplicate).toBe(false);
			expect(b.duplicate).toBe(false);
		});

		it('frees the key once the job is cancelled', async () => {
			const queue = manager();
			const message = text('acme', '34600000009', { metadata: { idempotencyKey: 'cancel-me' } });
			const first = await queue.addMessage(message);
			await queue.cancelMessage(first.id);
			const again = await queue.addMessage(message);
			expect(again.duplicate).toBe(false);
		});
	});

	describe('addBulk', () => {
		it('returns jobs in input order', async () => {
			const queue = manager();
			const phones = ['34600000001', '34600000002', '34600000003'];
			const jobs = await queue.addBulk(phones.map((phone, i) => text(i % 2 ? 'beta' : 'acme', phone)));
			expect(jobs.map((job) => job.recipientPhone)).toEqual(phones);
			expect(jobs.map((job) => job.instanceName)).toEqual(['acme', 'beta', 'acme']);
		});

		it('keeps input order across chunks', async () => {
			const queue = manager();
			const jobs = await queue.addBulk(Array.from({ length: 4500 }, (_, i) => text('acme', `3460${String(i).padStart(7, '0')}`)));
			const queued = await redis.zrange(keys.bullKey('acme', 'prioritized'), 0, -1);
			expect(queued).toEqual(jobs.map((job) => job.id.split(':')[1]));
		});

		it('enqueues nothing when one message is invalid', async () => {
			const queue = manager();
			const messages = [text('acme', '34600000001'), text('acme', 'abc'), text('acme', '34600000002')];
			const error = await queue.addBulk(messages).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ValidationError);
			expect((error as ValidationError).message).toContain('[1]');
			expect((await queue.getMetrics()).waiting).toBe(0);
		});

		it('accepts an empty list', async () => {
			expect(await manager().addBulk([])).toEqual([]);
		});
	});

	describe('per-call options', () => {
		it('stores a retry policy on the job', async () => {
			const queue = manager();
			const job = await queue.addMessage(text('acme', '34600000001'), { retry: { attempts: 5 } });
			const data = JSON.parse((await redis.hget(keys.jobKey('acme', job.id.split(':')[1]), 'data')) ?? '{}');
			expect(data.retry).toEqual({ attempts: 5, backoff: { type: 'exponential', delay: 2000 } });
		});

		it('splits a long text when asked', async () => {
			const queue = manager();
			const long = 'word '.repeat(1000).trim();
			const job = await queue.addMessage(text('acme', '34600000001', { content: { text: long } }), { textPolicy: 'split' });
			const status = await queue.getStatus(job.id);
			expect(status.message?.textParts?.length).toBe(2);
		});

		it('schedules each bulk entry', async () => {
			const queue = manager();
			const later = Date.now() + 60_000;
			const [now, scheduled] = await queue.enqueueBulk([
				{ message: text('acme', '34600000001') },
				{ message: text('acme', '34600000002'), at: later },
			]);
			expect(now.state).toBe('waiting');
			expect(scheduled.state).toBe('delayed');
			expect(scheduled.scheduledAt).toBe(new Date(later).toISOString());
		});

		it('names every bad bulk entry', async () => {
			const queue = manager();
			const error = await queue
				.enqueueBulk([
					{ message: text('acme', '34600000001'), at: 'tomorrow 9am' },
					{ message: text('acme', '34600000002'), retry: { attempts: 0 } },
				])
				.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ValidationError);
			expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
				'[0].scheduledAt',
				'[1].retry.attempts',
			]);
			expect((await queue.getMetrics()).waiting).toBe(0);
		});
	});

	describe('scheduleMessage', () => {
		it('delays a message to its time', async () => {
			const queue = manager();
			const at = new Date(Date.now() + 60_000);
			const job = await queue.scheduleMessage(text('acme', '34600000001'), at);
			const status = await queue.getStatus(job.id);
			expect(job.state).toBe('delayed');
			expect(job.scheduledAt).toBe(at.toISOString());
			expect(status.scheduledAt).toBe(at.toISOString());
		});

		it('keeps long bulk schedules exact', async () => {
			const queue = manager();
			const at = new Date(Date.now() + 600_000);
			const entries = Array.from({ length: 5000 }, (_, index) => ({
				message: text('acme', `3460${String(index).padStart(7, '0')}`),
				at,
			}));
			const jobs = await queue.enqueueBulk(entries);
			const last = await queue.getStatus(jobs[jobs.length - 1].id);
			expect(last.scheduledAt).toBe(at.toISOString());
		});

		it('reads a local time in the given zone', async () => {
			const queue = manager();
			const local = new Date(Date.now() + 86_400_000).toISOString().slice(0, 19);
			const job = await queue.scheduleMessage(text('acme', '34600000001'), local, { timeZone: 'Asia/Tokyo' });
			expect(Date.parse(job.scheduledAt ?? '')).toBe(Date.parse(`${local}+09:00`));
		});

		it('rejects a local time without a zone', async () => {
			const queue = manager();
			await expect(queue.scheduleMessage(text('acme', '34600000001'), '2030-03-10T09:00:00')).rejects.toThrow(
				ValidationError,
			);
		});

		it('rejects a time in the past', async () => {
			const queue = manager();
			await expect(queue.scheduleMessage(text('acme', '34600000001'), '2020-01-01T00:00:00Z')).rejects.toThrow(/past/);
		});

		it('rejects words it cannot parse', async () => {
			const queue = manager();
			await expect(queue.scheduleMessage(text('acme', '34600000001'), 'tomorrow 9am')).rejects.toThrow(ValidationError);
		});
	});

	describe('queue control', () => {
		it('counts per instance and in total', async () => {
			const queue = manager();
			await queue.addBulk([text('acme', '34600000001'), text('acme', '34600000002'), text('beta', '34600000003')]);
			await queue.scheduleMessage(text('beta', '34600000004'), Date.now() + 60_000);
			const totals = await queue.getMetrics();
			expect(totals.waiting).toBe(3);
			expect(totals.delayed).toBe(1);
			expect(totals.instances?.acme.waiting).toBe(2);
			expect(totals.instances?.beta.delayed).toBe(1);
		});

		it('counts messages of paused instances as paused', async () => {
			const queue = manager();
			await queue.addBulk([text('acme', '34600000001'), text('beta', '34600000002')]);
			await queue.pause('acme');
			const totals = await queue.getMetrics();
			expect(totals.paused).toBe(1);
			expect(totals.waiting).toBe(1);
			expect(totals.pausedInstances).toEqual(['acme']);
		});

		it('pauses and resumes every instance', async () => {
			const queue = manager();
			await queue.addBulk([text('acme', '34600000001'), text('beta', '34600000002')]);
			await queue.pause();
			expect((await queue.getMetrics()).paused).toBe(2);
			await queue.resume();
			expect((await queue.getMetrics()).waiting).toBe(2);
		});

		it('drains waiting and scheduled messages', async () => {
			const queue = manager();
			await queue.addBulk([text('acme', '34600000001'), text('acme', '34600000002')]);
			await queue.scheduleMessage(text('acme', '34600000003'), Date.now() + 60_000);
			await queue.addMessage(text('beta', '34600000004'));
			expect(await queue.drain('acme')).toBe(3);
			const totals = await queue.getMetrics();
			expect(totals.instances?.acme.waiting).toBe(0);
			expect(totals.instances?.acme.delayed).toBe(0);
			expect(totals.instances?.beta.waiting).toBe(1);
		});

		it('cancels one waiting message', async () => {
			const queue = manager();
			const job = await queue.addMessage(text('acme', '34600000001'));
			const result = await queue.cancelMessage(job.id);
			expect(result.cancelled).toBe(true);
			expect((await queue.getStatus(job.id)).state).toBe('unknown');
		});

		it('cancels the unsent messages of a campaign', async () => {
			const queue = manager();
			const metadata = { campaignId: 'spring' };
			await queue.addBulk([
				text('acme', '34600000001', { metadata }),
				text('beta', '34600000002', { metadata }),
				text('acme', '34600000003'),
			]);
			const result = await queue.cancelCampaign('spring');
			expect(result.cancelled).toBe(2);
			expect((await queue.getMetrics()).waiting).toBe(1);
		});

		it('rejects a malformed job id', async () => {
			await expect(manager().getStatus('no-instance')).rejects.toThrow(/Invalid job id/);
		});
	});

	describe('rate limits', () => {
		it('stores a limit for one instance', async () => {
			const queue = manager();
			await queue.setRateLimit('acme', { max: 10, duration: 1000 });
			expect(await queue.getRateLimit('acme')).toEqual({ max: 10, duration: 1000, jitter: 0, source: 'instance' });
			expect((await queue.getRateLimit('beta')).source).toBe('default');
		});

		it('rejects a negative maximum', async () => {
			await expect(manager().setRateLimit('acme', { max: -1, duration: 1000 })).rejects.toThrow(/rateLimit.max/);
		});
	});

	describe('configuration', () => {
		it('names an invalid option', () => {
			expect(() => createQueueManager({ concurrency: 0 })).toThrow(ConfigError);
			expect(() => createQueueManager({ concurrency: 0 })).toThrow(/concurrency 0/);
		});

		it('rejects calls after close', async () => {
			const queue = manager();
			await queue.close();
			await queue.close();
			await expect(queue.addMessage(text('acme', '34600000001'))).rejects.toThrow(QueueClosedError);
		});

		it('uses one connection for many instances', async () => {
			const queue = manager();
			await queue.addBulk(Array.from({ length: 30 }, (_, i) => text(`inst${i}`, '34600000001')));
			const clients = (await redis.client('LIST')) as string;
			const ours = clients.split('\n').filter((line) => line.includes(`name=${prefix}:`));
			expect(ours).toHaveLength(1);
		});
	});

	describe('Redis outage', () => {
		it('fails fast with advice when Redis is down', async () => {
			const port = await getFreePort();
			const queue = manager({ redis: { host: '127.0.0.1', port, connectTimeoutMs: 1000 } });
			const started = Date.now();
			const error = await queue.addMessage(text('acme', '34600000001')).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(RedisUnavailableError);
			expect((error as Error).message).toContain(`127.0.0.1:${port}`);
			expect(Date.now() - started).toBeLessThan(5000);
		});
	});
});
