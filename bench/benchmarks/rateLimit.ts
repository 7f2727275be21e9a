/**
 * Rate-limit accuracy measured at the gateway: the product's shared pacer
 * against BullMQ's `limiter: { max, duration }` on a plain `Worker`, with
 * one, two and four worker processes and with two instances at once.
 */

import type { SandboxGateway } from '../../sandbox/sandboxGateway';
import { SANDBOX_API_KEY } from '../../sandbox/types';
import {
	fillProduct,
	fillRaw,
	instanceNames,
	PRODUCT_PREFIX,
	RAW_PREFIX,
	runDelivery,
	startSandbox,
	type DeliveryRunResult,
	type Implementation,
} from '../lib/deliveryHarness';
import {
	allowedGap,
	measurePacing,
	spacingMs,
	worstOf,
	type Limit,
	type PacingFigures,
} from '../lib/pacing';
import { startProductWorker, startRawWorker, stopAll, type BenchProcess } from '../lib/processes';
import { QueueKeys } from '../../shared/redis/keys';
import { BenchRedis } from '../lib/redisServer';
import {
	loadNow,
	type BenchContext,
	type Benchmark,
	type BenchmarkResult,
	type ResultRow,
} from '../lib/results';
import { median, summarize, trailingWindowSeries } from '../lib/stats';
import { waitFor } from '../lib/timing';

interface LimitCase {
	label: string;
	limit: Limit;
	/** Messages per instance: a little over two windows, or one and a half for the scaled minute. */
	perInstance: number;
}

interface Layout {
	processes: number;
	instances: number;
}

const PER_SECOND: LimitCase = {
	label: '80/s',
	limit: { max: 80, duration: 1000 },
	perInstance: 180,
};
const PER_MINUTE_SCALED: LimitCase = {
	label: '80/min scaled to 80 per 6 s',
	limit: { max: 80, duration: 6000 },
	perInstance: 120,
};
const REAL_MINUTE: LimitCase = {
	label: '80/min',
	limit: { max: 80, duration: 60_000 },
	perInstance: 90,
};

const LAYOUTS: Layout[] = [
	{ processes: 1, instances: 1 },
	{ processes: 2, instances: 1 },
	{ processes: 4, instances: 1 },
	{ processes: 1, instances: 2 },
];

function layoutText(layout: Layout): string {
	const workers = `${layout.processes} worker${layout.processes > 1 ? 's' : ''}`;
	return `${workers}, ${layout.instances} instance${layout.instances > 1 ? 's' : ''}`;
}

function figuresOf(run: DeliveryRunResult, limit: Limit): PacingFigures {
	return worstOf([...run.sendTimes.values()].map((times) => measurePacing(times, limit)));
}

export const rateLimitBenchmark: Benchmark = {
	name: 'rate-limit',
	title: 'Rate-limit accuracy',
	method:
		'Each run fills the queues, starts the worker processes (concurrency 5, the default) and ' +
		'records when the sandbox gateway received each send. Three figures are taken per instance. ' +
		"The first is the maximum sends in any sliding window of the limit's duration. The second is " +
		'the sends per window over the whole windows of the run, as a share of the limit. The third ' +
		'is the largest gap between consecutive sends. With two instances the worse instance counts. ' +
		'The anchor is a plain BullMQ `Worker` per process with `limiter: { max, duration }`. The gap ' +
		'target is the even spacing plus 10 % of it or 50 ms, whichever is larger. The window target ' +
		'must hold in every run, so the table judges it on the largest run; the others are judged on ' +
		'the median. The per-minute limit runs at 80 per 6 s, with all times divided by 10. A full ' +
		'run also sends at 80 per 60 s once, in the background on its own Redis, to check that the ' +
		'scaling keeps the figures.',
	async run(context: BenchContext, result: BenchmarkResult) {
		const background = context.isQuick
			? undefined
			: startRealMinuteRun().catch((error: Error) => {
					context.log(`  the 80 per minute run failed: ${error.message}`);
					return undefined;
				});
		const cases: Array<[LimitCase, Layout[]]> = context.isQuick
			? [
					[PER_SECOND, [LAYOUTS[2]]],
					[{ ...PER_MINUTE_SCALED, perInstance: 100 }, [LAYOUTS[0]]],
				]
			: [
					[PER_SECOND, LAYOUTS],
					[PER_MINUTE_SCALED, LAYOUTS],
				];
		const sandbox = await startSandbox(instanceNames(2), 10_000);
		const summaryRows: string[][] = [];
		let scaledSingle: PacingFigures[] = [];
		try {
			for (const [limitCase, layouts] of cases) {
				for (const layout of layouts) {
					const { rows, cells, runs } = await measureCase(
						context,
						sandbox,
						limitCase,
						layout,
						result,
					);
					result.rows.push(...rows);
					summaryRows.push(cells);
					if (
						limitCase.limit.duration === PER_MINUTE_SCALED.limit.duration &&
						layout === LAYOUTS[0]
					) {
						scaledSingle = runs.product;
					}
				}
			}
		} finally {
			await sandbox.stop();
		}
		const minute = await background;
		if (minute) {
			summaryRows.push(...minute.cells);
			result.diagnostics.realMinute = minute.figures;
			if (scaledSingle.length > 0) {
				result.notes.push(scalingNote(scaledSingle, minute.figures.product));
			}
		} else if (!context.isQuick) {
			result.notes.push('The unscaled 80 per minute run failed; see the run log.');
		}
		result.tables.push(await measureClaimDelay(context));
		result.tables.push({
			title: 'Pacing per layout, product / plain BullMQ (medians)',
			columns: [
				'Limit',
				'Layout',
				'Max in any window',
				'Sustained share',
				'Largest gap ms',
				'Gap target ms',
				'Over-full windows, start-up + later (all runs)',
			],
			rows: summaryRows,
		});
	},
};

