/**
 * Memory: Redis bytes per waiting and per kept completed message against a
 * raw BullMQ job with the same data, and the worker process's resident
 * memory idle and under load.
 */

import { SANDBOX_API_KEY } from '../../sandbox/types';
import {
	fillProduct,
	fillRaw,
	instanceNames,
	PRODUCT_PREFIX,
	RAW_PREFIX,
	runDelivery,
	startSandbox,
	type Implementation,
} from '../lib/deliveryHarness';
import {
	residentBytes,
	startProductWorker,
	startRawWorker,
	type BenchProcess,
} from '../lib/processes';
import type { BenchRedis } from '../lib/redisServer';
import {
	repeatPairs,
	type BenchContext,
	type Benchmark,
	type BenchmarkResult,
} from '../lib/results';
import { summarize } from '../lib/stats';
import { sleep } from '../lib/timing';

/** Bytes per message, with the share of each group of keys. */
interface MemoryRun {
	bytesPerMessage: number;
	/** MEMORY USAGE per message by group of keys. */
	groups: Record<string, number>;
}

async function usedMemory(redis: BenchRedis): Promise<number> {
	return Number((await redis.info('memory')).used_memory);
}

/**
 * Names a key's group from the part after `<prefix>:<queue>:`, with job
 * hashes (numeric ids for raw BullMQ, `m…` or `k…` ids for the product) as one group.
 */
function keyGroup(key: string): string {
	const parts = key.split(':');
	const tail = parts.slice(2).join(':');
	if (parts[1] === '{events}') {
		return 'trigger event streams';
	}
	if (/^\d+$/.test(tail) || /^[mk][0-9a-z_-]{10,}$/i.test(tail)) {
		return 'job hash';
	}
	if (tail.startsWith('wa:campaign')) {
		return 'campaign index';
	}
	return tail || key;
}

/** Sums MEMORY USAGE per key group, divided by `messages`. */
async function groupUsage(
	redis: BenchRedis,
	prefix: string,
	messages: number,
): Promise<Record<string, number>> {
	const groups: Record<string, number> = {};
	for (const key of await redis.scanKeys(`${prefix}:*`)) {
		const group = keyGroup(key);
		groups[group] = (groups[group] ?? 0) + (await redis.memoryUsage(key));
	}
	return Object.fromEntries(
		Object.entries(groups)
			.map(([group, bytes]) => [group, Math.round(bytes / messages)] as const)
			.filter(([, bytes]) => bytes > 0)
			.sort(([, a], [, b]) => b - a),
	);
}

async function measureWaiting(
	redis: BenchRedis,
	implementation: Implementation,
	count: number,
): Promise<MemoryRun> {
	await redis.flush();
	const before = await usedMemory(redis);
	const instances = instanceNames(1);
	if (implementation === 'product') {
		await fillProduct(redis, instances, count);
	} else {
		await fillRaw(redis, instances, count);
	}
	const after = await usedMemory(redis);
	const prefix = implementation === 'product' ? PRODUCT_PREFIX : RAW_PREFIX;
	return {
		bytesPerMessage: (after - before) / count,
		groups: await groupUsage(redis, prefix, count),
	};
}

async function measureCompleted(
	redis: BenchRedis,
	sandbox: Awaited<ReturnType<typeof startSandbox>>,
	implementation: Implementation,
	count: number,
): Promise<MemoryRun & { peakRssBytes: number }> {
	await redis.flush();
	const before = await usedMemory(redis);
	const run = await runDelivery(
		{
			implementation,
			instances: instanceNames(1),
			perInstance: count,
			processes: 1,
			concurrency: 50,
			timeoutMs: 60_000,
		},
		redis,
		sandbox,
	);
	const after = await usedMemory(redis);
	const prefix = implementation === 'product' ? PRODUCT_PREFIX : RAW_PREFIX;
	return {
		bytesPerMessage: (after - before) / count,
		groups: await groupUsage(redis, prefix, count),
		peakRssBytes: run.peakWorkerRssBytes,
	};
}

/**
 * Returns the resident memory of a worker process 2 s after it started
 * serving `instances`, each of which had one message to send.
 */
