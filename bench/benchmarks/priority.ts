/**
 * Priority latency: one critical message queued behind 10,000 normal ones
 * on an instance paced at 80 per second, against a plain BullMQ worker
 * with BullMQ priorities and `limiter: { max: 80, duration: 1000 }`.
 */

import { Queue } from 'bullmq';

import type { WhatsAppMessage } from '../../shared/message';
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
import { median } from '../lib/stats';
import { sleep, waitFor } from '../lib/timing';

const LIMIT = { max: 80, duration: 1000 };
const BACKLOG = 10_000;
/** Critical messages per run, each queued at a random phase. */
const CRITICAL_PER_RUN = 4;
/** Index of the first critical message, outside the backlog's numbers. */
const FIRST_CRITICAL_INDEX = 999_000;

/** Latency and queue position of one critical message. */
interface CriticalSample {
	latencyMs: number;
	/** Normal messages that reached the gateway after the add began and before the critical one. */
	sendsBetween: number;
}

export const priorityBenchmark: Benchmark = {
	name: 'priority',
	title: 'Priority latency',
	method:
		`Each run fills one instance with ${BACKLOG.toLocaleString('en-US')} normal messages and ` +
		'starts one worker process paced at 80 per second (concurrency 5). After the first send it ' +
		`queues ${CRITICAL_PER_RUN} critical messages one after another, each after a random wait of ` +
		'0.5 to 1.5 s, so a fixed window is hit at random points. Each is timed from the start of ' +
		'the add call to its arrival at the sandbox, and a run reports the median of its ' +
		`${CRITICAL_PER_RUN}. Latency is given in slots of the even spacing (12.5 ms). The anchor is ` +
		'a plain BullMQ worker with `limiter: { max: 80, duration: 1000 }`; its backlog has BullMQ ' +
		'priority 3 and the critical jobs priority 1, the numbers the product uses.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const instances = instanceNames(1);
		const sandbox = await startSandbox(instances, 5000);
		const samples: Record<Implementation, CriticalSample[]> = { product: [], raw: [] };
		try {
			const pairs = await repeatPairs(context.repetitions, async (productFirst) => {
				const order: Implementation[] = productFirst ? ['product', 'raw'] : ['raw', 'product'];
				const latency: Partial<Record<Implementation, number>> = {};
				for (const implementation of order) {
					const run = await measureOnce(context, implementation, instances[0], sandbox);
					samples[implementation].push(...run);
					latency[implementation] =
						median(run.map((sample) => sample.latencyMs)) / spacingMs(LIMIT);
				}
				context.log(
					`  critical after ${latency.product?.toFixed(1)} slots (product), ` +
						`${latency.raw?.toFixed(1)} slots (raw), medians of ${CRITICAL_PER_RUN}`,
				);
				return { product: latency.product ?? Number.NaN, anchor: latency.raw };
			});
			const productBetween = samples.product.map((sample) => sample.sendsBetween);
			result.rows.push({
				label:
					`critical message behind ${BACKLOG.toLocaleString('en-US')} normal ones at 80/s: ` +
					'time until sent',
				unit: 'slots',
				...pairs,
				anchorLabel: 'plain BullMQ priority 1 with limiter',
				target: 'the next free slot (≤ 2 slots, at most one normal send in between)',
				isMet: pairs.product.median <= 2 && Math.max(...productBetween) <= 1,
			});
			result.tables.push({
				title: `Every critical message (${CRITICAL_PER_RUN} per run)`,
				columns: [
					'Worker',
					'Latency in slots, median / max',
					'Normal sends in between, max',
					'All latencies (slots)',
				],
				rows: (['product', 'raw'] as const).map((implementation) => {
					const slots = samples[implementation].map(
						(sample) => sample.latencyMs / spacingMs(LIMIT),
					);
					return [
						implementation === 'product' ? 'product' : 'plain BullMQ',
						`${median(slots).toFixed(1)} / ${Math.max(...slots).toFixed(1)}`,
						String(Math.max(...samples[implementation].map((sample) => sample.sendsBetween))),
						slots.map((value) => value.toFixed(1)).join(', '),
					];
				}),
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
): Promise<CriticalSample[]> {
	const manager = createQueueManager({ redis: context.redis.connection, prefix: PRODUCT_PREFIX });
	const rawQueue = new Queue(instance, {
		connection: context.redis.connection,
		prefix: RAW_PREFIX,
	});
	const samples: CriticalSample[] = [];
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
					for (let index = 0; index < CRITICAL_PER_RUN; index++) {
						await sleep(500 + Math.random() * 1000);
						const critical = benchMessage(instance, FIRST_CRITICAL_INDEX + index, 'critical');
						samples.push(await sendCritical(implementation, manager, rawQueue, critical, sandbox));
					}
				},
			},
			context.redis,
			sandbox,
		);
	} finally {
		await manager.close();
		await rawQueue.close();
	}
	if (samples.length < CRITICAL_PER_RUN) {
		throw new Error(
			`The ${implementation} priority run measured ${samples.length} critical messages.`,
		);
	}
	return samples;
}

/** Queues `critical` and waits for it at the sandbox. */
async function sendCritical(
	implementation: Implementation,
	manager: QueueManager,
	rawQueue: Queue,
	critical: WhatsAppMessage,
	sandbox: Awaited<ReturnType<typeof startSandbox>>,
): Promise<CriticalSample> {
	const digits = critical.recipientPhone.replace(/\D/g, '');
	const addedAt = Date.now();
	if (implementation === 'product') {
		await manager.addMessage(critical);
	} else {
		await rawQueue.add('text', rawJobData(critical), {
			priority: 1,
			removeOnComplete: { age: 86_400 },
		});
	}
	const record = await waitFor(
		() => sandbox.received.find((entry) => entry.number.replace(/\D/g, '') === digits),
		{ timeoutMs: 20_000, intervalMs: 5, description: 'the critical message at the gateway' },
	);
	const sendsBetween = sandbox.received.filter(
		(entry) => entry.time >= addedAt && entry.time < record.time && entry !== record,
	).length;
	return { latencyMs: record.time - addedAt, sendsBetween };
}
