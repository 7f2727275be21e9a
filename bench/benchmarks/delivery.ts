/**
 * Delivery throughput from a filled queue to the sandbox gateway: the
 * product's worker process against a plain BullMQ worker process making the
 * same HTTP call, with limits off, and one instance paced at 1,000 per second.
 */

import type { SandboxGateway } from '../../sandbox/sandboxGateway';
import {
	instanceNames,
	runDelivery,
	sampleCommands,
	startSandbox,
	type DeliveryRunResult,
	type DeliveryRunSpec,
	type Implementation,
} from '../lib/deliveryHarness';
import {
	repeatPairs,
	type BenchContext,
	type Benchmark,
	type BenchmarkResult,
} from '../lib/results';
import {
	maxInSlidingWindow,
	percentile,
	rateSeries,
	summarize,
	sustainedPerWindow,
} from '../lib/stats';

/**
 * Sends per second between the 40th and the 95th percentile send. A fresh
 * worker process speeds up for about two seconds while V8 compiles its hot
 * paths, so the first 40 % of the sends and the tail are left out.
 */
export function steadyRate(times: readonly number[]): number {
	if (times.length < 10) {
		return Number.NaN;
	}
	const low = percentile(times, 40);
	const high = percentile(times, 95);
	const inside = times.filter((time) => time >= low && time <= high).length;
	return high > low ? ((inside - 1) * 1000) / (high - low) : Number.NaN;
}

/** Messages per run for a concurrency, sized for a few seconds of sending. */
function messagesFor(concurrency: number, isQuick: boolean): number {
	const full = concurrency === 1 ? 3000 : 12_000;
	return isQuick ? full / 4 : full;
}

interface DeliveryCase {
	label: string;
	processes: number;
	concurrency: number;
	target?: { ratio: number };
}

export const deliveryBenchmark: Benchmark = {
	name: 'delivery',
	title: 'Delivery throughput',
	method:
		"Each run flushes Redis, fills one instance's queue, then starts the worker processes and " +
		'counts sends where the in-process sandbox gateway received them (no added latency). The rate ' +
		'is taken between the 40th and the 95th percentile send, because a fresh worker process ' +
		'speeds up for about two seconds while V8 compiles its hot paths (see the chart). The ' +
		'product runs `node dist/worker/main.js` with ' +
		'`RATE_LIMIT_MAX=0` and `WORKER_CONCURRENCY` set; the anchor is a plain BullMQ `Worker` ' +
		'(bench/rawWorker.ts) with the same concurrency that sends through the same `EvolutionClient`. ' +
		'CPU time is read from /proc for the worker processes and from INFO for Redis.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const instances = instanceNames(1);
		const sandbox = await startSandbox(instances, 20_000);
		try {
			await measureUnpaced(context, result, sandbox, instances);
			await measurePaced(context, result, sandbox, instances);
			await measureCommands(context, result, sandbox, instances);
		} finally {
			await sandbox.stop();
		}
	},
};

