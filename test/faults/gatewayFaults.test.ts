import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { SandboxGateway } from '../../sandbox/sandboxGateway';
import type { SandboxGatewayOptions } from '../../sandbox/types';
import { extraCopies, reportMeasurement } from '../helpers/measure';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { acceptedNumbers } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

/** Retry policy of every worker here: three attempts, 200 ms then 400 ms apart. */
const RETRY_ENV = { RETRY_ATTEMPTS: '3', RETRY_BACKOFF_TYPE: 'exponential', RETRY_BACKOFF_DELAY_MS: '200' };
const GATEWAY_TIMEOUT_MS = 500;

function text(recipientPhone: string, instanceName = 'acme'): WhatsAppMessage {
	return { instanceName, recipientPhone, messageType: 'text', content: { text: 'Hello' } };
}

function phones(count: number, first = 0): string[] {
	return Array.from({ length: count }, (_, i) => `3462${String(first + i).padStart(7, '0')}`);
}

describe('gateway faults', () => {
	let server: RedisServer;
	let sandbox: SandboxGateway;
	let queue: QueueManager;
	let prefix: string;
	const processes: WorkerProcess[] = [];

	async function startSandbox(options: SandboxGatewayOptions = {}): Promise<void> {
		sandbox = new SandboxGateway({ port: 0, instances: ['acme', 'beta', 'gamma', 'delta'], ...options });
		await sandbox.start();
	}

	async function startWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
		const worker = new WorkerProcess({
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			EVOLUTION_API_URL: sandbox.url,
			EVOLUTION_API_KEY: sandbox.apiKey,
			GATEWAY_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS),
			HTTP_PORT: '0',
			RATE_LIMIT_MAX: '0',
			WORKER_CONCURRENCY: '5',
			POLL_INTERVAL_MS: '100',
			ANALYTICS_ENABLED: 'false',
			LOG_LEVEL: 'info',
			...RETRY_ENV,
			...extra,
		});
		processes.push(worker);
		await worker.waitForLog('Delivery worker ready.');
		return worker;
	}

	async function setUp(options: SandboxGatewayOptions = {}, workerEnv: Record<string, string> = {}): Promise<void> {
		await startSandbox(options);
		prefix = uniquePrefix();
		queue = createQueueManager({ redis: server.connection, prefix });
		await startWorker(workerEnv);
	}

	async function tearDown(): Promise<void> {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
		await queue.close();
		await sandbox.stop();
	}

	async function waitForSettled(total: number, instanceName?: string): Promise<void> {
		await waitFor(
			async () => {
				const metrics = await queue.getMetrics(instanceName);
				return metrics.completed + metrics.dlq === total;
			},
			{ timeoutMs: 30_000, description: `${total} messages completed or dead-lettered` },
		);
	}

	async function attemptsOf(ids: string[]): Promise<number[]> {
		return await Promise.all(ids.map(async (id) => (await queue.getStatus(id)).attemptsMade));
	}

	function sendRequests(instanceName = 'acme') {
		return sandbox.requests.filter((request) => request.path === `/message/sendText/${instanceName}`);
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	describe('burst of 500s', () => {
		const numbers = phones(20);
		let ids: string[];

		beforeAll(async () => {
			await setUp();
			// Thirty failures in a row: every message fails once, ten of them twice.
			sandbox.addFault({ action: 'respond', status: 500, count: 30 });
			ids = (await queue.addBulk(numbers.map((phone) => text(phone)))).map((job) => job.id);
			await waitForSettled(numbers.length);
			reportMeasurement('gateway 500 burst (30 answers), 20 messages', {
				requests: sendRequests().length,
				delivered: (await queue.getMetrics()).completed,
				duplicates: extraCopies(acceptedNumbers(sandbox)),
			});
		});

		afterAll(tearDown);

		it('delivers every message', async () => {
			expect((await queue.getMetrics()).completed).toBe(numbers.length);
		});

		it('retries every failed send', () => {
			expect(sendRequests()).toHaveLength(50);
		});

		it('stays within three attempts', async () => {
			expect(Math.max(...(await attemptsOf(ids)))).toBeLessThanOrEqual(3);
		});

		it('sends each number once', () => {
			expect(acceptedNumbers(sandbox).sort()).toEqual([...numbers].sort());
		});
	});

	describe('timeouts', () => {
		const numbers = phones(5, 100);
		let ids: string[];
		let retryGapMs = 0;

		beforeAll(async () => {
			await setUp();
			// The sandbox never responds to these, so the client gives up after GATEWAY_TIMEOUT_MS.
			sandbox.addFault({ action: 'hang', count: numbers.length });
			ids = (await queue.addBulk(numbers.map((phone) => text(phone)))).map((job) => job.id);
			await waitForSettled(numbers.length);
			// All five first attempts start together, so the gap between the two rounds bounds each retry.
			const times = sendRequests().map((request) => request.time);
			const firstRound = times.slice(0, numbers.length);
			const secondRound = times.slice(numbers.length);
			retryGapMs = Math.min(...secondRound) - Math.max(...firstRound);
			reportMeasurement('gateway hang, 500 ms timeout, 5 messages', {
				requests: times.length,
				minRetryGapMs: retryGapMs,
				duplicates: extraCopies(acceptedNumbers(sandbox)),
			});
		});

		afterAll(tearDown);

		it('delivers every message', async () => {
			expect((await queue.getMetrics()).completed).toBe(numbers.length);
		});

		it('retries each hung send once', async () => {
			expect(await attemptsOf(ids)).toEqual(numbers.map(() => 2));
		});

		it('waits the timeout and backoff', () => {
			// The timeout starts a few ms before the sandbox logs the request's arrival.
			expect(retryGapMs).toBeGreaterThanOrEqual(GATEWAY_TIMEOUT_MS + 200 - 50);
		});

		it('sends each number once', () => {
			expect(acceptedNumbers(sandbox).sort()).toEqual([...numbers].sort());
		});
	});

	describe('acceptance after the timeout', () => {
		const numbers = phones(3, 200);

		beforeAll(async () => {
			await setUp();
			// The gateway accepts these 1.5 s late, after the worker gave up on them.
			sandbox.addFault({ action: 'delay', latencyMs: 1500, count: numbers.length });
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitForSettled(numbers.length);
			await waitFor(() => sandbox.received.length === 2 * numbers.length, { timeoutMs: 5000 });
			reportMeasurement('gateway accepts after the 500 ms timeout, 3 messages', {
				duplicates: extraCopies(acceptedNumbers(sandbox)),
			});
		});

		afterAll(tearDown);

		it('delivers every message', async () => {
			expect((await queue.getMetrics()).completed).toBe(numbers.length);
		});

		it('sends each late acceptance again', () => {
			// A timed-out request may still reach the gateway; the worker cannot know.
			expect(extraCopies(acceptedNumbers(sandbox))).toBe(numbers.length);
		});
	});

	describe('connection resets', () => {
		const numbers = phones(10, 300);

		beforeAll(async () => {
			await setUp();
			sandbox.addFault({ action: 'reset', count: numbers.length });
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitForSettled(numbers.length);
		});

		afterAll(tearDown);

		it('delivers every message', async () => {
			expect((await queue.getMetrics()).completed).toBe(numbers.length);
		});

		it('dead-letters nothing', async () => {
			expect((await queue.getMetrics()).dlq).toBe(0);
		});

		it('sends each number once', () => {
			expect(acceptedNumbers(sandbox).sort()).toEqual([...numbers].sort());
		});
	});

	describe('429 with Retry-After', () => {
		const numbers = phones(6, 400);
		let acmeIds: string[];
		let limitedAt = 0;
		let nextAcmeSend = 0;

		beforeAll(async () => {
			// Sends take 300 ms and run one at a time, so beta keeps sending during acme's hold.
			await setUp({ latency: 300 }, { WORKER_CONCURRENCY: '1' });
			sandbox.addFault({ action: 'respond', status: 429, headers: { 'Retry-After': '2' }, instance: 'acme', count: 1 });
			acmeIds = (await queue.addBulk(numbers.map((phone) => text(phone)))).map((job) => job.id);
			await queue.addBulk(numbers.map((phone) => text(phone, 'beta')));
			await waitForSettled(2 * numbers.length);
			const acme = sendRequests('acme');
			limitedAt = acme.find((request) => request.statusCode === 429)!.time;
			nextAcmeSend = acme.find((request) => request.time > limitedAt)!.time;
			reportMeasurement('gateway 429 with Retry-After: 2', { holdMs: nextAcmeSend - limitedAt });
		});

		afterAll(tearDown);

		it('holds the instance for Retry-After', () => {
			expect(nextAcmeSend - limitedAt).toBeGreaterThanOrEqual(2000);
		});

		it('keeps other instances sending', () => {
			const during = sendRequests('beta').filter((request) => request.time > limitedAt && request.time < nextAcmeSend);
			expect(during.length).toBeGreaterThan(0);
		});

		it('uses no attempt', async () => {
			expect(await attemptsOf(acmeIds)).toEqual(numbers.map(() => 1));
		});

		it('delivers every message', async () => {
			expect((await queue.getMetrics()).completed).toBe(2 * numbers.length);
		});
	});

	describe('gateway down longer than all retries', () => {
		const numbers = phones(10, 500);
		let entries: Awaited<ReturnType<QueueManager['getDLQMessages']>>;
		let retried: Awaited<ReturnType<QueueManager['retryAllDLQMessages']>>;

		beforeAll(async () => {
			await setUp();
			const port = Number(new URL(sandbox.url).port);
			await sandbox.stop();
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitFor(async () => (await queue.getMetrics()).dlq === numbers.length, { timeoutMs: 30_000 });
			entries = await queue.getDLQMessages(100);

			// The gateway comes back on the same address.
			sandbox = new SandboxGateway({ port, instances: ['acme'] });
			await sandbox.start();
			retried = await queue.retryAllDLQMessages();
			await waitFor(async () => (await queue.getMetrics()).completed === numbers.length, { timeoutMs: 30_000 });
		});

		afterAll(tearDown);

		it('dead-letters every message', () => {
			expect(entries).toHaveLength(numbers.length);
		});

		it('gives attempts_exhausted as the reason', () => {
			expect(new Set(entries.map((entry) => entry.reason))).toEqual(new Set(['attempts_exhausted']));
		});

		it('records all three attempts', () => {
			expect(new Set(entries.map((entry) => entry.attempts))).toEqual(new Set([3]));
		});

		it('says the gateway was unreachable', () => {
			expect(entries.filter((entry) => !/ECONNREFUSED/.test(entry.error))).toEqual([]);
		});

		it('requeues every entry on retry', () => {
			expect(retried).toHaveLength(numbers.length);
		});

		it('delivers every retried message', () => {
			expect(acceptedNumbers(sandbox).sort()).toEqual([...numbers].sort());
		});

		it('empties the dead-letter queue', async () => {
			expect((await queue.getMetrics()).dlq).toBe(0);
		});
	});

	describe('gateway failing with 503 throughout', () => {
		const numbers = phones(5, 600);
		let entries: Awaited<ReturnType<QueueManager['getDLQMessages']>>;

		beforeAll(async () => {
			await setUp();
			sandbox.addFault({ action: 'respond', status: 503, message: 'Service Unavailable' });
			await queue.addBulk(numbers.map((phone) => text(phone)));
			await waitFor(async () => (await queue.getMetrics()).dlq === numbers.length, { timeoutMs: 30_000 });
			entries = await queue.getDLQMessages(100);
			sandbox.clearFaults();
			await queue.retryAllDLQMessages();
			await waitFor(async () => (await queue.getMetrics()).completed === numbers.length, { timeoutMs: 30_000 });
		});

		afterAll(tearDown);

		it('keeps the last status', () => {
			expect(new Set(entries.map((entry) => entry.statusCode))).toEqual(new Set([503]));
		});

		it('keeps the gateway response', () => {
			expect(entries.filter((entry) => !JSON.stringify(entry.gatewayResponse).includes('Service Unavailable'))).toEqual([]);
		});

		it('delivers after a retry', () => {
			expect(acceptedNumbers(sandbox).sort()).toEqual([...numbers].sort());
		});
	});

	describe('answer classification', () => {
		beforeAll(async () => {
			await setUp({ notOnWhatsApp: ['34620000999'] });
		});

		afterAll(tearDown);

		let nextNumber = 700;

		async function sendOnce(fault: Parameters<SandboxGateway['addFault']>[0] | undefined, phone?: string) {
			const recipient = phone ?? phones(1, nextNumber++)[0];
			if (fault) {
				sandbox.addFault({ ...fault, number: recipient, count: 1 });
			}
			const job = await queue.addMessage(text(recipient));
			return await waitFor(async () => {
				const status = await queue.getStatus(job.id);
				return ['completed', 'dead-lettered'].includes(status.state) && status;
			}, { timeoutMs: 10_000, description: `final state of ${job.id}` });
		}

		async function entryOf(jobId: string) {
			return (await queue.getDLQMessages(100)).find((item) => item.jobId === jobId);
		}

		it.each([500, 502, 503, 504, 408])('retries HTTP %i', async (status) => {
			const result = await sendOnce({ action: 'respond', status });
			expect(result.state).toBe('completed');
			expect(result.attemptsMade).toBe(2);
		});

		it.each(['Media upload failed on all hosts', 'Error: Connection Closed'])('retries 400 "%s"', async (message) => {
			const result = await sendOnce({ action: 'respond', status: 400, message });
			expect(result.state).toBe('completed');
			expect(result.attemptsMade).toBe(2);
		});

		it.each([400, 403, 413, 422])('dead-letters HTTP %i at once', async (status) => {
			const result = await sendOnce({ action: 'respond', status, message: 'Invalid request' });
			const entry = await entryOf(result.id);
			expect(result.state).toBe('dead-lettered');
			expect(entry?.reason).toBe('rejected');
			expect(entry?.attempts).toBe(1);
			expect(entry?.statusCode).toBe(status);
		});

		it('dead-letters a number not on WhatsApp', async () => {
			const result = await sendOnce(undefined, '34620000999');
			const entry = await entryOf(result.id);
			expect(entry?.reason).toBe('not_on_whatsapp');
			expect(entry?.attempts).toBe(1);
		});

		it.each([
			['gamma', 401],
			['delta', 404],
		])('pauses %s after HTTP %i', async (instanceName, status) => {
			sandbox.addFault({
				action: 'respond',
				status,
				instance: instanceName,
				count: 1,
				message: status === 404 ? `The "${instanceName}" instance does not exist` : 'Unauthorized',
			});
			const job = await queue.addMessage(text('34620000001', instanceName));
			await waitFor(async () => (await queue.getStatus(job.id)).state === 'paused', { timeoutMs: 10_000 });
			const metrics = await queue.getMetrics(instanceName);
			expect(metrics.paused).toBe(1);
			expect(metrics.dlq).toBe(0);
		});
	});
});
