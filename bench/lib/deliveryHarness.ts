/**
 * Delivery runs shared by the delivery, rate-limit, priority, memory and
 * scale benchmarks: fill the queues, start worker processes, and read the
 * send times where the sandbox gateway received each message.
 */

import { Queue, type JobsOptions } from 'bullmq';

import { SandboxGateway } from '../../sandbox/sandboxGateway';
import { SANDBOX_API_KEY } from '../../sandbox/types';
import { createQueueManager } from '../../shared/queue';
import type { Priority } from '../../shared/message';
import { benchMessage, rawJobData } from './payload';
import {
	cpuTimeMs,
	residentBytes,
	startProductWorker,
	startRawWorker,
	stopAll,
	type BenchProcess,
} from './processes';
import type { BenchRedis } from './redisServer';
import { monitorCommands, perMessage, total } from './monitor';
import { readRedisCost, redisCpuUsec, type RedisCost } from './redisStats';
import { waitFor } from './timing';

/** Key prefix of the product's queues in delivery runs. */
export const PRODUCT_PREFIX = 'waq';

/** Key prefix of the raw BullMQ queues in delivery runs. */
export const RAW_PREFIX = 'raw';

/** Messages per `addBulk` call when filling queues, so filling stays fast. */
const FILL_CHUNK = 2000;

/** Implementation a run measures: the product or plain BullMQ. */
export type Implementation = 'product' | 'raw';

/** A delivery run's setup. */
export interface DeliveryRunSpec {
	implementation: Implementation;
	instances: string[];
	/** Messages queued per instance before the workers start. */
	perInstance: number;
	processes: number;
	/** Sends in flight per instance per process (product) or per queue per process (raw). */
	concurrency: number;
	/** Limit per instance; none when absent. */
	limit?: { max: number; duration: number };
	/** Stop waiting for the sends after this long. */
	timeoutMs: number;
	/** Stop once this many sends arrived in all, when lower than every message. */
	stopAfter?: number;
	/** Priority of the product's queued messages. @defaultValue `'normal'` */
	priority?: Priority;
	/** Extra BullMQ job options of the raw queued messages, such as a priority. */
	rawJobOptions?: JobsOptions;
	/** Called once the workers are running, before waiting for the sends. */
	whileRunning?: (run: RunningDelivery) => Promise<void>;
}

/** A delivery run in progress. */
export interface RunningDelivery {
	sandbox: SandboxGateway;
	workers: BenchProcess[];
	startedAt: number;
}

/** Measurements of a delivery run. */
export interface DeliveryRunResult {
	/** Gateway receive times in epoch ms, sorted, per instance. */
	sendTimes: Map<string, number[]>;
	/** Every receive time, sorted. */
	allTimes: number[];
	/** Worker processes' CPU time per message sent, in microseconds. */
	workerCpuUsecPerMessage: number;
	/** Peak resident memory of the busiest worker process, in bytes. */
	peakWorkerRssBytes: number;
	redis: RedisCost;
	/** Whether every expected send arrived before the timeout. */
	isComplete: boolean;
}

/** Starts an in-process sandbox gateway for `instances`, keeping up to `maxRecords` sends. */
export async function startSandbox(
	instances: string[],
	maxRecords: number,
): Promise<SandboxGateway> {
	const sandbox = new SandboxGateway({ instances, maxRecords });
	await sandbox.start();
	return sandbox;
}

/** Returns the names `bench-1` to `bench-<count>`. */
export function instanceNames(count: number): string[] {
	return Array.from({ length: count }, (_, index) => `bench-${index + 1}`);
}

/** Queues `perInstance` messages on each instance through the product's `addBulk`. */
export async function fillProduct(
	redis: BenchRedis,
	instances: string[],
	perInstance: number,
	priority: Priority = 'normal',
): Promise<void> {
	const manager = createQueueManager({ redis: redis.connection, prefix: PRODUCT_PREFIX });
	try {
		for (const instance of instances) {
			for (let first = 0; first < perInstance; first += FILL_CHUNK) {
				const count = Math.min(FILL_CHUNK, perInstance - first);
				const batch = Array.from({ length: count }, (_, offset) =>
					benchMessage(instance, first + offset, priority),
				);
				await manager.addBulk(batch);
			}
		}
	} finally {
		await manager.close();
	}
}