async function measureCase(
	context: BenchContext,
	sandbox: SandboxGateway,
	limitCase: LimitCase,
	layout: Layout,
	result: BenchmarkResult,
): Promise<{ rows: ResultRow[]; cells: string[]; runs: Record<Implementation, PacingFigures[]> }> {
	const { limit } = limitCase;
	const runs: Record<Implementation, PacingFigures[]> = { product: [], raw: [] };
	const load: number[] = [];
	const timeoutMs = (limitCase.perInstance / limit.max) * limit.duration + 30_000;
	for (let index = 0; index < context.repetitions; index++) {
		load.push(loadNow());
		const order: Implementation[] = index % 2 === 0 ? ['product', 'raw'] : ['raw', 'product'];
		for (const implementation of order) {
			const run = await runDelivery(
				{
					implementation,
					instances: instanceNames(layout.instances),
					perInstance: limitCase.perInstance,
					processes: layout.processes,
					concurrency: 5,
					limit,
					timeoutMs,
				},
				context.redis,
				sandbox,
			);
			if (!run.isComplete) {
				throw new Error(
					`The ${implementation} run at ${limitCase.label}, ${layoutText(layout)} timed out.`,
				);
			}
			runs[implementation].push(figuresOf(run, limit));
			if (
				index === 0 &&
				layout.processes === 1 &&
				layout.instances === 1 &&
				limit.duration === 1000
			) {
				addWindowChart(result, implementation, run, limit);
			}
		}
		const last = (implementation: Implementation) =>
			runs[implementation][runs[implementation].length - 1];
		context.log(
			`  ${limitCase.label}, ${layoutText(layout)}: max in window ${last('product').maxInWindow}` +
				` / ${last('raw').maxInWindow}, gap ${Math.round(last('product').largestGapMs)}` +
				` / ${Math.round(last('raw').largestGapMs)} ms`,
		);
	}
	return {
		rows: toRows(limitCase, layout, runs, load),
		cells: toCells(limitCase.label, layout, runs),
		runs,
	};
}

function toRows(
	limitCase: LimitCase,
	layout: Layout,
	runs: Record<Implementation, PacingFigures[]>,
	load: number[],
): ResultRow[] {
	const { limit } = limitCase;
	const prefix = `${limitCase.label}, ${layoutText(layout)}`;
	const pick = (implementation: Implementation, field: keyof PacingFigures) =>
		summarize(runs[implementation].map((figures) => figures[field]));
	const windowText = limit.duration >= 1000 ? `${limit.duration / 1000} s` : `${limit.duration} ms`;
	const maxWindow = pick('product', 'maxInWindow');
	const share = pick('product', 'sustainedShare');
	const gap = pick('product', 'largestGapMs');
	const anchorLabel = 'plain BullMQ limiter';
	return [
		{
			label: `${prefix}: max sends in any ${windowText} window`,
			unit: '',
			digits: 0,
			product: maxWindow,
			anchor: pick('raw', 'maxInWindow'),
			anchorLabel,
			target: `≤ ${limit.max} in every run`,
			isMet: maxWindow.max <= limit.max,
			load,
		},
		{
			label: `${prefix}: sustained rate as a share of the limit`,
			unit: '',
			digits: 3,
			product: share,
			anchor: pick('raw', 'sustainedShare'),
			anchorLabel,
			target: '≥ 0.98',
			isMet: share.median >= 0.98,
			load,
		},
		{
			label: `${prefix}: largest gap between sends`,
			unit: 'ms',
			product: gap,
			anchor: pick('raw', 'largestGapMs'),
			anchorLabel,
			target: `≤ ${allowedGap(limit)} ms (spacing ${spacingMs(limit)} ms)`,
			isMet: gap.median <= allowedGap(limit),
			load,
		},
	];
}

