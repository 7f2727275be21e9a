/**
 * Enqueue throughput: the product's `addBulk` and concurrent `addMessage`,
 * validation included, against raw BullMQ `addBulk` in chunks of 1,000 and
 * concurrent `add` with 100 in flight, all storing the same message.
 */

import { Queue, type JobsOptions } from 'bullmq';

import { createQueueManager } from '../../shared/queue';
import type { NormalizedMessage, WhatsAppMessage } from '../../shared/message';
import { monitorCommands, perMessage, total } from '../lib/monitor';
import { benchMessages, rawJobData } from '../lib/payload';
import type { BenchRedis } from '../lib/redisServer';
import { readRedisCost, redisCpuUsec, type RedisCost } from '../lib/redisStats';
import { loadNow, type Benchmark, type BenchContext } from '../lib/results';
import { summarize } from '../lib/stats';
import { nowMs } from '../lib/timing';

const INSTANCE = 'bench';
const RAW_CHUNK = 1000;
const IN_FLIGHT = 100;

/** BullMQ priority of the product's `normal`, for the raw run that isolates the cost of priorities. */
const NORMAL_PRIORITY: JobsOptions = { priority: 3 };

type RawData = { message: NormalizedMessage };

/** One timed enqueue: jobs per second, and the Redis and client cost per job. */
interface EnqueueRun {
	jobsPerSecond: number;
	clientCpuUsecPerJob: number;
	redis: RedisCost;
}