/**
 * Queues the same messages through raw BullMQ `addBulk` with default job
 * options, except that completed jobs are kept for a day as the product
 * keeps them, so both pay the same cost at completion.
 */
export async function fillRaw(
	redis: BenchRedis,
	instances: string[],
	perInstance: number,
	options: JobsOptions = {},
): Promise<void> {
	for (const instance of instances) {
		const queue = new Queue(instance, { connection: redis.connection, prefix: RAW_PREFIX });
		try {
			for (let first = 0; first < perInstance; first += FILL_CHUNK) {
				const count = Math.min(FILL_CHUNK, perInstance - first);
				const jobs = Array.from({ length: count }, (_, offset) => ({
					name: 'text',
					data: rawJobData(benchMessage(instance, first + offset)),
					opts: { removeOnComplete: { age: 86_400 }, ...options },
				}));
				await queue.addBulk(jobs);
			}
		} finally {
			await queue.close();
		}
	}
}

/** Starts `spec.processes` worker processes of `spec.implementation`. */
export async function startWorkers(spec: DeliveryRunSpec, redis: BenchRedis, gatewayUrl: string) {
	const starts = Array.from({ length: spec.processes }, () => {
		if (spec.implementation === 'product') {
			return startProductWorker({
				REDIS_HOST: redis.host,
				REDIS_PORT: String(redis.port),
				QUEUE_PREFIX: PRODUCT_PREFIX,
				EVOLUTION_API_URL: gatewayUrl,
				EVOLUTION_API_KEY: SANDBOX_API_KEY,
				RATE_LIMIT_MAX: String(spec.limit?.max ?? 0),
				RATE_LIMIT_DURATION_MS: String(spec.limit?.duration ?? 1000),
				WORKER_CONCURRENCY: String(spec.concurrency),
			});
		}
		return startRawWorker({
			redisPort: redis.port,
			prefix: RAW_PREFIX,
			queueNames: spec.instances,
			concurrency: spec.concurrency,
			gatewayUrl,
			apiKey: SANDBOX_API_KEY,
			limiter: spec.limit,
		});
	});
	const settled = await Promise.allSettled(starts);
	const workers = settled.flatMap((entry) => (entry.status === 'fulfilled' ? [entry.value] : []));
	const failure = settled.find((entry) => entry.status === 'rejected');
	if (failure) {
		await stopAll(workers);
		throw (failure as PromiseRejectedResult).reason;
	}
	return workers;
}

/**
 * Fills the queues, starts the worker processes, waits until every message
 * (or `stopAfter`) arrived at the sandbox, and stops the workers. Redis is
 * flushed and the sandbox reset first. CPU, memory and Redis figures cover
 * the span from the workers' start to the last send.
 */