export async function idleRss(
	redis: BenchRedis,
	gatewayUrl: string,
	implementation: Implementation,
	instances = instanceNames(1),
): Promise<number> {
	await redis.flush();
	// One message per instance, sent right after start, so the worker has served each once.
	if (implementation === 'product') {
		await fillProduct(redis, instances, 1);
	} else {
		await fillRaw(redis, instances, 1);
	}
	let worker: BenchProcess | undefined;
	try {
		worker =
			implementation === 'product'
				? await startProductWorker({
						REDIS_HOST: redis.host,
						REDIS_PORT: String(redis.port),
						QUEUE_PREFIX: PRODUCT_PREFIX,
						EVOLUTION_API_URL: gatewayUrl,
						EVOLUTION_API_KEY: SANDBOX_API_KEY,
					})
				: await startRawWorker({
						redisPort: redis.port,
						prefix: RAW_PREFIX,
						queueNames: instances,
						concurrency: 5,
						gatewayUrl,
						apiKey: SANDBOX_API_KEY,
					});
		await sleep(2000);
		return residentBytes(worker.pid);
	} finally {
		await worker?.stop();
	}
}

const MIB = 2 ** 20;

export const memoryBenchmark: Benchmark = {
	name: 'memory',
	title: 'Memory',
	method:
		'Redis bytes per message are the change of `used_memory` (INFO memory) over N messages, with ' +
		'a breakdown by key group from MEMORY USAGE. Waiting: N messages queued on one instance. ' +
		'Completed: the same N messages sent (limits off, concurrency 50) and kept, as both ' +
		'implementations keep completed jobs for a day here. Raw BullMQ jobs hold the same data ' +
		"object with default job options besides that retention. BullMQ's own event stream is capped " +
		'at about 10,000 entries, so at small N part of its cost is per message for both. Worker ' +
		'memory is the resident set size from /proc: idle 2 s after start with one instance and no ' +
		'queued messages after sending one, and the peak while sending the completed run.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const count = context.isQuick ? 2000 : 10_000;
		const { redis } = context;
		const sandbox = await startSandbox(instanceNames(1), 100);
		const groups: Record<string, Record<string, number>> = {};
		const peakRss: Record<Implementation, number[]> = { product: [], raw: [] };
		try {
			const waiting = await repeatPairs(context.repetitions, async () => {
				const product = await measureWaiting(redis, 'product', count);
				const raw = await measureWaiting(redis, 'raw', count);
				groups['waiting, product'] = product.groups;
				groups['waiting, raw'] = raw.groups;
				return { product: product.bytesPerMessage, anchor: raw.bytesPerMessage };
			});
			const completed = await repeatPairs(context.repetitions, async (productFirst) => {
				const order: Implementation[] = productFirst ? ['product', 'raw'] : ['raw', 'product'];
				const bytes: Partial<Record<Implementation, number>> = {};
				for (const implementation of order) {
					const run = await measureCompleted(redis, sandbox, implementation, count);
					bytes[implementation] = run.bytesPerMessage;
					groups[`completed, ${implementation}`] = run.groups;
					peakRss[implementation].push(run.peakRssBytes / MIB);
				}
				return { product: bytes.product ?? Number.NaN, anchor: bytes.raw };
			});
			const idle = await repeatPairs(context.repetitions, async () => ({
				product: (await idleRss(redis, sandbox.url, 'product')) / MIB,
				anchor: (await idleRss(redis, sandbox.url, 'raw')) / MIB,
			}));
			const countText = count.toLocaleString('en-US');
			result.rows.push(
				{
					label: `Redis bytes per waiting message (${countText} messages)`,
					unit: 'B',
					...waiting,
					anchorLabel: 'raw BullMQ job, same data',
					target: 'ratio ≤ 1.2',
					isMet: (waiting.ratio?.median ?? Infinity) <= 1.2,
				},
				{
					label: `Redis bytes per kept completed message (${countText} messages)`,
					unit: 'B',
					...completed,
					anchorLabel: 'raw BullMQ job, same data',
					target: 'ratio ≤ 1.2',
					isMet: (completed.ratio?.median ?? Infinity) <= 1.2,
				},
				{
					label: 'worker resident memory, idle',
					unit: 'MiB',
					...idle,
					anchorLabel: 'plain BullMQ worker process',
				},
				{
					label: 'worker resident memory, peak while sending (concurrency 50)',
					unit: 'MiB',
					product: summarize(peakRss.product),
					anchor: summarize(peakRss.raw),
					ratio: summarize(peakRss.product.map((value, index) => value / peakRss.raw[index])),
					anchorLabel: 'plain BullMQ worker process',
					load: completed.load,
				},
			);
			result.tables.push({
				title: 'Redis bytes per message by key group (MEMORY USAGE, last run)',
				columns: ['Run', 'Key groups'],
				rows: Object.entries(groups).map(([run, entry]) => [
					run,
					Object.entries(entry)
						.map(([group, bytes]) => `${group} ${bytes}`)
						.join(', '),
				]),
			});
			result.diagnostics.groups = groups;
		} finally {
			await sandbox.stop();
		}
	},
};
