import type { Redis } from 'ioredis';

import type { WhatsAppMessage } from '../../shared/message';
import type { MessageJobResult } from '../../shared/queue/jobData';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { parsePublicJobId, QueueKeys } from '../../shared/redis/keys';
import { extraCopies, repeatedValues, reportMeasurement } from '../helpers/measure';
import { hasAcceptedPart, heldJobIds } from '../helpers/redisInspect';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { acceptedNumbers, startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { WorkerProcess } from '../helpers/workerProcess';

/** A killed worker's jobs return once their 2 s lock expires, within two stalled checks 1 s apart. */
const RECOVERY_ENV = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
const LOCK_MS = 2000;
const STALLED_CHECK_MS = 1000;

function text(recipientPhone: string, content = 'Your order has shipped.'): WhatsAppMessage {
	return { instanceName: 'acme', recipientPhone, messageType: 'text', content: { text: content } };
}

function phones(count: number): string[] {
	return Array.from({ length: count }, (_, i) => `3460${String(i).padStart(7, '0')}`);
}

/** Returns the worker name that every log line of the delivery worker carries. */
function workerNameOf(worker: WorkerProcess): string {
	const line = worker.lines.find((entry) => typeof entry.worker === 'string');
	if (!line) {
		throw new Error(`Worker name not found in the log. Stderr: ${worker.stderr.slice(-300)}`);
	}
	return line.worker as string;
}

/** What one SIGKILL left behind and how long its jobs took to come back. */
interface KillRecord {
	workerName: string;
	/** Internal ids of the jobs the worker held when it died. */
	heldJobIds: string[];
	/** Held jobs whose gateway acceptance was already recorded on the job. */
	acceptedNotCompleted: number;
	/** From the kill until every held job was completed by another worker. */
	recoveryMs: number;
}

describe('worker crash', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let queue: QueueManager;
	let redis: Redis;
	let prefix: string;
	const processes: WorkerProcess[] = [];

	function env(extra: Record<string, string> = {}): Record<string, string> {
		return {
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			HTTP_PORT: '0',
			RATE_LIMIT_MAX: '0',
			WORKER_CONCURRENCY: '10',
			RETRY_BACKOFF_DELAY_MS: '100',
			POLL_INTERVAL_MS: '100',
			ANALYTICS_ENABLED: 'false',
			LOG_LEVEL: 'info',
			...RECOVERY_ENV,
			...extra,
		};
	}

	async function startWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
		const worker = new WorkerProcess(env(extra));
		processes.push(worker);
		await worker.waitForLog('Delivery worker ready.');
		return worker;
	}

	async function isCompleted(internalId: string): Promise<boolean> {
		return (await queue.getStatus(`acme:${internalId}`)).state === 'completed';
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	async function setUp(options: Parameters<typeof startTestGateway>[0]): Promise<void> {
		gateway = await startTestGateway(options);
		prefix = uniquePrefix();
		queue = createQueueManager({ redis: server.connection, prefix, textPolicy: 'split' });
		redis = server.client();
	}

	async function tearDown(): Promise<void> {
		await Promise.all(processes.splice(0).map((worker) => worker.dispose()));
		await queue.close();
		await gateway.sandbox.stop();
		redis.disconnect();
	}

	describe('during 2,000 messages', () => {
		const total = 2000;
		const killAfterSends = [300, 800, 1300];
		const numbers = phones(total);
		const idByNumber = new Map<string, string>();
		const kills: KillRecord[] = [];

		beforeAll(async () => {
			// Sends take 50 to 250 ms, so each worker has up to 10 in flight at any kill.
			await setUp({ instances: ['acme'], latency: { minMs: 50, maxMs: 250 } });
			const jobs = await queue.addBulk(numbers.map((phone) => text(phone)));
			for (const job of jobs) {
				idByNumber.set(job.recipientPhone, parsePublicJobId(job.id)!.internalId);
			}
			const running = await Promise.all([startWorker(), startWorker()]);

			for (const threshold of killAfterSends) {
				await waitFor(() => gateway.sandbox.received.length >= threshold, {
					timeoutMs: 60_000,
					description: `${threshold} sends before the next kill`,
				});
				const victim = running.shift()!;
				const workerName = workerNameOf(victim);
				victim.signal('SIGKILL');
				const killedAt = Date.now();
				await victim.exited;
				// Locks outlive the process by LOCK_MS, so they still name the dead worker.
				const heldIds = await heldJobIds(redis, prefix, 'acme', workerName);
				const accepted = await Promise.all(heldIds.map((id) => hasAcceptedPart(redis, prefix, 'acme', id)));
				running.push(await startWorker());
				await waitFor(async () => (await Promise.all(heldIds.map(isCompleted))).every(Boolean), {
					timeoutMs: 30_000,
					description: `the ${heldIds.length} jobs of ${workerName} completed`,
				});
				kills.push({
					workerName,
					heldJobIds: heldIds,
					acceptedNotCompleted: accepted.filter(Boolean).length,
					recoveryMs: Date.now() - killedAt,
				});
			}

			await waitFor(
				async () => {
					const metrics = await queue.getMetrics('acme');
					return metrics.completed + metrics.dlq === total;
				},
				{ timeoutMs: 120_000, description: 'every message completed or dead-lettered' },
			);
			const sent = acceptedNumbers(gateway.sandbox);
			reportMeasurement('worker SIGKILL x3, 2 workers, 2,000 messages', {
				sendsAtGateway: sent.length,
				duplicates: extraCopies(sent),
				heldAtKills: kills.map((kill) => kill.heldJobIds.length).join('/'),
				acceptedNotCompletedAtKills: kills.map((kill) => kill.acceptedNotCompleted).join('/'),
				recoveryMs: kills.map((kill) => kill.recoveryMs).join('/'),
			});
		});

		afterAll(tearDown);

		it('kills workers holding jobs', () => {
			expect(kills.every((kill) => kill.heldJobIds.length > 0)).toBe(true);
		});

		it('completes every message', async () => {
			expect((await queue.getMetrics('acme')).completed).toBe(total);
		});

		it('dead-letters nothing', async () => {
			expect((await queue.getMetrics('acme')).dlq).toBe(0);
		});

		it('leaves nothing active or waiting', async () => {
			const metrics = await queue.getMetrics('acme');
			expect(metrics.active + metrics.waiting + metrics.delayed).toBe(0);
		});

		it('sends every number', () => {
			const sent = new Set(acceptedNumbers(gateway.sandbox));
			expect(numbers.filter((phone) => !sent.has(phone))).toEqual([]);
		});

		it('bounds duplicates by held jobs', () => {
			const heldCount = kills.reduce((sum, kill) => sum + kill.heldJobIds.length, 0);
			expect(extraCopies(acceptedNumbers(gateway.sandbox))).toBeLessThanOrEqual(heldCount);
		});

		it('repeats only jobs held at a kill', () => {
			const heldIds = new Set(kills.flatMap((kill) => kill.heldJobIds));
			const repeated = [...repeatedValues(acceptedNumbers(gateway.sandbox)).keys()];
			expect(repeated.filter((phone) => !heldIds.has(idByNumber.get(phone)!))).toEqual([]);
		});

		it('sends no message three times', () => {
			const counts = [...repeatedValues(acceptedNumbers(gateway.sandbox)).values()];
			expect(counts.filter((count) => count > 2)).toEqual([]);
		});

		it('returns held jobs within the lock', () => {
			// Lock expiry, two stalled checks and the sends themselves, with 3 s to spare.
			const limitMs = LOCK_MS + 2 * STALLED_CHECK_MS + 3000;
			expect(Math.max(...kills.map((kill) => kill.recoveryMs))).toBeLessThanOrEqual(limitMs);
		});
	});

	describe('between parts of a split text', () => {
		const words = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
		let internalId: string;
		let result: MessageJobResult | undefined;

		beforeAll(async () => {
			await setUp({ instances: ['acme'] });
			const job = await queue.addMessage(text('34600000001', words));
			internalId = parsePublicJobId(job.id)!.internalId;
			// Two sends per second, so the worker waits 500 ms between parts.
			const pacing = { RATE_LIMIT_MAX: '2', RATE_LIMIT_DURATION_MS: '1000' };
			const first = await startWorker(pacing);
			const jobKey = new QueueKeys(prefix).jobKey('acme', internalId);
			await waitFor(async () => (await redis.hexists(jobKey, 'waSent1')) === 1, {
				timeoutMs: 10_000,
				description: 'the second part recorded on the job',
			});
			first.signal('SIGKILL');
			await first.exited;
			await startWorker(pacing);
			const status = await waitFor(async () => {
				const current = await queue.getStatus(job.id);
				return current.state === 'completed' && current;
			}, { timeoutMs: 30_000, description: 'the split text completed' });
			result = status.result;
		});

		afterAll(tearDown);

		it('splits the text into parts', () => {
			expect(result?.messageIds?.length).toBeGreaterThan(3);
		});

		it('sends each part once', () => {
			const parts = gateway.sandbox.received.map((record) => String(record.body.text));
			expect(parts.join(' ')).toBe(words);
		});

		it('records every gateway id', () => {
			expect(result?.messageIds).toEqual(gateway.sandbox.received.map((record) => record.messageId));
		});
	});
});
