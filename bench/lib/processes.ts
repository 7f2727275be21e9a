/**
 * Worker processes of the benchmarks: the product's worker
 * (`dist/worker/main.js`) and a plain BullMQ worker (`rawWorker.js`), each
 * in its own Node process, plus readings of their memory and CPU time.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { findFreePort } from './redisServer';
import { waitFor } from './timing';

/** Repository root: this file runs from `dist/bench/bench/lib`. */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * Compiled entry of the product's worker. `npm run bench` compiles the worker
 * into dist/bench with the benchmarks, so a run uses one snapshot of the
 * sources even when another build rewrites dist/worker meanwhile.
 */
export const PRODUCT_WORKER_MAIN = join(__dirname, '..', '..', 'worker', 'main.js');

/** Compiled entry of the plain BullMQ worker used as the anchor. */
export const RAW_WORKER_MAIN = join(__dirname, '..', 'rawWorker.js');

/** Memory page size assumed by `/proc/<pid>/statm` readings. */
const PAGE_BYTES = 4096;

/** Clock ticks per second of `/proc/<pid>/stat` times; 100 on Linux. */
const CLOCK_TICKS = 100;

/** Returns the resident memory of a process in bytes, from `/proc/<pid>/statm`. */
export function residentBytes(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').trim().split(/\s+/);
	return Number(fields[1]) * PAGE_BYTES;
}

/** Returns the user plus system CPU time of a process in ms, from `/proc/<pid>/stat`. */
export function cpuTimeMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name, which is in brackets and may hold spaces.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const ticks = Number(fields[11]) + Number(fields[12]);
	return (ticks * 1000) / CLOCK_TICKS;
}

/** A benchmark child process with its output kept for error messages. */
export class BenchProcess {
	private output = '';
	readonly exited: Promise<number | null>;

	constructor(
		readonly label: string,
		private readonly child: ChildProcess,
	) {
		const keep = (chunk: Buffer) => {
			this.output = (this.output + chunk.toString()).slice(-4000);
		};
		child.stdout?.on('data', keep);
		child.stderr?.on('data', keep);
		this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
	}

	get pid(): number {
		return this.child.pid ?? 0;
	}

	get isRunning(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	/** The last 4,000 characters the process wrote. */
	get recentOutput(): string {
		return this.output;
	}

	/** Sends SIGTERM and waits for the exit; SIGKILL after `timeoutMs`. */
	async stop(timeoutMs = 10_000): Promise<void> {
		if (!this.isRunning) {
			return;
		}
		this.child.kill('SIGTERM');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
		await this.exited;
		clearTimeout(timer);
	}
}

/**
 * Node flags of worker processes. With `BENCH_PROFILE_DIR` set, each worker
 * writes a V8 CPU profile into that folder when it exits.
 */
function nodeFlags(): string[] {
	const dir = process.env.BENCH_PROFILE_DIR;
	return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

function spawnNode(label: string, main: string, env: Record<string, string>): BenchProcess {
	const child = spawn(process.execPath, [...nodeFlags(), main], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return new BenchProcess(label, child);
}

/** Settings of the product's worker, as environment variables of `worker/config.ts`. */
export type ProductWorkerEnv = Record<string, string>;

/**
 * Starts `node dist/worker/main.js` and resolves once `GET /health` returns
 * 200, which means the delivery worker runs and Redis is connected.
 */
export async function startProductWorker(env: ProductWorkerEnv): Promise<BenchProcess> {
	const httpPort = await findFreePort();
	const worker = spawnNode('product worker', PRODUCT_WORKER_MAIN, {
		LOG_LEVEL: 'warn',
		ANALYTICS_ENABLED: 'false',
		HTTP_HOST: '127.0.0.1',
		HTTP_PORT: String(httpPort),
		SHUTDOWN_TIMEOUT_MS: '5000',
		...env,
	});
	await waitFor(
		async () => {
			if (!worker.isRunning) {
				throw new Error(`The product worker exited during start-up: ${worker.recentOutput}`);
			}
			try {
				const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
				await response.arrayBuffer();
				return response.status === 200;
			} catch {
				return false;
			}
		},
		{ timeoutMs: 20_000, intervalMs: 25, description: 'the product worker to report healthy' },
	);
	return worker;
}

/** Settings of the plain BullMQ worker; see `rawWorker.ts`. */
export interface RawWorkerSettings {
	redisPort: number;
	prefix: string;
	queueNames: string[];
	concurrency: number;
	gatewayUrl: string;
	apiKey: string;
	/** BullMQ's `limiter`; no limiter when absent. */
	limiter?: { max: number; duration: number };
}

/** Starts the plain BullMQ worker and resolves once its workers are connected. */
export async function startRawWorker(settings: RawWorkerSettings): Promise<BenchProcess> {
	const worker = spawnNode('raw BullMQ worker', RAW_WORKER_MAIN, {
		BENCH_SETTINGS: JSON.stringify(settings),
	});
	await waitFor(
		() => {
			if (!worker.isRunning) {
				throw new Error(`The raw BullMQ worker exited during start-up: ${worker.recentOutput}`);
			}
			return worker.recentOutput.includes('ready');
		},
		{ timeoutMs: 20_000, intervalMs: 25, description: 'the raw BullMQ worker to be ready' },
	);
	return worker;
}

/** Stops every process in `processes` in parallel. */
export async function stopAll(processes: readonly BenchProcess[]): Promise<void> {
	await Promise.all(processes.map((process) => process.stop()));
}
