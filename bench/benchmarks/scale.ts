/**
 * Scale: delivery throughput, Redis connections and pacing accuracy as
 * worker processes grow from 1 to 4 and instances from 1 to 10, for the
 * product and for plain BullMQ workers.
 */

import type { SandboxGateway } from '../../sandbox/sandboxGateway';
import {
	instanceNames,
	runDelivery,
	startSandbox,
	type DeliveryRunSpec,
	type Implementation,
} from '../lib/deliveryHarness';
import { allowedGap, measurePacing, worstOf, type PacingFigures } from '../lib/pacing';
import type { BenchRedis } from '../lib/redisServer';
import { loadNow, type BenchContext, type Benchmark, type BenchmarkResult } from '../lib/results';
import { summarize } from '../lib/stats';
import { steadyRate } from './delivery';
import { idleRss } from './memory';

interface Layout {
	processes: number;
	instances: number;
}

/** Two processes with one instance are in the delivery benchmark, so they are not repeated here. */
const THROUGHPUT_LAYOUTS: Layout[] = [
	{ processes: 1, instances: 1 },
	{ processes: 4, instances: 1 },
	{ processes: 1, instances: 10 },
	{ processes: 4, instances: 10 },
];

const PACED_LAYOUTS: Layout[] = [
	{ processes: 1, instances: 10 },
	{ processes: 4, instances: 10 },
];

const LIMIT = { max: 80, duration: 1000 };

function layoutText(layout: Layout): string {
	return `${layout.processes} process${layout.processes > 1 ? 'es' : ''}, ${layout.instances} instance${layout.instances > 1 ? 's' : ''}`;
}

async function connectedClients(redis: BenchRedis): Promise<number> {
	return Number((await redis.info('clients')).connected_clients);
}

export const scaleBenchmark: Benchmark = {
	name: 'scale',
	title: 'Scale',
	method:
		'The delivery and pacing runs repeated with 1 and 4 worker processes and with 10 instances ' +
		'at once, product and plain BullMQ back to back. Throughput: limits off, concurrency 10 per ' +
		'instance, the messages split evenly over the instances, rate between the 40th and 95th ' +
		'percentile send. Connections: `connected_clients` from INFO while the workers run, less the ' +
		"benchmark's own, per worker process. Pacing: 80 per second on every instance, the worst " +
		'instance counted, as in the rate-limit benchmark.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const sandbox = await startSandbox(instanceNames(10), 20_000);
		try {
			await measureThroughput(context, result, sandbox);
			await measurePacedInstances(context, result, sandbox);
			await measureIdleMemory(context, result, sandbox);
		} finally {
			await sandbox.stop();
		}
	},
};

async function measureThroughput(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
) {
	const total = context.isQuick ? 2000 : 6000;
	const tableRows: string[][] = [];
	const layouts = context.isQuick
		? [THROUGHPUT_LAYOUTS[0], THROUGHPUT_LAYOUTS[2]]
		: THROUGHPUT_LAYOUTS;
	for (const layout of layouts) {
		const rates: Record<Implementation, number[]> = { product: [], raw: [] };
		const connections: Record<Implementation, number[]> = { product: [], raw: [] };
		const load: number[] = [];
		for (let index = 0; index < context.repetitions; index++) {
			load.push(loadNow());
			const order: Implementation[] = index % 2 === 0 ? ['product', 'raw'] : ['raw', 'product'];
			for (const implementation of order) {
				let clients = 0;
				const spec: DeliveryRunSpec = {
					implementation,
					instances: instanceNames(layout.instances),
					perInstance: Math.round(total / layout.instances),
					processes: layout.processes,
					concurrency: 10,
					timeoutMs: 60_000,
					whileRunning: async () => {
						clients = await connectedClients(context.redis);
					},
				};
				const run = await runDelivery(spec, context.redis, sandbox);
				rates[implementation].push(steadyRate(run.allTimes));
				// The benchmark's own admin connection is the one left over.
				connections[implementation].push((clients - 1) / layout.processes);
			}
		}
		const product = summarize(rates.product);
		const anchor = summarize(rates.raw);
		const ratio = summarize(rates.product.map((rate, index) => rate / rates.raw[index]));
		context.log(
			`  ${layoutText(layout)}: product ${Math.round(product.median)}/s, raw ${Math.round(anchor.median)}/s`,
		);
		result.rows.push({
			label: `throughput, limits off, ${layoutText(layout)}`,
			unit: 'msg/s',
			product,
			anchor,
			ratio,
			anchorLabel: 'plain BullMQ Worker per queue',
			load,
		});
		tableRows.push([
			layoutText(layout),
			Math.round(product.median).toLocaleString('en-US'),
			Math.round(anchor.median).toLocaleString('en-US'),
			ratio.median.toFixed(2),
			`${summarize(connections.product).median} / ${summarize(connections.raw).median}`,
		]);
	}
	result.tables.push({
		title: 'Throughput and connections by layout (medians)',
		columns: [
			'Layout',
			'Product msg/s',
			'Plain BullMQ msg/s',
			'Ratio',
			'Redis connections per process, product / plain',
		],
		rows: tableRows,
	});
}