async function measureUnpaced(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
	instances: string[],
): Promise<void> {
	const cases: DeliveryCase[] = [
		{
			label: 'limits off, concurrency 1, 1 process',
			processes: 1,
			concurrency: 1,
			target: { ratio: 0.8 },
		},
		{
			label: 'limits off, concurrency 10, 1 process',
			processes: 1,
			concurrency: 10,
			target: { ratio: 0.8 },
		},
		{
			label: 'limits off, concurrency 50, 1 process',
			processes: 1,
			concurrency: 50,
			target: { ratio: 0.8 },
		},
		{
			label: 'limits off, concurrency 10, 2 processes',
			processes: 2,
			concurrency: 10,
			target: { ratio: 0.8 },
		},
	];
	const costs: Record<string, Record<Implementation, unknown[]>> = {};
	const chartRuns: Partial<Record<Implementation, DeliveryRunResult>> = {};

	for (const deliveryCase of cases) {
		const perInstance = messagesFor(deliveryCase.concurrency, context.isQuick);
		const measure = async (implementation: Implementation) => {
			const spec: DeliveryRunSpec = {
				implementation,
				instances,
				perInstance,
				processes: deliveryCase.processes,
				concurrency: deliveryCase.concurrency,
				timeoutMs: 60_000,
			};
			const run = await runDelivery(spec, context.redis, sandbox);
			if (!run.isComplete) {
				throw new Error(
					`The ${implementation} run "${deliveryCase.label}" did not send every message in time.`,
				);
			}
			const entry = (costs[deliveryCase.label] ??= { product: [], raw: [] });
			entry[implementation].push({
				workerCpuUsecPerMessage: Math.round(run.workerCpuUsecPerMessage),
				redisCpuUsecPerMessage: run.redis.cpuUsecPerMessage,
				peakWorkerRssMiB: Math.round(run.peakWorkerRssBytes / 2 ** 20),
				commands: run.redis.commands.slice(0, 12),
			});
			if (deliveryCase.concurrency === 10 && deliveryCase.processes === 1) {
				chartRuns[implementation] = run;
			}
			return steadyRate(run.allTimes);
		};
		const pairs = await repeatPairs(context.repetitions, async (productFirst) => {
			const order: Implementation[] = productFirst ? ['product', 'raw'] : ['raw', 'product'];
			const rates: Partial<Record<Implementation, number>> = {};
			for (const implementation of order) {
				rates[implementation] = await measure(implementation);
			}
			context.log(
				`  ${deliveryCase.label}: product ${Math.round(rates.product ?? 0)}/s, ` +
					`raw ${Math.round(rates.raw ?? 0)}/s`,
			);
			return { product: rates.product ?? Number.NaN, anchor: rates.raw };
		});
		const ratioTarget = deliveryCase.target?.ratio;
		result.rows.push({
			label: `${deliveryCase.label}, ${perInstance.toLocaleString('en-US')} messages`,
			unit: 'msg/s',
			...pairs,
			anchorLabel: 'plain BullMQ Worker',
			target: ratioTarget === undefined ? undefined : `ratio ≥ ${ratioTarget}`,
			isMet: ratioTarget === undefined ? undefined : (pairs.ratio?.median ?? 0) >= ratioTarget,
		});
	}
	result.diagnostics.costPerMessage = costs;
	result.tables.push(costTable(costs));

	const series = (['product', 'raw'] as const).flatMap((implementation) => {
		const run = chartRuns[implementation];
		if (!run || run.allTimes.length === 0) {
			return [];
		}
		const name = implementation === 'product' ? 'product worker' : 'plain BullMQ worker';
		return [{ name, points: rateSeries(run.allTimes, run.allTimes[0], 250) }];
	});
	result.charts.push({
		file: 'delivery-rate.svg',
		title: 'Sends per second at the gateway, limits off, concurrency 10, one process (last run)',
		xLabel: 'seconds since the first send',
		yLabel: 'messages per second (250 ms buckets)',
		series,
	});
}

function costTable(costs: Record<string, Record<Implementation, unknown[]>>) {
	const rows: string[][] = [];
	for (const [label, entry] of Object.entries(costs)) {
		for (const implementation of ['product', 'raw'] as const) {
			const runs = entry[implementation] as Array<{
				workerCpuUsecPerMessage: number;
				redisCpuUsecPerMessage: number;
				peakWorkerRssMiB: number;
			}>;
			rows.push([
				label,
				implementation === 'product' ? 'product' : 'plain BullMQ',
				String(summarize(runs.map((run) => run.workerCpuUsecPerMessage)).median),
				summarize(runs.map((run) => run.redisCpuUsecPerMessage)).median.toFixed(1),
				String(summarize(runs.map((run) => run.peakWorkerRssMiB)).median),
			]);
		}
	}
	return {
		title: 'Cost per message sent (median of the runs)',
		columns: ['Case', 'Worker', 'Worker CPU µs/msg', 'Redis CPU µs/msg', 'Peak worker RSS MiB'],
		rows,
	};
}