/** Formats `value` with `digits` decimals, or `n/a` when a run measured nothing, such as no whole window. */
function fixedOrNone(value: number, digits: number): string {
	return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function toCells(
	label: string,
	layout: Layout,
	runs: Record<Implementation, PacingFigures[]>,
): string[] {
	const both = (field: keyof PacingFigures, digits: number) =>
		(['product', 'raw'] as const)
			.map((implementation) =>
				fixedOrNone(
					summarize(runs[implementation].map((figures) => figures[field])).median,
					digits,
				),
			)
			.join(' / ');
	return [
		label,
		layoutText(layout),
		both('maxInWindow', 0),
		both('sustainedShare', 3),
		both('largestGapMs', 0),
		String(runs.product[0]?.allowedGapMs ?? ''),
		(['product', 'raw'] as const)
			.map((implementation) => {
				const start = runs[implementation].reduce(
					(sum, figures) => sum + figures.overFullAtStart,
					0,
				);
				const later = runs[implementation].reduce((sum, figures) => sum + figures.overFullLater, 0);
				return `${start} + ${later}`;
			})
			.join(' / '),
	];
}

function addWindowChart(
	result: BenchmarkResult,
	implementation: Implementation,
	run: DeliveryRunResult,
	limit: Limit,
): void {
	let chart = result.charts.find((entry) => entry.file === 'rate-limit-window.svg');
	if (!chart) {
		chart = {
			file: 'rate-limit-window.svg',
			title: 'Sends in the trailing 1 s window at 80/s, one worker (first run)',
			xLabel: 'seconds since the first send',
			yLabel: 'sends in the last 1,000 ms',
			series: [],
			references: [{ name: 'limit 80', y: limit.max }],
		};
		result.charts.push(chart);
	}
	const times = run.allTimes;
	chart.series.push({
		name: implementation === 'product' ? 'product pacer' : 'plain BullMQ limiter',
		points: trailingWindowSeries(times, times[0], limit.duration, 10),
	});
}

/**
 * Runs 80 per 60 s once for the product and once for plain BullMQ, at the
 * same time, on a Redis and sandbox of their own. The load it adds is about
 * three sends per second, so it can run beside the other cases.
 */
async function startRealMinuteRun(): Promise<{
	cells: string[][];
	figures: Record<Implementation, PacingFigures>;
}> {
	const { limit, perInstance } = REAL_MINUTE;
	const redis = await BenchRedis.start();
	const sandbox = await startSandbox(['minute-product', 'minute-raw'], 1000);
	const workers: BenchProcess[] = [];
	try {
		await fillProduct(redis, ['minute-product'], perInstance);
		await fillRaw(redis, ['minute-raw'], perInstance);
		workers.push(
			await startProductWorker({
				REDIS_HOST: redis.host,
				REDIS_PORT: String(redis.port),
				QUEUE_PREFIX: PRODUCT_PREFIX,
				EVOLUTION_API_URL: sandbox.url,
				EVOLUTION_API_KEY: SANDBOX_API_KEY,
				RATE_LIMIT_MAX: String(limit.max),
				RATE_LIMIT_DURATION_MS: String(limit.duration),
			}),
			await startRawWorker({
				redisPort: redis.port,
				prefix: RAW_PREFIX,
				queueNames: ['minute-raw'],
				concurrency: 5,
				gatewayUrl: sandbox.url,
				apiKey: SANDBOX_API_KEY,
				limiter: limit,
			}),
		);
		await waitFor(() => sandbox.stats().received >= 2 * perInstance, {
			timeoutMs: (perInstance / limit.max) * limit.duration + 60_000,
			intervalMs: 200,
			description: 'the 80 per minute runs',
		});
		const timesOf = (instance: string) =>
			sandbox.received
				.filter((record) => record.instance === instance)
				.map((record) => record.time)
				.sort((a, b) => a - b);
		const figures = {
			product: measurePacing(timesOf('minute-product'), limit),
			raw: measurePacing(timesOf('minute-raw'), limit),
		};
		const cell = (field: keyof PacingFigures, digits: number) =>
			`${fixedOrNone(figures.product[field], digits)} / ${fixedOrNone(figures.raw[field], digits)}`;
		const cells = [
			[
				'80/min, unscaled, one run',
				'1 worker, 1 instance',
				cell('maxInWindow', 0),
				cell('sustainedShare', 3),
				cell('largestGapMs', 0),
				String(allowedGap(limit)),
				`${figures.product.overFullAtStart} + ${figures.product.overFullLater} / ` +
					`${figures.raw.overFullAtStart} + ${figures.raw.overFullLater}`,
			],
		];
		return { cells, figures };
	} finally {
		await stopAll(workers);
		await sandbox.stop();
		await redis.stop();
	}
}

/**
 * Measures how long after its slot was claimed each send reached the
 * gateway: one run of 80 sends at 80/s from freshly started workers. The
 * pacer records claim times (its sliding-window list in Redis holds the
 * last 80), so a delay that varies by more than the window guard lets more
 * than 80 sends arrive within one second.
 */
async function measureClaimDelay(context: BenchContext) {
	const keys = new QueueKeys(PRODUCT_PREFIX);
	const instance = instanceNames(1)[0];
	const sandbox = await startSandbox([instance], 1000);
	const rows: string[][] = [];
	try {
		for (const processes of context.isQuick ? [1] : [1, 4]) {
			const run = await runDelivery(
				{
					implementation: 'product',
					instances: [instance],
					perInstance: PER_SECOND.limit.max,
					processes,
					concurrency: 5,
					limit: PER_SECOND.limit,
					timeoutMs: 30_000,
				},
				context.redis,
				sandbox,
			);
			const client = context.redis.client();
			const claims = (await client.lrange(keys.sendWindow(instance), 0, -1))
				.map(Number)
				.sort((a, b) => a - b);
			client.disconnect();
			// The n-th claim and the n-th arrival are paired; sends keep their order closely enough.
			const delays = run.allTimes
				.slice(0, claims.length)
				.map((time, index) => time - claims[index]);
			const first = delays.slice(0, 10);
			const rest = delays.slice(10);
			rows.push([
				`${processes} worker${processes > 1 ? 's' : ''}`,
				`${median(first).toFixed(0)} / ${Math.max(...first).toFixed(0)}`,
				`${median(rest).toFixed(0)} / ${Math.max(...rest).toFixed(0)}`,
			]);
		}
	} finally {
		await sandbox.stop();
	}
	return {
		title:
			'Delay from slot claim to arrival at the gateway, 80/s, fresh workers (ms, median / max)',
		columns: ['Layout', 'First 10 sends', 'Later sends'],
		rows,
	};
}

/**
 * Compares the scaled minute (80 per 6 s, one worker) with the unscaled run
 * (80 per 60 s). It states how far the largest gap exceeds the even spacing,
 * in ms and as a share of the spacing, and the maximum in any window.
 */
function scalingNote(scaled: PacingFigures[], real: PacingFigures): string {
	const scaledSpacing = spacingMs(PER_MINUTE_SCALED.limit);
	const realSpacing = spacingMs(REAL_MINUTE.limit);
	const scaledGap = summarize(scaled.map((figures) => figures.largestGapMs)).median;
	const scaledMax = Math.max(...scaled.map((figures) => figures.maxInWindow));
	const scaledExcess = scaledGap - scaledSpacing;
	const realExcess = real.largestGapMs - realSpacing;
	const isStricter = scaledExcess / scaledSpacing >= realExcess / realSpacing;
	const measured =
		`Scaling check: at 80 per 6 s (spacing ${scaledSpacing} ms, one worker) the largest gap was ` +
		`${scaledGap.toFixed(0)} ms, ${scaledExcess.toFixed(0)} ms over the spacing, and at most ` +
		`${scaledMax} sends fell in any 6 s window. At 80 per 60 s (spacing ${realSpacing} ms) the ` +
		`largest gap was ${real.largestGapMs.toFixed(0)} ms, ${realExcess.toFixed(0)} ms over, and at ` +
		`most ${real.maxInWindow} sends fell in any 60 s window.`;
	// Lateness of timers and round trips adds fixed milliseconds, whatever the limit's duration.
	if (Math.abs(scaledExcess - realExcess) > 20) {
		return `${measured} The excess differs by more than 20 ms between the scales, so this run does not show that the scaling keeps the gaps.`;
	}
	return (
		`${measured} The excess is within 20 ms at both scales, so it comes from fixed lateness, ` +
		`not from the limit's duration. As a share of the spacing the 6 s run is ` +
		`${isStricter ? 'the stricter' : 'the less strict'} test of the two.`
	);
}
