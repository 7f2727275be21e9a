import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';

import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { SlowSender } from '../helpers/slowSender';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

/** Timeouts the worker's HTTP server sets, in ms. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** Slack for the server to notice and close a timed-out connection. */
const CLOSE_SLACK_MS = 2000;

const IGNORED_BODY = JSON.stringify({ event: 'connection.update', instance: 'acme', data: { state: 'open' } });

describe('worker webhook endpoint', () => {
	const secret = `hook-${randomBytes(12).toString('hex')}`;
	let server: RedisServer;
	let gateway: TestGateway;
	let worker: WorkerProcess;
	let port: number;
	let url: string;
	const processes: WorkerProcess[] = [];

	function startWorker(extra: Record<string, string>): WorkerProcess {
		const started = new WorkerProcess({
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: uniquePrefix(),
			ANALYTICS_PREFIX: uniquePrefix(),
			ANALYTICS_ENABLED: 'true',
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			LOG_LEVEL: 'info',
			...extra,
		});
		processes.push(started);
		return started;
	}

	async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
		const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body });
		await response.arrayBuffer();
		return response.status;
	}

	/** GETs /health over a new connection, so no pooled socket of an earlier test is reused. */
	async function healthStatus(): Promise<number | string> {
		return await new Promise((resolve) => {
			const request = httpGet({ host: '127.0.0.1', port, path: '/health', agent: false }, (response) => {
				response.resume();
				resolve(response.statusCode ?? 0);
			});
			request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
		});
	}

	beforeAll(async () => {
		server = await startRedisServer();
		gateway = await startTestGateway({ instances: ['acme'] });
		port = await getFreePort();
		url = `/webhooks/evolution`;
		worker = startWorker({ WEBHOOK_SECRET: secret, HTTP_PORT: String(port) });
		await worker.waitForLog('Delivery worker ready.');
	});

	afterAll(async () => {
		await Promise.all(processes.splice(0).map((entry) => entry.dispose()));
		await gateway.sandbox.stop();
		await server.dispose();
	});

	describe('secrets', () => {
		it('rejects a missing secret', async () => {
			expect(await post(url, IGNORED_BODY)).toBe(401);
		});

		it('rejects a wrong secret', async () => {
			expect(await post(url, IGNORED_BODY, { 'x-webhook-secret': 'wrong' })).toBe(401);
		});

		it('rejects a wrong secret of equal length', async () => {
			const wrong = `hook-${randomBytes(12).toString('hex')}`;
			expect(await post(url, IGNORED_BODY, { 'x-webhook-secret': wrong })).toBe(401);
		});

		it('rejects a wrong token in the query', async () => {
			expect(await post(`${url}?token=${secret.slice(0, -1)}x`, IGNORED_BODY)).toBe(401);
		});

		it('rejects the secret as a bearer token', async () => {
			expect(await post(url, IGNORED_BODY, { authorization: `Bearer ${secret}` })).toBe(401);
		});

		it('rejects a secret with a prefix', async () => {
			expect(await post(url, IGNORED_BODY, { 'x-webhook-secret': `x${secret}` })).toBe(401);
		});

		it('accepts the secret in the header', async () => {
			expect(await post(url, IGNORED_BODY, { 'x-webhook-secret': secret })).toBe(200);
		});

		it('accepts the secret as a token', async () => {
			expect(await post(`${url}?token=${secret}`, IGNORED_BODY)).toBe(200);
		});

		it('refuses webhooks without a configured secret', async () => {
			const open = startWorker({ HTTP_PORT: '0' });
			const listening = (await open.waitForLog('HTTP server listening.')) as { port: number };
			const response = await fetch(`http://127.0.0.1:${listening.port}${url}`, { method: 'POST', body: IGNORED_BODY });
			await response.arrayBuffer();
			expect(response.status).toBe(503);
		});
	});

	describe('oversized bodies', () => {
		it('rejects a body over 1 MiB', async () => {
			const body = JSON.stringify({ event: 'messages.update', data: 'x'.repeat(5 * 1024 * 1024) });
			const outcome = await post(url, body, { 'x-webhook-secret': secret }).catch(() => 'reset');
			// The server responds 413 and closes the socket; a client may see the reset first.
			expect([413, 'reset']).toContain(outcome);
		});

		it('stays healthy afterwards', async () => {
			expect(await healthStatus()).toBe(200);
		});
	});

	describe('slow senders', () => {
		const senders: SlowSender[] = [];
		let headerSender: SlowSender;
		let bodySender: SlowSender;
		let healthMsWhileHeld = 0;

		beforeAll(async () => {
			// JSON allows trailing spaces, so the body takes 50 s at one byte every 200 ms.
			const body = `${IGNORED_BODY}${' '.repeat(250 - IGNORED_BODY.length)}`;
			const headers =
				`POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-webhook-secret: ${secret}\r\n` +
				`Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
			// Headers at one byte every 100 ms take about 60 s.
			headerSender = new SlowSender(port, `${headers}X-Pad: ${'a'.repeat(400)}\r\n\r\n${body}`, { intervalMs: 100 });
			const request = `${headers}\r\n${body}`;
			bodySender = new SlowSender(port, request, { intervalMs: 200, fastBytes: request.length - body.length });
			senders.push(headerSender, bodySender);
			for (let i = 0; i < 20; i++) {
				senders.push(new SlowSender(port, `${headers}X-Pad: ${'a'.repeat(400)}\r\n\r\n`, { intervalMs: 500 }));
			}
			const started = Date.now();
			await healthStatus();
			healthMsWhileHeld = Date.now() - started;
		});

		afterAll(() => {
			senders.forEach((sender) => sender.dispose());
		});

		it('answers others while senders wait', () => {
			expect(healthMsWhileHeld).toBeLessThan(1000);
		});

		// Node checks headersTimeout and requestTimeout only every
		// connectionsCheckingInterval, 30 s by default, which the server keeps.
		it('cuts off a slow header sender', async () => {
			const result = await waitFor(() => headerSender.result, {
				timeoutMs: HEADERS_TIMEOUT_MS + CLOSE_SLACK_MS,
				intervalMs: 100,
				description: 'the server to close the slow header sender',
			});
			expect(result.closedAfterMs).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + CLOSE_SLACK_MS);
		});

		it('cuts off a slow body sender', async () => {
			const result = await waitFor(() => bodySender.result, {
				timeoutMs: REQUEST_TIMEOUT_MS + CLOSE_SLACK_MS,
				intervalMs: 100,
				description: 'the server to close the slow body sender',
			});
			expect(result.closedAfterMs).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + CLOSE_SLACK_MS);
		});

		it('cuts off slow senders eventually', async () => {
			const result = await headerSender.closed;
			// The default check interval of 30 s bounds how long a sender can stay.
			expect(result.closedAfterMs).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + 30_000 + CLOSE_SLACK_MS);
		});

		it('stays healthy afterwards', async () => {
			expect(await healthStatus()).toBe(200);
		});
	});
});
