import { analyticsObserver, createAnalyticsManager, type AnalyticsManager, type CampaignMetrics } from '../../shared/analytics';
import type { Priority, WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { getFreePort } from '../helpers/ports';
import { extraCopies, maxInAnyWindow, median, reportMeasurement } from '../helpers/measure';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

const TOTAL = 20_000;
const INSTANCES = ['north', 'south'];
/** Per instance and second. 10,000 messages per instance then take about 100 s. */
const LIMIT_PER_SECOND = 100;
const WEBHOOK_SECRET = 'load-test-webhook-secret';
const CAMPAIGN = 'load';

/** One message of the load, with what the test expects of it. */
interface Planned {
	message: WhatsAppMessage;
	priority: Priority;
	/** Epoch ms before which the message must not be sent, for scheduled ones. */
	dueAt?: number;
	isOnWhatsApp: boolean;
}

/** Priority of the message in `slot` of each 20: 1 critical, 3 high, 12 normal, 4 low. */
function priorityOf(slot: number): Priority {
	if (slot === 0) {
		return 'critical';
	}
	if (slot <= 3) {
		return 'high';
	}
	return slot <= 15 ? 'normal' : 'low';
}

/**
 * Builds the load. Instances alternate, and of every 20 messages 1 is
 * critical, 3 high, 12 normal and 4 low. Every tenth is due 5 to 54 s after
 * `now`, and every hundredth goes to a number that is not on WhatsApp.
 */
function planLoad(now: number): Planned[] {
	return Array.from({ length: TOTAL }, (_, i) => {
		const priority = priorityOf(i % 20);
		const message: WhatsAppMessage = {
			instanceName: INSTANCES[i % INSTANCES.length],
			recipientPhone: `3463${String(i).padStart(7, '0')}`,
			messageType: 'text',
			content: { text: `Load message ${i}` },
			metadata: { priority, campaignId: CAMPAIGN },
		};
		const planned: Planned = { message, priority, isOnWhatsApp: i % 100 !== 99 };
		if (i % 10 === 5) {
			planned.dueAt = now + 5000 + (i % 50) * 1000;
		}
		return planned;
	});
}

/** Sends per second between the first and the last of `times`. */
function averageRate(times: number[]): number {
	const sorted = [...times].sort((a, b) => a - b);
	return ((sorted.length - 1) * 1000) / (sorted[sorted.length - 1] - sorted[0]);
}

describe('load of 20,000 messages', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let queue: QueueManager;
	let analytics: AnalyticsManager;
	let prefix: string;
	let plan: Planned[];
	let metrics: CampaignMetrics;
	let elapsedMs = 0;
	/** When the gateway first accepted each number. */
	const receivedAt = new Map<string, number>();
	const processes: WorkerProcess[] = [];

	function workerEnv(httpPort: number): Record<string, string> {
		return {
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			ANALYTICS_PREFIX: prefix,
			ANALYTICS_ENABLED: 'true',
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			WEBHOOK_SECRET,
			HTTP_PORT: String(httpPort),
			RATE_LIMIT_MAX: String(LIMIT_PER_SECOND),
			RATE_LIMIT_DURATION_MS: '1000',
			WORKER_CONCURRENCY: '10',
			POLL_INTERVAL_MS: '200',
			// Debug lines time every send start at the worker.
			LOG_LEVEL: 'debug',
		};
	}

	/** Arrival times at the gateway of every send request of an instance, retries included. */
	function sendStarts(instance: string): number[] {
		return gateway.sandbox.requests.filter((request) => request.instance === instance).map((request) => request.time);
	}

	/** When the workers started each send of an instance, from their debug log lines. */
	function workerSendStarts(instance: string): number[] {
		return processes.flatMap((worker) =>
			worker.lines
				.filter((line) => line.msg === 'Sending message.' && line.instance === instance)
				.map((line) => Date.parse(String(line.time))),
		);
	}

	async function enqueue(): Promise<void> {
		const immediate = plan.filter((item) => item.dueAt === undefined).map((item) => item.message);
		for (let start = 0; start < immediate.length; start += 2000) {
			await queue.addBulk(immediate.slice(start, start + 2000));
		}
		const scheduled = plan.filter((item) => item.dueAt !== undefined);
		for (let start = 0; start < scheduled.length; start += 100) {
			const batch = scheduled.slice(start, start + 100);
			await Promise.all(batch.map((item) => queue.scheduleMessage(item.message, item.dueAt!)));
		}
	}

	beforeAll(async () => {
		server = await startRedisServer();
		prefix = uniquePrefix();
		const hookPort = await getFreePort();
		gateway = await startTestGateway({
			instances: INSTANCES,
			latency: { minMs: 5, maxMs: 40 },
			maxRecords: 50_000,
			notOnWhatsApp: planLoad(0)
				.filter((item) => !item.isOnWhatsApp)
				.map((item) => item.message.recipientPhone),
			webhook: {
				url: `http://127.0.0.1:${hookPort}/webhooks/evolution`,
				headers: { 'x-webhook-secret': WEBHOOK_SECRET },
				events: ['MESSAGES_UPDATE'],
				deliveredAfterMs: 200,
				readRatio: 0,
			},
		});
		queue = createQueueManager({ redis: server.connection, prefix });
		analytics = createAnalyticsManager({ ...server.connection, db: 1, prefix });
		queue.addObserver(analyticsObserver(analytics));

		// Everything is queued before the workers start, so the test's own enqueue
		// work does not delay the sandbox, which runs in this process, while it
		// timestamps sends.
		const queuedAt = Date.now();
		plan = planLoad(queuedAt + 15_000);
		await enqueue();
		const enqueueMs = Date.now() - queuedAt;

		// Three worker processes; the sandbox posts every receipt to the first.
		for (const port of [hookPort, 0, 0]) {
			processes.push(new WorkerProcess(workerEnv(port)));
		}
		await Promise.all(processes.map((worker) => worker.waitForLog('Delivery worker ready.', 20_000)));
		const started = Date.now();
		await waitFor(
			async () => {
				const counts = await queue.getMetrics();
				return counts.completed + counts.dlq === TOTAL;
			},
			{ timeoutMs: 280_000, intervalMs: 500, description: 'every message completed or dead-lettered' },
		);
		elapsedMs = Date.now() - started;
		await waitFor(() => gateway.sandbox.stats().webhooks.pending === 0, {
			timeoutMs: 30_000,
			description: 'every receipt posted',
		});
		metrics = await analytics.getCampaignMetrics(CAMPAIGN);
		for (const record of gateway.sandbox.received) {
			if (!receivedAt.has(record.number)) {
				receivedAt.set(record.number, record.time);
			}
		}

		const perInstance = INSTANCES.map((instance) => maxInAnyWindow(sendStarts(instance), 1000));
		const perTenSeconds = INSTANCES.map((instance) => maxInAnyWindow(sendStarts(instance), 10_000));
		reportMeasurement('load: 3 workers, 2 instances, 20,000 messages', {
			enqueueMs,
			elapsedMs,
			limitPerSecond: LIMIT_PER_SECOND,
			maxSendsInOneSecond: perInstance.join('/'),
			maxWorkerStartsInOneSecond: INSTANCES.map((instance) => maxInAnyWindow(workerSendStarts(instance), 1000)).join('/'),
			maxSendsInTenSeconds: perTenSeconds.join('/'),
			averagePerSecond: INSTANCES.map((instance) => averageRate(sendStarts(instance)).toFixed(2)).join('/'),
			sent: metrics.sent,
			delivered: metrics.delivered,
			failed: metrics.failed,
			duplicates: extraCopies(gateway.sandbox.received.map((record) => record.number)),
		});
	});

	afterAll(async () => {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
		await queue.close();
		await analytics.close();
		await gateway.sandbox.stop();
		await server.dispose();
	});

	it('completes every reachable number', async () => {
		const expected = plan.filter((item) => item.isOnWhatsApp).length;
		expect((await queue.getMetrics()).completed).toBe(expected);
	});

	it('dead-letters every unreachable number', async () => {
		const expected = plan.filter((item) => !item.isOnWhatsApp).length;
		expect((await queue.getMetrics()).dlq).toBe(expected);
	});

	it('gives not_on_whatsapp as the reason', async () => {
		const reasons = new Set((await queue.getDLQMessages(10_000)).map((entry) => entry.reason));
		expect([...reasons]).toEqual(['not_on_whatsapp']);
	});

	it('sends each reachable number once', () => {
		const expected = plan.filter((item) => item.isOnWhatsApp).map((item) => item.message.recipientPhone);
		const sent = gateway.sandbox.received.map((record) => record.number);
		expect(sent.sort()).toEqual(expected.sort());
	});

	// The limit holds for send starts at the workers. Arrival times at the
	// sandbox, which shares this process with the test and a busy machine with
	// three workers, vary by more than the 10 ms guard, so they are reported,
	// not asserted; the benchmarks measure them on a quiet machine.
	it.each(INSTANCES)('keeps %s within its limit', (instance) => {
		const starts = workerSendStarts(instance);
		expect(starts.length).toBeGreaterThanOrEqual(9900);
		expect(maxInAnyWindow(starts, 1000)).toBeLessThanOrEqual(LIMIT_PER_SECOND);
	});

	it.each(INSTANCES)('keeps %s at its average rate', (instance) => {
		// Either end of a 100 s run can move by a request's travel time, which 1 % covers.
		expect(averageRate(sendStarts(instance))).toBeLessThanOrEqual(LIMIT_PER_SECOND * 1.01);
	});

	it('sends no scheduled message early', () => {
		const early = plan.filter((item) => {
			const time = item.dueAt !== undefined && item.isOnWhatsApp ? receivedAt.get(item.message.recipientPhone) : undefined;
			return time !== undefined && time < item.dueAt!;
		});
		expect(early).toEqual([]);
	});

	it('serves critical before low', () => {
		const timesOf = (priority: Priority) =>
			plan
				.filter((item) => item.priority === priority && item.dueAt === undefined && item.isOnWhatsApp)
				.map((item) => receivedAt.get(item.message.recipientPhone) ?? Number.NaN);
		expect(median(timesOf('critical'))).toBeLessThan(median(timesOf('low')));
	});

	it('counts every message queued', () => {
		expect(metrics.queued).toBe(TOTAL);
	});

	it('counts gateway acceptances as sent', () => {
		expect(metrics.sent).toBe(gateway.sandbox.received.length);
	});

	it('counts dead letters as failed', async () => {
		expect(metrics.failed).toBe((await queue.getMetrics()).dlq);
	});

	it('counts receipts as delivered', () => {
		const receipts = new Set(
			gateway.sandbox.webhookDeliveries
				.filter((delivery) => delivery.ok && delivery.status === 'DELIVERY_ACK')
				.map((delivery) => delivery.keyId),
		);
		expect(metrics.delivered).toBe(receipts.size);
	});

	it('receives a receipt per send', () => {
		expect(metrics.delivered).toBe(gateway.sandbox.received.length);
	});

	it('leaves nothing pending', () => {
		expect(metrics.pending).toBe(0);
	});
});