/** Runs `task(index)` for indexes 0 to count - 1 with at most `limit` in flight. */
async function runPool(count: number, limit: number, task: (index: number) => Promise<unknown>) {
	let next = 0;
	const lane = async () => {
		while (next < count) {
			const index = next;
			next += 1;
			await task(index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** Times `body` after a flush, with the client's CPU time and Redis's cost. */
async function timed(
	redis: BenchRedis,
	count: number,
	body: () => Promise<void>,
): Promise<EnqueueRun> {
	await redis.flush();
	const redisCpu = await redisCpuUsec(redis);
	const cpu = process.cpuUsage();
	const start = nowMs();
	await body();
	const elapsedMs = nowMs() - start;
	const used = process.cpuUsage(cpu);
	return {
		jobsPerSecond: (count * 1000) / elapsedMs,
		clientCpuUsecPerJob: (used.user + used.system) / count,
		redis: await readRedisCost(redis, count, redisCpu),
	};
}

async function productBulk(redis: BenchRedis, messages: WhatsAppMessage[]): Promise<EnqueueRun> {
	const manager = createQueueManager({ redis: redis.connection, prefix: 'pb' });
	try {
		await manager.listInstances();
		return await timed(redis, messages.length, async () => {
			await manager.addBulk(messages);
		});
	} finally {
		await manager.close();
	}
}

async function productSingle(redis: BenchRedis, messages: WhatsAppMessage[]): Promise<EnqueueRun> {
	const manager = createQueueManager({ redis: redis.connection, prefix: 'ps' });
	try {
		await manager.listInstances();
		return await timed(redis, messages.length, async () => {
			await runPool(messages.length, IN_FLIGHT, (index) => manager.addMessage(messages[index]));
		});
	} finally {
		await manager.close();
	}
}

async function withRawQueue<T>(
	redis: BenchRedis,
	prefix: string,
	body: (queue: Queue) => Promise<T>,
) {
	const queue = new Queue(INSTANCE, { connection: redis.connection, prefix });
	try {
		await queue.waitUntilReady();
		return await body(queue);
	} finally {
		await queue.close();
	}
}

async function rawBulk(
	redis: BenchRedis,
	data: RawData[],
	options?: JobsOptions,
): Promise<EnqueueRun> {
	return await withRawQueue(redis, 'rb', (queue) =>
		timed(redis, data.length, async () => {
			for (let start = 0; start < data.length; start += RAW_CHUNK) {
				const chunk = data.slice(start, start + RAW_CHUNK);
				await queue.addBulk(chunk.map((item) => ({ name: 'text', data: item, opts: options })));
			}
		}),
	);
}

async function rawSingle(redis: BenchRedis, data: RawData[]): Promise<EnqueueRun> {
	return await withRawQueue(redis, 'rs', (queue) =>
		timed(redis, data.length, async () => {
			await runPool(data.length, IN_FLIGHT, (index) => queue.add('text', data[index]));
		}),
	);
}

/**
 * Counts with MONITOR the commands each mode sends per job: 100 single adds
 * one after another, and one bulk add of all `messages`. Untimed.
 */
async function commandTable(redis: BenchRedis, messages: WhatsAppMessage[], data: RawData[]) {
	const manager = createQueueManager({ redis: redis.connection, prefix: 'pc' });
	const queue = new Queue(INSTANCE, { connection: redis.connection, prefix: 'rc' });
	const rows: string[][] = [];
	const add = async (label: string, jobs: number, body: () => Promise<unknown>) => {
		const counts = await monitorCommands(redis, async () => {
			await body();
		});
		const byCommand = Object.entries(perMessage(counts.client, jobs))
			.filter(([, count]) => count >= 0.01)
			.map(([command, count]) => `${command} ${count}`)
			.join(', ');
		rows.push([label, (total(counts.client) / jobs).toFixed(2), byCommand]);
	};
	try {
		await redis.flush();
		await manager.listInstances();
		await queue.waitUntilReady();
		await add('product addMessage, one at a time', 100, async () => {
			for (const message of messages.slice(0, 100)) {
				await manager.addMessage(message);
			}
		});
		await add('raw add, one at a time', 100, async () => {
			for (const item of data.slice(0, 100)) {
				await queue.add('text', item);
			}
		});
		await add(`product addBulk of ${messages.length}`, messages.length, () =>
			manager.addBulk(messages),
		);
		await add(`raw addBulk of ${data.length}`, data.length, () =>
			queue.addBulk(data.map((item) => ({ name: 'text', data: item }))),
		);
	} finally {
		await manager.close();
		await queue.close();
	}
	return {
		title: 'Redis commands sent per job (MONITOR, untimed; a script call counts once)',
		columns: ['Mode', 'Commands per job', 'By command'],
		rows,
	};
}

export const enqueueBenchmark: Benchmark = {
	name: 'enqueue',
	title: 'Enqueue throughput',
	method:
		'Each run flushes Redis, then queues the same messages one way and reports jobs per second ' +
		'from the first call to the last reply. The product validates and normalises every message ' +
		'inside the timed span. Raw BullMQ stores the same normalised message as job data with ' +
		'default job options, so raw jobs go to the wait list. The product adds prioritised jobs ' +
		'with its own job ids, a campaign index and a wake-up message. One raw mode adds priority 3 ' +
		'to separate the cost of priorities from the rest.',
	async run(context: BenchContext, result) {
		const count = context.isQuick ? 10_000 : 100_000;
		const messages = benchMessages(INSTANCE, count);
		const data = messages.map(rawJobData);
		const withoutCampaign = messages.map((message) => ({
			...message,
			metadata: { ...message.metadata, campaignId: undefined },
		}));
		const { redis } = context;
		const costs: Record<string, RedisCost[]> = {};
		const clientCpu: Record<string, number[]> = {};
		const keep = (label: string, run: EnqueueRun) => {
			(costs[label] ??= []).push(run.redis);
			(clientCpu[label] ??= []).push(Math.round(run.clientCpuUsecPerJob * 10) / 10);
			return run.jobsPerSecond;
		};

		// One round measures every mode once; the order rotates between rounds.
		const modes: Array<[string, () => Promise<EnqueueRun>]> = [
			['product addBulk', () => productBulk(redis, messages)],
			['product addMessage', () => productSingle(redis, messages)],
			['raw addBulk', () => rawBulk(redis, data)],
			['raw add', () => rawSingle(redis, data)],
			['raw addBulk, priority 3', () => rawBulk(redis, data, NORMAL_PRIORITY)],
			['product addBulk, no campaign id', () => productBulk(redis, withoutCampaign)],
		];
		const rates: Record<string, number[]> = {};
		const load: number[] = [];
		for (let round = 0; round < context.repetitions; round++) {
			load.push(loadNow());
			const shift = round % modes.length;
			const rotated = [...modes.slice(shift), ...modes.slice(0, shift)];
			for (const [label, measure] of rotated) {
				(rates[label] ??= []).push(keep(label, await measure()));
			}
			context.log(
				`  round ${round + 1}: ${modes.map(([label]) => `${label} ${Math.round(rates[label][round])}`).join(', ')} jobs/s`,
			);
		}
		const rawBest = rates['raw addBulk'].map((rate, index) =>
			Math.max(rate, rates['raw add'][index]),
		);
		const pairOf = (product: number[], anchor: number[]) => ({
			product: summarize(product),
			anchor: summarize(anchor),
			ratio: summarize(product.map((value, index) => value / anchor[index])),
			load,
		});
		const bulk = pairOf(rates['product addBulk'], rawBest);
		const single = pairOf(rates['product addMessage'], rates['raw add']);

		const countText = count.toLocaleString('en-US');
		result.rows.push(
			{
				label: `addBulk, ${countText} messages in one call`,
				unit: 'jobs/s',
				...bulk,
				anchorLabel: 'raw BullMQ, faster of addBulk (chunks of 1,000) and add (100 in flight)',
				target: 'ratio ≥ 1.0',
				isMet: (bulk.ratio?.median ?? 0) >= 1.0,
			},
			{
				label: `addMessage, ${countText} calls, ${IN_FLIGHT} in flight`,
				unit: 'jobs/s',
				...single,
				anchorLabel: `raw BullMQ add, ${IN_FLIGHT} in flight`,
			},
		);
		result.tables.push({
			title: 'Enqueue modes, jobs per second (median and range of the runs)',
			columns: ['Mode', 'Jobs/s', 'Range', 'Client CPU µs/job', 'Redis CPU µs/job'],
			rows: [
				['product addBulk', ...modeCells('product addBulk')],
				['product addMessage, 100 in flight', ...modeCells('product addMessage')],
				['raw addBulk, chunks of 1,000', ...modeCells('raw addBulk')],
				['raw add, 100 in flight', ...modeCells('raw add')],
				[
					'raw addBulk with priority 3, as the product stores normal messages',
					...modeCells('raw addBulk, priority 3'),
				],
				['product addBulk without campaign ids', ...modeCells('product addBulk, no campaign id')],
			],
		});
		result.tables.push(await commandTable(redis, messages.slice(0, 1000), data.slice(0, 1000)));
		result.diagnostics.redisCostPerJob = costs;
		result.diagnostics.clientCpuUsecPerJob = clientCpu;
		result.diagnostics.messages = count;

		function modeCells(label: string): string[] {
			const summary = summarize(rates[label]);
			const redisCpu = summarize((costs[label] ?? []).map((cost) => cost.cpuUsecPerMessage));
			return [
				Math.round(summary.median).toLocaleString('en-US'),
				`${Math.round(summary.min).toLocaleString('en-US')}–${Math.round(summary.max).toLocaleString('en-US')}`,
				summarize(clientCpu[label] ?? []).median.toFixed(1),
				redisCpu.median.toFixed(1),
			];
		}
	},
};