async function measurePacedInstances(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
) {
	const perInstance = 180;
	const tableRows: string[][] = [];
	const layouts = context.isQuick ? PACED_LAYOUTS.slice(0, 1) : PACED_LAYOUTS;
	for (const layout of layouts) {
		const runs: Record<Implementation, PacingFigures[]> = { product: [], raw: [] };
		const load: number[] = [];
		for (let index = 0; index < context.repetitions; index++) {
			load.push(loadNow());
			const order: Implementation[] = index % 2 === 0 ? ['product', 'raw'] : ['raw', 'product'];
			for (const implementation of order) {
				const run = await runDelivery(
					{
						implementation,
						instances: instanceNames(layout.instances),
						perInstance,
						processes: layout.processes,
						concurrency: 5,
						limit: LIMIT,
						timeoutMs: 60_000,
					},
					context.redis,
					sandbox,
				);
				runs[implementation].push(
					worstOf([...run.sendTimes.values()].map((times) => measurePacing(times, LIMIT))),
				);
			}
		}
		const pick = (implementation: Implementation, field: keyof PacingFigures) =>
			summarize(runs[implementation].map((figures) => figures[field]));
		const prefix = `80/s on each of ${layoutText(layout)}`;
		const maxWindow = pick('product', 'maxInWindow');
		const share = pick('product', 'sustainedShare');
		const gap = pick('product', 'largestGapMs');
		result.rows.push(
			{
				label: `${prefix}: max sends in any 1 s window, worst instance`,
				unit: '',
				digits: 0,
				product: maxWindow,
				anchor: pick('raw', 'maxInWindow'),
				anchorLabel: 'plain BullMQ limiter',
				target: '≤ 80 in every run',
				isMet: maxWindow.max <= LIMIT.max,
				load,
			},
			{
				label: `${prefix}: sustained share of the limit, worst instance`,
				unit: '',
				digits: 3,
				product: share,
				anchor: pick('raw', 'sustainedShare'),
				anchorLabel: 'plain BullMQ limiter',
				target: '≥ 0.98',
				isMet: share.median >= 0.98,
				load,
			},
			{
				label: `${prefix}: largest gap, worst instance`,
				unit: 'ms',
				product: gap,
				anchor: pick('raw', 'largestGapMs'),
				anchorLabel: 'plain BullMQ limiter',
				target: `≤ ${allowedGap(LIMIT)} ms`,
				isMet: gap.median <= allowedGap(LIMIT),
				load,
			},
		);
		tableRows.push([
			layoutText(layout),
			`${maxWindow.median} / ${pick('raw', 'maxInWindow').median}`,
			`${share.median.toFixed(3)} / ${pick('raw', 'sustainedShare').median.toFixed(3)}`,
			`${Math.round(gap.median)} / ${Math.round(pick('raw', 'largestGapMs').median)}`,
		]);
		context.log(
			`  ${prefix}: max in window ${maxWindow.median}, share ${share.median.toFixed(3)}, gap ${Math.round(gap.median)} ms`,
		);
	}
	result.tables.push({
		title: '80/s per instance on 10 instances, product / plain BullMQ (medians, worst instance)',
		columns: ['Layout', 'Max in any 1 s window', 'Sustained share', 'Largest gap ms'],
		rows: tableRows,
	});
}

async function measureIdleMemory(
	context: BenchContext,
	result: BenchmarkResult,
	sandbox: SandboxGateway,
) {
	const rows: string[][] = [];
	for (const count of [1, 10]) {
		const instances = instanceNames(count);
		const rss: Record<Implementation, number[]> = { product: [], raw: [] };
		for (let index = 0; index < context.repetitions; index++) {
			for (const implementation of ['product', 'raw'] as const) {
				rss[implementation].push(
					(await idleRss(context.redis, sandbox.url, implementation, instances)) / 2 ** 20,
				);
			}
		}
		rows.push([
			`${count} instance${count > 1 ? 's' : ''}`,
			summarize(rss.product).median.toFixed(1),
			summarize(rss.raw).median.toFixed(1),
		]);
	}
	result.tables.push({
		title: 'Worker resident memory when idle, MiB (median)',
		columns: ['Instances served', 'Product', 'Plain BullMQ'],
		rows,
	});
}