async function measurePaced(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
	instances: string[],
): Promise<void> {
	const limit = { max: 1000, duration: 1000 };
	const perInstance = context.isQuick ? 2500 : 5000;
	const concurrency = 10;
	const windows: Record<Implementation, number[]> = { product: [], raw: [] };
	let lastProduct: DeliveryRunResult | undefined;
	const pairs = await repeatPairs(context.repetitions, async (productFirst) => {
		const order: Implementation[] = productFirst ? ['product', 'raw'] : ['raw', 'product'];
		const rates: Partial<Record<Implementation, number>> = {};
		for (const implementation of order) {
			const run = await runDelivery(
				{
					implementation,
					instances,
					perInstance,
					processes: 1,
					concurrency,
					limit,
					timeoutMs: 60_000,
				},
				context.redis,
				sandbox,
			);
			rates[implementation] = sustainedPerWindow(run.allTimes, limit.duration);
			windows[implementation].push(maxInSlidingWindow(run.allTimes, limit.duration));
			if (implementation === 'product') {
				lastProduct = run;
			}
		}
		context.log(`  paced 1000/s: product ${rates.product}/s, raw ${rates.raw}/s`);
		return { product: rates.product ?? Number.NaN, anchor: rates.raw };
	});
	const share = pairs.product.median / limit.max;
	result.rows.push({
		label: `one instance paced at 1,000/s, concurrency ${concurrency}, ${perInstance.toLocaleString('en-US')} messages`,
		unit: 'msg/s',
		...pairs,
		anchorLabel: 'plain BullMQ Worker, limiter 1,000 per 1,000 ms',
		target: 'holds 1,000/s (≥ 980/s sustained, ≤ 1,000 in any 1 s)',
		isMet: share >= 0.98 && Math.max(...windows.product) <= limit.max,
	});
	result.diagnostics.paced = {
		maxInAnySecond: windows,
		workerCpuUsecPerMessage: lastProduct?.workerCpuUsecPerMessage,
	};
	result.tables.push({
		title: 'Paced at 1,000/s: maximum sends in any 1 s window, per run',
		columns: ['Worker', 'Runs'],
		rows: [
			['product', windows.product.join(', ')],
			['plain BullMQ', windows.raw.join(', ')],
		],
	});
	if (lastProduct) {
		result.charts.push({
			file: 'delivery-paced.svg',
			title: 'One instance paced at 1,000 per second (product, last run)',
			xLabel: 'seconds since the first send',
			yLabel: 'messages per second (250 ms buckets)',
			series: [
				{
					name: 'product worker',
					points: rateSeries(lastProduct.allTimes, lastProduct.allTimes[0], 250),
				},
			],
			references: [{ name: 'limit 1,000/s', y: 1000 }],
		});
	}
}

/**
 * Counts the Redis commands each implementation sends per message with
 * MONITOR, on a small untimed sample. Every separate command is a socket
 * write and a reply to read, which costs CPU time on both sides.
 */
async function measureCommands(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
	instances: string[],
): Promise<void> {
	const rows: string[][] = [];
	const samples: Record<string, unknown> = {};
	for (const concurrency of [1, 10]) {
		for (const implementation of ['product', 'raw'] as const) {
			const sample = await sampleCommands(
				{ implementation, instances, perInstance: 300, concurrency },
				context.redis,
				sandbox,
			);
			samples[`${implementation}, concurrency ${concurrency}`] = sample;
			rows.push([
				`limits off, concurrency ${concurrency}`,
				implementation === 'product' ? 'product' : 'plain BullMQ',
				sample.clientTotalPerMessage.toFixed(2),
				Object.entries(sample.clientPerMessage)
					.filter(([, count]) => count >= 0.01)
					.map(([command, count]) => `${command} ${count}`)
					.join(', '),
			]);
		}
	}
	result.diagnostics.commandsPerMessage = samples;
	result.tables.push({
		title: 'Redis commands sent per message (MONITOR, 300 messages, untimed)',
		columns: ['Case', 'Worker', 'Commands per message', 'By command'],
		rows,
	});
}
