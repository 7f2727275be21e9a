import type { Redis } from 'ioredis';

import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { extraCopies, reportMeasurement } from '../helpers/measure';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { acceptedNumbers, startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess, type LogLine } from '../helpers/workerProcess';

/** Producers in these tests give up on Redis after this long. */
const CONNECT_TIMEOUT_MS = 2000;
const OUTAGE_MS = 30_000;
const CONCURRENCY = 5;

function text(recipientPhone: string): WhatsAppMessage {
	return { instanceName: 'acme', recipientPhone, messageType: 'text', content: { text: 'Hello' } };
}

function phones(count: number, first = 0): string[] {
	return Array.from({ length: count }, (_, i) => `3461${String(first + i).padStart(7, '0')}`);
}

/** Outcome of one producer call made while Redis was down. */
interface Probe {
	call: string;
	elapsedMs: number;
	errorName?: string;
	errorMessage?: string;
}

async function probe(call: string, action: () => Promise<unknown>): Promise<Probe> {
	const started = Date.now();
	try {
		await action();
		return { call, elapsedMs: Date.now() - started };
	} catch (error) {
		const { name, message } = error as Error;
		return { call, elapsedMs: Date.now() - started, errorName: name, errorMessage: message };
	}
}

function countLines(worker: WorkerProcess, message: string): number {
	return worker.lines.filter((line) => line.msg === message).length;
}

