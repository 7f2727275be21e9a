import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { maxInAnyWindow, phoneNumbers, textMessage } from '../helpers/messages';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { acceptedNumbers, startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

const REDIS_PASSWORD = 'p@ss:w/rd#%1-worker';

function text(recipientPhone: string, instanceName = 'acme'): WhatsAppMessage {
	return textMessage(recipientPhone, { instanceName });
}

function phones(count: number, first = 100): string[] {
	return phoneNumbers(count, first);
}

describe('worker process', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let prefix: string;
	let queue: QueueManager;
	const processes: WorkerProcess[] = [];

	function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
		return {
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			REDIS_PASSWORD,
			QUEUE_PREFIX: prefix,
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			HTTP_PORT: '0',
			RATE_LIMIT_MAX: '0',
			RETRY_BACKOFF_DELAY_MS: '100',
			POLL_INTERVAL_MS: '100',
			ANALYTICS_ENABLED: 'false',
			...extra,
		};
	}

	async function start(extra: Record<string, string> = {}): Promise<WorkerProcess> {
		const worker = new WorkerProcess(baseEnv(extra));
		processes.push(worker);
		await worker.waitForLog('Delivery worker ready.');
		return worker;
	}

	beforeAll(async () => {
		server = await startRedisServer({ password: REDIS_PASSWORD, appendOnly: true });
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(async () => {
		gateway = await startTestGateway({ instances: ['acme', 'beta'] });
		prefix = uniquePrefix();
		queue = createQueueManager({ redis: server.connection, prefix });
	});

	afterEach(async () => {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
		await queue.close();
		await gateway.sandbox.stop();
	});

	it('prints help and exits', async () => {
		const worker = new WorkerProcess({}, ['--help']);
		processes.push(worker);
		const { code } = await worker.exited;
		expect(code).toBe(0);
		expect(worker.stdout).toContain('EVOLUTION_API_URL');
		expect(worker.stdout).toContain('RATE_LIMIT_MAX');
	});

	it('names a missing variable', async () => {
		const worker = new WorkerProcess({ EVOLUTION_API_KEY: 'k' });
		processes.push(worker);
		const { code } = await worker.exited;
		expect(code).toBe(2);
		expect(worker.stderr).toContain('Missing EVOLUTION_API_URL');
	});

	it('rejects a malformed number', async () => {
		const worker = new WorkerProcess(baseEnv({ WORKER_CONCURRENCY: '10abc' }));
		processes.push(worker);
		const { code } = await worker.exited;
		expect(code).toBe(2);
		expect(worker.stderr).toContain('Invalid WORKER_CONCURRENCY "10abc"');
	});

	it('stops on a wrong Redis password', async () => {
		const worker = new WorkerProcess(baseEnv({ REDIS_PASSWORD: 'not-the-password' }));
		processes.push(worker);
		const { code } = await worker.exited;
		expect(code).toBe(1);
		expect(worker.stderr).toContain('rejected the credentials');
		expect(worker.stderr).not.toContain('not-the-password');
	});

	it('delivers and reports health', async () => {
		const worker = await start();
		const { port } = (await worker.waitForLog('HTTP server listening.')) as { port: number };
		await queue.addBulk(phones(5).map((phone) => text(phone)));
		await waitFor(() => gateway.sandbox.received.length === 5);
		const health = await fetch(`http://127.0.0.1:${port}/health`);
		const body = (await health.json()) as { status: string; worker: { redis: string } };
		expect(health.status).toBe(200);
		expect(body.status).toBe('ok');
		expect(body.worker.redis).toBe('ready');
	});

	it('logs no secrets', async () => {
		const worker = await start({ LOG_LEVEL: 'debug', WEBHOOK_SECRET: 'hook-secret-value' });
		await queue.addMessage(text('34600000100'));
		await waitFor(() => gateway.sandbox.received.length === 1);
		worker.signal('SIGTERM');
		await worker.exited;
		const output = worker.stdout + worker.stderr;
		expect(output).not.toContain(gateway.sandbox.apiKey);
		expect(output).not.toContain(REDIS_PASSWORD);
		expect(output).not.toContain('hook-secret-value');
		expect(output).not.toContain('maxRetriesPerRequest');
	});

	it('finishes sends in flight on SIGTERM', async () => {
		gateway.sandbox.setLatency(2000);
		gateway.sandbox.addFault({ action: 'respond', status: 500, number: '34600000101' });
		gateway.sandbox.addFault({ action: 'respond', status: 500, number: '34600000103' });
		const worker = await start({ WORKER_CONCURRENCY: '5', SHUTDOWN_TIMEOUT_MS: '10000' });
		await queue.addBulk(phones(5).map((phone) => text(phone)));
		await waitFor(() => gateway.sandbox.requests.filter((r) => r.path.startsWith('/message/')).length === 5);
		await queue.addBulk(phones(3, 200).map((phone) => text(phone)));
		worker.signal('SIGTERM');
		const { code } = await worker.exited;
		const metrics = await queue.getMetrics('acme');
		expect(code).toBe(0);
		expect(metrics.completed).toBe(3);
		expect(metrics.delayed).toBe(2);
		expect(metrics.active).toBe(0);
		expect(metrics.waiting).toBe(3);
		expect(worker.lines.some((line) => line.msg === 'Shutdown done.')).toBe(true);
	});

	it('loses nothing when a worker is killed', async () => {
		gateway.sandbox.setLatency({ minMs: 20, maxMs: 80 });
		const env = { WORKER_CONCURRENCY: '10', LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
		const [first] = await Promise.all([start(env), start(env)]);
		const numbers = phones(300);
		await queue.addBulk(numbers.map((phone) => text(phone)));
		await waitFor(() => gateway.sandbox.received.length >= 60);
		first.signal('SIGKILL');
		await first.exited;
		await waitFor(async () => (await queue.getMetrics('acme')).completed === 300, {
			timeoutMs: 30_000,
			description: 'every message completed',
		});
		const delivered = new Set(acceptedNumbers(gateway.sandbox));
		expect(numbers.every((phone) => delivered.has(phone))).toBe(true);
		// Sends in flight at the kill may reach the gateway twice, never more.
		expect(gateway.sandbox.received.length - 300).toBeLessThanOrEqual(10);
	});

	it('holds the limit across two processes', async () => {
		const env = { RATE_LIMIT_MAX: '5', RATE_LIMIT_DURATION_MS: '1000', WORKER_CONCURRENCY: '5' };
		await Promise.all([start(env), start(env)]);
		// Warm up the HTTP client of both processes before measuring.
		await queue.addBulk([text('34600000001', 'beta'), text('34600000002', 'beta')]);
		await waitFor(() => gateway.sandbox.received.length === 2);
		const started = Date.now();
		await queue.addBulk([...phones(15).map((p) => text(p)), ...phones(15).map((p) => text(p, 'beta'))]);
		await waitFor(() => gateway.sandbox.received.length === 32, { timeoutMs: 10_000 });
		for (const instance of ['acme', 'beta']) {
			const times = gateway.sandbox.received
				.filter((record) => record.instance === instance && record.time >= started)
				.map((record) => record.time);
			expect(times).toHaveLength(15);
			expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(5);
		}
	});

	it('recovers after a Redis restart', async () => {
		const worker = await start();
		const { port } = (await worker.waitForLog('HTTP server listening.')) as { port: number };
		await server.kill();
		await worker.waitForLog('Redis connection lost; retrying until it is back.');
		const down = await fetch(`http://127.0.0.1:${port}/health`);
		expect(down.status).toBe(503);
		await server.start();
		await worker.waitForLog('Redis connection restored.', 15_000);
		await queue.addBulk(phones(10).map((phone) => text(phone)));
		await waitFor(() => gateway.sandbox.received.length === 10, { timeoutMs: 10_000 });
		const up = await fetch(`http://127.0.0.1:${port}/health`);
		expect(up.status).toBe(200);
	});

	it('fails fast when the HTTP port is taken', async () => {
		const port = await getFreePort();
		const first = await start({ HTTP_PORT: String(port) });
		const second = new WorkerProcess(baseEnv({ HTTP_PORT: String(port) }));
		processes.push(second);
		const { code } = await second.exited;
		expect(code).not.toBe(0);
		expect(first.pid).toBeGreaterThan(0);
		expect(second.stderr + second.stdout).toMatch(/EADDRINUSE|in use/);
	});
});

