/**
 * Results of a benchmark: rows of measured figures with their anchor,
 * ratio and target, charts, and notes. Each benchmark's result is stored as
 * JSON in `bench/results/`, and docs/benchmarks.md is rendered from those
 * files.
 */

import { loadavg } from 'node:os';

import type { BenchRedis } from './redisServer';
import { summarize, type Summary } from './stats';

/** One measured figure of the product, with its anchor when it has one. */
export interface ResultRow {
	/** The measured figure, such as `addBulk, 100,000 messages`. */
	label: string;
	unit: string;
	/** Decimals shown for this figure; about three significant digits when absent. */
	digits?: number;
	product: Summary;
	/** The anchor measured back to back with the product, such as raw BullMQ. */
	anchor?: Summary;
	anchorLabel?: string;
	/** Product divided by anchor, per run pair. */
	ratio?: Summary;
	/** The goal in words, such as `ratio ≥ 1.0`. */
	target?: string;
	/** Whether the median meets the target; absent when there is no target. */
	isMet?: boolean;
	/** One-minute load average before each run. */
	load: number[];
}

/** A line chart rendered as SVG next to the results page. */
export interface ChartSpec {
	/** File name under docs/benchmarks/, such as `delivery-rate.svg`. */
	file: string;
	title: string;
	xLabel: string;
	yLabel: string;
	series: Array<{ name: string; points: Array<[number, number]> }>;
	/** Horizontal reference lines, such as a rate limit. */
	references?: Array<{ name: string; y: number }>;
}

/** A free-form table, for figures that have no anchor, such as scaling. */
export interface ResultTable {
	title: string;
	columns: string[];
	rows: string[][];
}

/** Everything one benchmark produced in one run of `npm run bench`. */
export interface BenchmarkResult {
	name: string;
	title: string;
	/** Method of the benchmark, in a few sentences. */
	method: string;
	isQuick: boolean;
	/** Commit the product was built from, from `describeSources`. */
	sources?: string;
	startedAt: string;
	durationMs: number;
	/** One-minute, five-minute and fifteen-minute load averages at start and end. */
	load: { start: number[]; end: number[] };
	rows: ResultRow[];
	tables: ResultTable[];
	charts: ChartSpec[];
	notes: string[];
	/** Measurements behind cause analysis: commands per message, CPU time and the like. */
	diagnostics: Record<string, unknown>;
}

/** Context the runner passes to a benchmark. */
export interface BenchContext {
	redis: BenchRedis;
	isQuick: boolean;
	/** Run pairs per figure: 3 in a full run, 1 with `--quick`. */
	repetitions: number;
	log(text: string): void;
}

/** A benchmark the runner can select by name. */
export interface Benchmark {
	name: string;
	title: string;
	method: string;
	run(context: BenchContext, result: BenchmarkResult): Promise<void>;
}

/** Returns the current one-minute load average, rounded to two decimals. */
export function loadNow(): number {
	return Math.round(loadavg()[0] * 100) / 100;
}

/** One run pair: the product's value and the anchor's. */
export interface RunPair {
	product: number;
	anchor?: number;
}

/**
 * Runs `measure` `repetitions` times and summarises the pairs. The order of
 * product and anchor inside a pair alternates through `productFirst`, so a
 * slow drift of the machine does not favour either.
 */
export async function repeatPairs(
	repetitions: number,
	measure: (productFirst: boolean, index: number) => Promise<RunPair>,
): Promise<{ product: Summary; anchor?: Summary; ratio?: Summary; load: number[] }> {
	const pairs: RunPair[] = [];
	const load: number[] = [];
	for (let index = 0; index < repetitions; index++) {
		load.push(loadNow());
		pairs.push(await measure(index % 2 === 0, index));
	}
	const product = summarize(pairs.map((pair) => pair.product));
	if (pairs.some((pair) => pair.anchor === undefined)) {
		return { product, load };
	}
	const anchor = summarize(pairs.map((pair) => pair.anchor ?? Number.NaN));
	const ratio = summarize(pairs.map((pair) => pair.product / (pair.anchor ?? Number.NaN)));
	return { product, anchor, ratio, load };
}
