/**
 * Entry of `npm run bench`: runs every benchmark, or the one named as the
 * first argument, each against its own private redis-server, stores the
 * results as JSON in bench/results/ and renders docs/benchmarks.md from
 * every stored result.
 *
 *   npm run bench                  every benchmark, 3 run pairs per figure
 *   npm run bench -- enqueue       one benchmark
 *   npm run bench -- --quick       a smoke run: 1 run pair, smaller counts
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import { BENCHMARKS } from './benchmarks';
import { describeMachine, describeSources } from './lib/machine';
import { REPO_ROOT } from './lib/processes';
import { BenchRedis } from './lib/redisServer';
import { loadNow, type Benchmark, type BenchmarkResult } from './lib/results';
import { renderResultsPage } from './report/page';

/** Folder of the result JSON files; git ignores it. */
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

interface CliOptions {
	isQuick: boolean;
	selected: Benchmark[];
}

function parseArguments(argv: string[]): CliOptions {
	const isQuick = argv.includes('--quick');
	const names = argv.filter((arg) => !arg.startsWith('--'));
	const unknownFlag = argv.find((arg) => arg.startsWith('--') && arg !== '--quick');
	if (unknownFlag) {
		throw new Error(`Unknown option "${unknownFlag}". Use --quick or a benchmark name.`);
	}
	const known = BENCHMARKS.map((benchmark) => benchmark.name);
	const unknownName = names.find((name) => !known.includes(name));
	if (unknownName) {
		throw new Error(`Unknown benchmark "${unknownName}". Use one of: ${known.join(', ')}.`);
	}
	const selected =
		names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
	return { isQuick, selected };
}

function log(text: string): void {
	process.stdout.write(`${text}\n`);
}

async function runOne(
	benchmark: Benchmark,
	isQuick: boolean,
	sources: string,
): Promise<BenchmarkResult> {
	const result: BenchmarkResult = {
		name: benchmark.name,
		title: benchmark.title,
		method: benchmark.method,
		isQuick,
		sources,
		startedAt: new Date().toISOString(),
		durationMs: 0,
		load: { start: loadavg().map(round2), end: [] },
		rows: [],
		tables: [],
		charts: [],
		notes: [],
		diagnostics: {},
	};
	const started = Date.now();
	const redis = await BenchRedis.start();
	try {
		await benchmark.run({ redis, isQuick, repetitions: isQuick ? 1 : 3, log }, result);
	} finally {
		await redis.stop();
	}
	result.durationMs = Date.now() - started;
	result.load.end = loadavg().map(round2);
	return result;
}

function round2(value: number): number {
	return Math.round(value * 100) / 100;
}

async function main(): Promise<void> {
	// Read as the run starts, right after `npm run bench` compiled the sources.
	const sources = describeSources();
	const options = parseArguments(process.argv.slice(2));
	mkdirSync(RESULTS_DIR, { recursive: true });
	const started = Date.now();
	const args = process.argv.slice(2);
	const command = args.length > 0 ? `npm run bench -- ${args.join(' ')}` : 'npm run bench';
	log(
		`Benchmarks: ${options.selected.map((b) => b.name).join(', ')}${options.isQuick ? ' (quick)' : ''}; load ${loadNow()}`,
	);

	const failed: string[] = [];
	for (const benchmark of options.selected) {
		log(`\n${benchmark.title} (${benchmark.name})`);
		try {
			const result = await runOne(benchmark, options.isQuick, sources);
			writeFileSync(
				join(RESULTS_DIR, `${benchmark.name}.json`),
				`${JSON.stringify(result, null, '\t')}\n`,
			);
			log(`  done in ${(result.durationMs / 1000).toFixed(1)} s`);
		} catch (error) {
			// One failed benchmark keeps its previous result file; the others still run.
			failed.push(benchmark.name);
			log(`  failed: ${(error as Error).stack ?? String(error)}`);
		}
	}

	const totalMs = Date.now() - started;
	const run = {
		command,
		isQuick: options.isQuick,
		benchmarks: options.selected.map((b) => b.name),
		finishedAt: new Date().toISOString(),
		durationMs: totalMs,
		machine: describeMachine(),
		sources,
	};
	const record = `${JSON.stringify(run, null, '\t')}\n`;
	writeFileSync(join(RESULTS_DIR, 'run.json'), record);
	if (!options.isQuick && options.selected.length === BENCHMARKS.length) {
		writeFileSync(join(RESULTS_DIR, 'full-run.json'), record);
	}
	const page = renderResultsPage(RESULTS_DIR);
	log(`\nAll done in ${(totalMs / 1000).toFixed(1)} s. Results page: ${page}`);
	if (failed.length > 0) {
		log(`Failed: ${failed.join(', ')}.`);
		process.exitCode = 1;
	}
}

main().catch((error: Error) => {
	process.stderr.write(`${error.stack ?? error.message}\n`);
	process.exitCode = 1;
});