describe('Redis faults', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let queue: QueueManager;
	let prefix: string;
	const processes: WorkerProcess[] = [];

	async function startWorker(extra: Record<string, string> = {}): Promise<{ worker: WorkerProcess; healthUrl: string }> {
		const worker = new WorkerProcess({
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			HTTP_PORT: '0',
			RATE_LIMIT_MAX: '0',
			WORKER_CONCURRENCY: String(CONCURRENCY),
			RETRY_BACKOFF_DELAY_MS: '100',
			POLL_INTERVAL_MS: '100',
			// Locks expire within a 30 s outage, so jobs in flight go through the stalled-job check.
			LOCK_DURATION_MS: '5000',
			STALLED_INTERVAL_MS: '1000',
			ANALYTICS_ENABLED: 'false',
			LOG_LEVEL: 'info',
			...extra,
		});
		processes.push(worker);
		const listening = (await worker.waitForLog('HTTP server listening.')) as LogLine & { port: number };
		await worker.waitForLog('Delivery worker ready.');
		return { worker, healthUrl: `http://127.0.0.1:${listening.port}/health` };
	}

	async function setUp(latency?: { minMs: number; maxMs: number }): Promise<void> {
		gateway = await startTestGateway({ instances: ['acme'], latency });
		prefix = uniquePrefix();
		queue = createQueueManager({
			redis: { ...server.connection, connectTimeoutMs: CONNECT_TIMEOUT_MS },
			prefix,
		});
	}

	async function tearDown(): Promise<void> {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
		await queue.close();
		await gateway.sandbox.stop();
	}

	async function waitForCompleted(total: number): Promise<void> {
		await waitFor(async () => (await queue.getMetrics('acme')).completed === total, {
			timeoutMs: 90_000,
			description: `${total} messages completed`,
		});
	}

	beforeAll(async () => {
		server = await startRedisServer({ appendOnly: true });
	});

	afterAll(async () => {
		await server.dispose();
	});

	describe('crash during a run', () => {
		const total = 400;
		const numbers = phones(total);
		let sentAtCrash = 0;
		let sentAtRestart = 0;
		let producerError: Probe;
		let reconnectMs = 0;
		let firstSendMs = 0;

		beforeAll(async () => {
			await setUp({ minMs: 20, maxMs: 60 });
			const { worker } = await startWorker({ RATE_LIMIT_MAX: '40', RATE_LIMIT_DURATION_MS: '1000' });
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitFor(() => gateway.sandbox.received.length >= 100, { timeoutMs: 30_000 });

			sentAtCrash = gateway.sandbox.received.length;
			await server.kill();
			await worker.waitForLog('Redis connection lost; retrying until it is back.');
			producerError = await probe('addMessage', () => queue.addMessage(text('34600000001')));
			sentAtRestart = gateway.sandbox.received.length;

			const restoredBefore = countLines(worker, 'Redis connection restored.');
			await server.start();
			const restartedAt = Date.now();
			await waitFor(() => countLines(worker, 'Redis connection restored.') > restoredBefore, {
				timeoutMs: 15_000,
			});
			reconnectMs = Date.now() - restartedAt;
			await waitFor(() => gateway.sandbox.received.length > sentAtRestart, { timeoutMs: 15_000 });
			firstSendMs = Date.now() - restartedAt;
			await waitForCompleted(total);
			reportMeasurement('Redis SIGKILL mid-run (appendonly), 400 messages', {
				sentBeforeCrash: sentAtCrash,
				sendsWhileDown: sentAtRestart - sentAtCrash,
				duplicates: extraCopies(acceptedNumbers(gateway.sandbox)),
				reconnectMs,
				firstSendAfterRestartMs: firstSendMs,
			});
		});

		afterAll(tearDown);

		it('rejects the producer while down', () => {
			expect(producerError.errorName).toBe('RedisUnavailableError');
		});

		it('completes every message', async () => {
			expect((await queue.getMetrics('acme')).completed).toBe(total);
		});

		it('sends every number', () => {
			const sent = new Set(acceptedNumbers(gateway.sandbox));
			expect(numbers.filter((phone) => !sent.has(phone))).toEqual([]);
		});

		it('bounds duplicates by concurrency', () => {
			expect(extraCopies(acceptedNumbers(gateway.sandbox))).toBeLessThanOrEqual(CONCURRENCY);
		});

		it('resumes sending within seconds', () => {
			// The worker's reconnect delay grows by 250 ms per failed attempt.
			expect(firstSendMs).toBeLessThan(10_000);
		});
	});

	describe('30 s outage while idle', () => {
		const due = phones(20, 1000);
		const probes: Probe[] = [];
		const healthStatuses = new Set<number>();
		let consoleErrors = 0;
		let readyListenersAdded = 0;
		let workerErrorLines = 0;
		let reconnectMs = 0;
		let dueDeliveredMs = 0;
		let outageMs = 0;

		beforeAll(async () => {
			await setUp();
			const { worker, healthUrl } = await startWorker();
			// Due 10 s into the outage.
			const dueAt = Date.now() + 10_000;
			await Promise.all(due.map((phone) => queue.scheduleMessage(text(phone), dueAt)));

			const consoleSpy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
			// The manager's client is private, so the test reads it to count listeners.
			const client = (queue as unknown as { client: Redis }).client;
			const readyListenersBefore = client.listenerCount('ready');
			const errorLinesBefore = worker.lines.filter((line) => line.level === 'error').length;
			await server.stop();
			const stoppedAt = Date.now();
			while (Date.now() - stoppedAt < OUTAGE_MS) {
				const health = await fetch(healthUrl);
				healthStatuses.add(health.status);
				await health.arrayBuffer();
				probes.push(
					await probe('addMessage', () => queue.addMessage(text('34600000002'))),
					await probe('addBulk', () => queue.addBulk([text('34600000003')])),
					await probe('scheduleMessage', () => queue.scheduleMessage(text('34600000004'), Date.now() + 60_000)),
					await probe('getMetrics', () => queue.getMetrics()),
					await probe('getStatus', () => queue.getStatus('acme:m0000000000000')),
					await probe('getDLQMessages', () => queue.getDLQMessages(10)),
					await probe('pause', () => queue.pause('acme')),
				);
			}
			consoleErrors = consoleSpy.mock.calls.length;
			consoleSpy.mockRestore();
			readyListenersAdded = client.listenerCount('ready') - readyListenersBefore;
			workerErrorLines = worker.lines.filter((line) => line.level === 'error').length - errorLinesBefore;

			const restoredBefore = countLines(worker, 'Redis connection restored.');
			await server.start();
			outageMs = Date.now() - stoppedAt;
			const restartedAt = Date.now();
			await waitFor(() => countLines(worker, 'Redis connection restored.') > restoredBefore, {
				timeoutMs: 15_000,
			});
			reconnectMs = Date.now() - restartedAt;
			await waitFor(() => gateway.sandbox.received.length === due.length, { timeoutMs: 20_000 });
			dueDeliveredMs = Date.now() - restartedAt;
			reportMeasurement('Redis stopped 30 s while idle', {
				outageMs,
				producerCalls: probes.length,
				slowestProducerFailureMs: Math.max(...probes.map((entry) => entry.elapsedMs)),
				reconnectMs,
				dueMessagesDeliveredMs: dueDeliveredMs,
				producerConsoleErrors: consoleErrors,
				producerReadyListenersAdded: readyListenersAdded,
				workerErrorLines,
			});
		});

		afterAll(tearDown);

		it('lasts at least 30 seconds', () => {
			expect(outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);
		});

		it('rejects every producer call', () => {
			const names = new Set(probes.map((entry) => entry.errorName));
			expect([...names]).toEqual(['RedisUnavailableError']);
		});

		it('fails each call within the timeout', () => {
			const slowest = Math.max(...probes.map((entry) => entry.elapsedMs));
			expect(slowest).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + 1000);
		});

		it('names the address in errors', () => {
			const target = `127.0.0.1:${server.port}`;
			expect(probes.filter((entry) => !entry.errorMessage?.includes(target))).toEqual([]);
		});

		it('reports the worker unhealthy', () => {
			expect([...healthStatuses]).toEqual([503]);
		});

		it('reconnects the worker by itself', () => {
			// The reconnect delay is capped at 5 s.
			expect(reconnectMs).toBeLessThanOrEqual(6000);
		});

		it('delivers messages due during it', () => {
			expect(acceptedNumbers(gateway.sandbox).sort()).toEqual([...due].sort());
		});

		it('accepts producer calls afterwards', async () => {
			const job = await queue.addMessage(text('34600000005'));
			expect(job.state).toBe('waiting');
		});

		// BullMQ prints an error of a Queue without an `error` listener with console.error.
		it('keeps the producer console quiet', () => {
			expect(consoleErrors).toBe(0);
		});

		// Each call that times out leaves its `ready` and `end` listeners on the client.
		it('leaks no client listeners', () => {
			expect(readyListenersAdded).toBeLessThanOrEqual(1);
		});

		// One line per connection when it is lost; the BullMQ worker and queue of
		// each instance add an error line on every reconnect attempt.
		it('logs the outage once per connection', () => {
			expect(workerErrorLines).toBeLessThanOrEqual(2);
		});
	});

	describe('30 s outage while sending', () => {
		const total = 300;
		const numbers = phones(total, 2000);
		const probes: Probe[] = [];
		let sentAtStop = 0;
		let sentAtRestart = 0;
		let firstSendMs = 0;

		beforeAll(async () => {
			await setUp({ minMs: 100, maxMs: 300 });
			await startWorker({ RATE_LIMIT_MAX: '20', RATE_LIMIT_DURATION_MS: '1000' });
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitFor(() => gateway.sandbox.received.length >= 60, { timeoutMs: 30_000 });

			await server.stop();
			const stoppedAt = Date.now();
			sentAtStop = gateway.sandbox.received.length;
			while (Date.now() - stoppedAt < OUTAGE_MS) {
				probes.push(await probe('addMessage', () => queue.addMessage(text('34600000006'))));
			}
			sentAtRestart = gateway.sandbox.received.length;

			await server.start();
			const restartedAt = Date.now();
			await waitFor(() => gateway.sandbox.received.length > sentAtRestart, { timeoutMs: 20_000 });
			firstSendMs = Date.now() - restartedAt;
			await waitForCompleted(total);
			reportMeasurement('Redis stopped 30 s while sending, 300 messages', {
				sentBeforeStop: sentAtStop,
				sendsWhileDown: sentAtRestart - sentAtStop,
				duplicates: extraCopies(acceptedNumbers(gateway.sandbox)),
				firstSendAfterRestartMs: firstSendMs,
			});
		});

		afterAll(tearDown);

		it('rejects every producer call', () => {
			expect(probes.filter((entry) => entry.errorName !== 'RedisUnavailableError')).toEqual([]);
		});

		it('starts no sends while down', () => {
			// Only sends already in flight at the stop may still reach the gateway.
			expect(sentAtRestart - sentAtStop).toBeLessThanOrEqual(CONCURRENCY);
		});

		it('completes every message', async () => {
			expect((await queue.getMetrics('acme')).completed).toBe(total);
		});

		it('sends every number', () => {
			const sent = new Set(acceptedNumbers(gateway.sandbox));
			expect(numbers.filter((phone) => !sent.has(phone))).toEqual([]);
		});

		it('bounds duplicates by concurrency', () => {
			expect(extraCopies(acceptedNumbers(gateway.sandbox))).toBeLessThanOrEqual(CONCURRENCY);
		});

		it('resumes sending within seconds', () => {
			expect(firstSendMs).toBeLessThan(10_000);
		});
	});

	describe('eviction policy', () => {
		const warning = 'Redis may evict queued messages under memory pressure. Set maxmemory-policy to noeviction.';
		let lruServer: RedisServer;
		let defaultServer: RedisServer;

		beforeAll(async () => {
			// Arguments after the helper's own `noeviction` win.
			[lruServer, defaultServer] = await Promise.all([
				startRedisServer({ extraArgs: ['--maxmemory-policy', 'allkeys-lru'] }),
				startRedisServer(),
			]);
			gateway = await startTestGateway({ instances: ['acme'] });
		});

		afterAll(async () => {
			await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
			await gateway.sandbox.stop();
			await Promise.all([lruServer.dispose(), defaultServer.dispose()]);
		});

		function startOn(target: RedisServer): Promise<WorkerProcess> {
			const worker = new WorkerProcess({
				REDIS_HOST: target.host,
				REDIS_PORT: String(target.port),
				EVOLUTION_API_URL: gateway.url,
				EVOLUTION_API_KEY: gateway.sandbox.apiKey,
				HTTP_PORT: '0',
				ANALYTICS_ENABLED: 'false',
			});
			processes.push(worker);
			return worker.waitForLog('Delivery worker ready.').then(() => worker);
		}

		it('warns when keys may be evicted', async () => {
			const worker = await startOn(lruServer);
			const line = worker.lines.find((entry) => entry.msg === warning);
			expect(line?.maxmemoryPolicy).toBe('allkeys-lru');
		});

		it('stays quiet with noeviction', async () => {
			const worker = await startOn(defaultServer);
			expect(worker.lines.filter((entry) => entry.msg === warning)).toEqual([]);
		});
	});
});
