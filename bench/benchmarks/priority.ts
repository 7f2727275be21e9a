/**
 * Priority latency: one critical message queued behind 10,000 normal ones
 * on an instance paced at 80 per second, against a plain BullMQ worker
 * with BullMQ priorities and `limiter: { max: 80, duration: 1000 }`.
 */

import { Queue } from 'bullmq';

import { createQueueManager, type QueueManager } from '../../shared/queue';
import {
	instanceNames,
	PRODUCT_PREFIX,
	RAW_PREFIX,
	runDelivery,
	startSandbox,
	type Implementation,
} from '../lib/deliveryHarness';
import { spacingMs } from '../lib/pacing';
import { benchMessage, rawJobData } from '../lib/payload';
import {
	repeatPairs,
	type BenchContext,
	type Benchmark,
	type BenchmarkResult,
} from '../lib/results';
import { summarize } from '../lib/stats';
import { sleep, waitFor } from '../lib/timing';

const LIMIT = { max: 80, duration: 1000 };
const BACKLOG = 10_000;
/** Index of the critical message, outside the backlog's numbers. */
const CRITICAL_INDEX = 999_999;

/** Latency and queue position of the critical message. */
interface PriorityRun {
	latencyMs: number;
	/** Normal messages that reached the gateway after the add began and before the critical one. */
	sendsBetween: number;
}

export const priorityBenchmark: Benchmark = {
	name: 'priority',
	title: 'Priority latency',
	method:
		`Each run fills one instance with ${BACKLOG.toLocaleString('en-US')} normal messages and ` +
		'starts one worker process paced at 80 per second (concurrency 5). It waits 1 to 2 s after ' +
		'the first send, a random phase so that a fixed window is hit at random points. Then it ' +
		'queues one critical message and times it from the start of the add call to its arrival at ' +
		'the sandbox. Latency ' +
		'is also given in slots of the even spacing (12.5 ms). The anchor is a plain BullMQ worker ' +
		'with `limiter: { max: 80, duration: 1000 }`; its backlog has BullMQ priority 3 and the ' +
		'critical job priority 1, the numbers the product uses.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const instances = instanceNames(1);
		const sandbox = await startSandbox(instances, 5000);
		const between: Record<Implementation, number[]> = { product: [], raw: [] };
		try {
			const pairs = await repeatPairs(context.repetitions, async (productFirst) => {
				const order: Implementation[] = productFirst ? ['product', 'raw'] : ['raw', 'product'];
				const latency: Partial<Record<Implementation, number>> = {};
				for (const implementation of order) {
					const run = await measureOnce(context, implementation, instances[0], sandbox);
					latency[implementation] = run.latencyMs / spacingMs(LIMIT);
					between[implementation].push(run.sendsBetween);
				}
				context.log(
					`  critical after ${latency.product?.toFixed(1)} slots (product), ` +
						`${latency.raw?.toFixed(1)} slots (raw)`,
				);
				return { product: latency.product ?? Number.NaN, anchor: latency.raw };
			});
			result.rows.push({
				label: `critical message behind ${BACKLOG.toLocaleString('en-US')} normal ones at 80/s: time until sent`,
				unit: 'slots',
				...pairs,
				anchorLabel: 'plain BullMQ priority 1 with limiter',
				target: 'the next free slot (≤ 2 slots, at most one normal send in between)',
				isMet: pairs.product.median <= 2 && Math.max(...between.product) <= 1,
			});
			result.tables.push({
				title: 'Normal messages sent between the add call and the critical send',
				columns: ['Worker', 'Median', 'Runs'],
				rows: (['product', 'raw'] as const).map((implementation) => [
					implementation === 'product' ? 'product' : 'plain BullMQ',
					String(summarize(between[implementation]).median),
					between[implementation].join(', '),
				]),
			});
		} finally {
			await sandbox.stop();
		}
	},
};

async function measureOnce(
	context: BenchContext,
	implementation: Implementation,
	instance: string,
	sandbox: Awaited<ReturnType<typeof startSandbox>>,
): Promise<PriorityRun> {
	const manager = createQueueManager({ redis: context.redis.connection, prefix: PRODUCT_PREFIX });
	const rawQueue = new Queue(instance, {
		connection: context.redis.connection,
		prefix: RAW_PREFIX,
	});
	const critical = benchMessage(instance, CRITICAL_INDEX, 'critical');
	const criticalDigits = critical.recipientPhone.replace(/\D/g, '');
	let measured: PriorityRun | undefined;
	try {
		await manager.listInstances();
		await rawQueue.waitUntilReady();
		await runDelivery(
			{
				implementation,
				instances: [instance],
				perInstance: BACKLOG,
				processes: 1,
				concurrency: 5,
				limit: LIMIT,
				timeoutMs: 30_000,
				stopAfter: 1,
				rawJobOptions: { priority: 3 },
				whileRunning: async () => {
					await waitFor(() => sandbox.stats().received > 0, {
						timeoutMs: 20_000,
						description: 'the first send',
					});
					await sleep(1000 + Math.random() * 1000);
					const addedAt = Date.now();
					await addCritical(implementation, manager, rawQueue, critical);
					const record = await waitFor(
						() =>
							sandbox.received.find((entry) => entry.number.replace(/\D/g, '') === criticalDigits),
						{
							timeoutMs: 20_000,
							intervalMs: 5,
							description: 'the critical message at the gateway',
						},
					);
					const sendsBetween = sandbox.received.filter(
						(entry) => entry.time >= addedAt && entry.time < record.time && entry !== record,
					).length;
					measured = { latencyMs: record.time - addedAt, sendsBetween };
				},
			},
			context.redis,
			sandbox,
		);
	} finally {
		await manager.close();
		await rawQueue.close();
	}
	if (!measured) {
		throw new Error(`The ${implementation} priority run did not measure the critical message.`);
	}
	return measured;
}

async function addCritical(
	implementation: Implementation,
	manager: QueueManager,
	rawQueue: Queue,
	critical: ReturnType<typeof benchMessage>,
): Promise<void> {
	if (implementation === 'product') {
		await manager.addMessage(critical);
		return;
	}
	await rawQueue.add('text', rawJobData(critical), {
		priority: 1,
		removeOnComplete: { age: 86_400 },
	});
}