export async function runDelivery(
	spec: DeliveryRunSpec,
	redis: BenchRedis,
	sandbox: SandboxGateway,
): Promise<DeliveryRunResult> {
	await redis.flush();
	sandbox.reset();
	if (spec.implementation === 'product') {
		await fillProduct(redis, spec.instances, spec.perInstance, spec.priority);
	} else {
		await fillRaw(redis, spec.instances, spec.perInstance, spec.rawJobOptions);
	}
	await redis.resetStats();
	const redisCpu = await redisCpuUsec(redis);
	const expected = Math.min(spec.stopAfter ?? Infinity, spec.instances.length * spec.perInstance);

	const startedAt = Date.now();
	const workers = await startWorkers(spec, redis, sandbox.url);
	const cpuAtStart = new Map(workers.map((worker) => [worker.pid, cpuTimeMs(worker.pid)]));
	let peakRss = 0;
	const sampleRss = () => {
		for (const worker of workers) {
			if (worker.isRunning) {
				peakRss = Math.max(peakRss, residentBytes(worker.pid));
			}
		}
	};
	const rssTimer = setInterval(sampleRss, 100);
	let isComplete = true;
	let cpuUsedMs = 0;
	try {
		await spec.whileRunning?.({ sandbox, workers, startedAt });
		await waitFor(() => sandbox.stats().received >= expected, {
			timeoutMs: spec.timeoutMs,
			intervalMs: 20,
			description: `${expected} sends at the sandbox`,
		}).catch(() => {
			isComplete = false;
		});
		sampleRss();
		for (const worker of workers) {
			cpuUsedMs += cpuTimeMs(worker.pid) - (cpuAtStart.get(worker.pid) ?? 0);
		}
	} finally {
		clearInterval(rssTimer);
		await stopAll(workers);
	}

	const sent = sandbox.stats().received;
	const sendTimes = new Map<string, number[]>();
	for (const record of sandbox.received) {
		const times = sendTimes.get(record.instance) ?? [];
		times.push(record.time);
		sendTimes.set(record.instance, times);
	}
	for (const times of sendTimes.values()) {
		times.sort((a, b) => a - b);
	}
	return {
		sendTimes,
		allTimes: sandbox.received.map((record) => record.time).sort((a, b) => a - b),
		workerCpuUsecPerMessage: (cpuUsedMs * 1000) / Math.max(1, sent),
		peakWorkerRssBytes: peakRss,
		redis: await readRedisCost(redis, Math.max(1, sent), redisCpu),
		isComplete,
	};
}

/** Commands per message that a delivery sends to Redis, from a MONITOR sample. */
export interface CommandSample {
	messages: number;
	/** Commands sent by clients per message; each script call counts once. */
	clientPerMessage: Record<string, number>;
	clientTotalPerMessage: number;
	/** Commands run inside Lua scripts per message. */
	scriptPerMessage: Record<string, number>;
}

/**
 * Fills a paused queue, starts one worker process, and records with MONITOR
 * the commands from the resume to the last send. MONITOR slows Redis, so
 * this sample is never timed.
 */
export async function sampleCommands(
	spec: Omit<DeliveryRunSpec, 'processes' | 'timeoutMs'>,
	redis: BenchRedis,
	sandbox: SandboxGateway,
): Promise<CommandSample> {
	await redis.flush();
	sandbox.reset();
	const manager = createQueueManager({ redis: redis.connection, prefix: PRODUCT_PREFIX });
	const rawQueues = spec.instances.map(
		(name) => new Queue(name, { connection: redis.connection, prefix: RAW_PREFIX }),
	);
	const workers: BenchProcess[] = [];
	try {
		if (spec.implementation === 'product') {
			await manager.listInstances();
			await Promise.all(spec.instances.map((name) => manager.pause(name)));
			await fillProduct(redis, spec.instances, spec.perInstance, spec.priority);
			await Promise.all(spec.instances.map((name) => manager.pause(name)));
		} else {
			await Promise.all(rawQueues.map((queue) => queue.pause()));
			await fillRaw(redis, spec.instances, spec.perInstance);
		}
		workers.push(
			...(await startWorkers({ ...spec, processes: 1, timeoutMs: 0 }, redis, sandbox.url)),
		);
		const expected = spec.instances.length * spec.perInstance;
		const counts = await monitorCommands(redis, async () => {
			if (spec.implementation === 'product') {
				await Promise.all(spec.instances.map((name) => manager.resume(name)));
			} else {
				await Promise.all(rawQueues.map((queue) => queue.resume()));
			}
			await waitFor(() => sandbox.stats().received >= expected, {
				timeoutMs: 60_000,
				description: `${expected} sends for the command sample`,
			});
		});
		return {
			messages: expected,
			clientPerMessage: perMessage(counts.client, expected),
			clientTotalPerMessage: Math.round((total(counts.client) / expected) * 100) / 100,
			scriptPerMessage: perMessage(counts.script, expected),
		};
	} finally {
		await stopAll(workers);
		await manager.close();
		await Promise.all(rawQueues.map((queue) => queue.close()));
	}
}
