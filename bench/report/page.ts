/**
 * Renders docs/benchmarks.md, and its charts under docs/benchmarks/, from
 * the result files in bench/results/. Benchmarks without a result file are
 * listed as not run.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { BENCHMARKS } from '../benchmarks';
import type { MachineDescription } from '../lib/machine';
import { REPO_ROOT } from '../lib/processes';
import type { BenchmarkResult, ResultRow, ResultTable } from '../lib/results';
import type { Summary } from '../lib/stats';
import { renderLineChart } from './svg';

const PAGE_FILE = join(REPO_ROOT, 'docs', 'benchmarks.md');
const CHART_DIR = join(REPO_ROOT, 'docs', 'benchmarks');

/** Record of the last invocation, stored as `run.json`. */
interface RunRecord {
	command: string;
	isQuick: boolean;
	benchmarks: string[];
	finishedAt: string;
	durationMs: number;
	machine: MachineDescription;
	sources?: string;
}

/** Formats a number with about three significant digits and thousands separators. */
export function formatNumber(value: number | null): string {
	if (value === null || !Number.isFinite(value)) {
		return 'n/a';
	}
	const magnitude = Math.abs(value);
	let digits = 3;
	if (magnitude >= 100) {
		digits = 0;
	} else if (magnitude >= 10) {
		digits = 1;
	} else if (magnitude >= 1) {
		digits = 2;
	}
	return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function formatSummary(summary: Summary | undefined, unit = '', digits?: number): string {
	if (!summary) {
		return '';
	}
	// JSON stores NaN as null.
	const format = (value: number | null) =>
		digits === undefined || value === null ? formatNumber(value) : value.toFixed(digits);
	const suffix = unit ? ` ${unit}` : '';
	if (summary.runs.length === 1) {
		return `${format(summary.median)}${suffix}`;
	}
	return `${format(summary.median)}${suffix} (${format(summary.min)}–${format(summary.max)})`;
}

function formatRatio(summary: Summary | undefined): string {
	if (!summary) {
		return '';
	}
	const fixed = (value: number | null) => (value === null ? 'n/a' : value.toFixed(2));
	if (summary.runs.length === 1) {
		return fixed(summary.median);
	}
	return `${fixed(summary.median)} (${fixed(summary.min)}–${fixed(summary.max)})`;
}

function metText(row: ResultRow): string {
	if (row.isMet === undefined) {
		return '';
	}
	return row.isMet ? 'met' : '**missed**';
}

function escapeCell(text: string): string {
	return text.replace(/\|/g, '\\|');
}

function markdownTable(columns: string[], rows: string[][]): string[] {
	return [
		`| ${columns.join(' | ')} |`,
		`| ${columns.map(() => '---').join(' | ')} |`,
		...rows.map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`),
	];
}

function rowsTable(rows: ResultRow[]): string[] {
	return markdownTable(
		['Figure', 'Product', 'Anchor', 'Ratio', 'Target', 'Result', 'Load'],
		rows.map((row) => [
			row.label,
			formatSummary(row.product, row.unit, row.digits),
			row.anchor
				? `${formatSummary(row.anchor, row.unit, row.digits)}, ${row.anchorLabel ?? ''}`
				: '',
			formatRatio(row.ratio),
			row.target ?? '',
			metText(row),
			row.load.map((value) => value.toFixed(2)).join(', '),
		]),
	);
}

function extraTable(table: ResultTable): string[] {
	return [`**${table.title}**`, '', ...markdownTable(table.columns, table.rows)];
}

function readResult(name: string, dir: string): BenchmarkResult | undefined {
	const file = join(dir, `${name}.json`);
	return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchmarkResult) : undefined;
}

function describeRun(run: RunRecord): string {
	return (
		`\`${run.command}\` on commit ${run.sources ?? 'unknown'}, finished ${run.finishedAt}, ` +
		`took ${(run.durationMs / 60_000).toFixed(1)} min without the build` +
		`${run.isQuick ? ' (quick smoke run: one run per figure, smaller counts)' : ''}`
	);
}

function machineLines(run: RunRecord | undefined, fullRun: RunRecord | undefined): string[] {
	if (!run) {
		return ['No run record yet; run `npm run bench`.'];
	}
	const m = run.machine;
	const lines = [
		...markdownTable(
			['CPU', 'Cores', 'Memory', 'OS', 'Node', 'Redis', 'BullMQ', 'ioredis'],
			[[m.cpu, String(m.cores), `${m.memoryGiB} GiB`, m.os, m.node, m.redis, m.bullmq, m.ioredis]],
		),
		'',
	];
	if (fullRun && fullRun.finishedAt !== run.finishedAt) {
		lines.push(`Last full run: ${describeRun(fullRun)}.`, '');
	}
	lines.push(
		`Last command: ${describeRun(run)}. Each section below gives the time of its own run.`,
	);
	return lines;
}

function benchmarkSection(result: BenchmarkResult): string[] {
	// The wording comes from the current code, so edits to a method text show without a rerun.
	const method = BENCHMARKS.find((benchmark) => benchmark.name === result.name)?.method;
	const lines = [`## ${result.title}`, '', method ?? result.method, ''];
	lines.push(
		`Run ${result.startedAt}${result.isQuick ? ' (quick)' : ''} on commit ` +
			`${result.sources ?? 'unknown'}, ` +
			`${(result.durationMs / 1000).toFixed(0)} s. Load average at start ` +
			`${result.load.start.join(', ')}, at end ${result.load.end.join(', ')} (1, 5 and 15 min).`,
		'',
	);
	if (result.rows.length > 0) {
		lines.push(...rowsTable(result.rows), '');
	}
	for (const table of result.tables) {
		lines.push(...extraTable(table), '');
	}
	for (const chart of result.charts) {
		writeFileSync(join(CHART_DIR, chart.file), renderLineChart(chart));
		lines.push(`![${chart.title}](benchmarks/${chart.file})`, '');
	}
	for (const note of result.notes) {
		lines.push(`- ${note}`);
	}
	if (result.notes.length > 0) {
		lines.push('');
	}
	return lines;
}

function medianText(summary: Summary | undefined, row: ResultRow): string {
	if (!summary) {
		return '';
	}
	const value =
		row.digits === undefined || summary.median === null
			? formatNumber(summary.median)
			: summary.median.toFixed(row.digits);
	return row.unit ? `${value} ${row.unit}` : value;
}

function summaryTable(results: BenchmarkResult[]): string[] {
	const rows = results.flatMap((result) =>
		result.rows
			.filter((row) => row.target !== undefined)
			.map((row) => [
				result.title,
				row.label,
				medianText(row.product, row),
				medianText(row.anchor, row),
				row.ratio && row.ratio.median !== null ? row.ratio.median.toFixed(2) : '',
				row.target ?? '',
				metText(row),
			]),
	);
	return markdownTable(
		['Benchmark', 'Figure', 'Product', 'Anchor', 'Ratio', 'Target', 'Result'],
		rows,
	);
}

/** Writes docs/benchmarks.md and its charts from `resultsDir`; returns the page path. */
export function renderResultsPage(resultsDir: string): string {
	mkdirSync(CHART_DIR, { recursive: true });
	const readRun = (file: string) =>
		existsSync(join(resultsDir, file))
			? (JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as RunRecord)
			: undefined;
	const run = readRun('run.json');
	const fullRun = readRun('full-run.json');
	const results = BENCHMARKS.map((benchmark) => readResult(benchmark.name, resultsDir));
	const present = results.filter((result): result is BenchmarkResult => result !== undefined);
	const missing = BENCHMARKS.filter((_, index) => results[index] === undefined);

	const lines = [
		'# Benchmarks',
		'',
		'Measured throughput, pacing accuracy, latency and memory of the queue, each beside the tool a ' +
			'user would otherwise use, run back to back against the same private `redis-server` ' +
			'(started on a free loopback port with `--save "" --appendonly no`). The page is generated ' +
			'by `npm run bench` from `bench/results/`; do not edit it by hand.',
		'',
		'Each figure is the median of the run pairs, with the range in brackets. A ratio is product ' +
			'divided by anchor within one pair, so it varies less than either figure on a busy ' +
			'machine. The order inside a pair alternates. The Load column gives the one-minute load ' +
			'average before each run, because other processes on the machine change the figures. ' +
			'Targets are design goals, not guarantees.',
		'',
		'## Machine and command',
		'',
		...machineLines(run, fullRun),
		'',
		'Run one benchmark with `npm run bench -- <name>`, or a smoke run with `npm run bench -- --quick`. ' +
			`Benchmarks: ${BENCHMARKS.map((benchmark) => `\`${benchmark.name}\``).join(', ')}.`,
		'',
		'## Targets',
		'',
		...summaryTable(present),
		'',
	];
	for (const result of present) {
		lines.push(...benchmarkSection(result));
	}
	if (missing.length > 0) {
		lines.push(`Not run yet: ${missing.map((benchmark) => benchmark.name).join(', ')}.`, '');
	}
	mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
	writeFileSync(PAGE_FILE, `${lines.join('\n').trimEnd()}\n`);
	return PAGE_FILE;
}
