import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { waitFor } from './waitFor';

/** Compiled worker entry; `npm test` builds it first. */
export const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/** One parsed JSON log line of the worker. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A worker started as a child process, with its output collected. */
export class WorkerProcess {
	readonly lines: LogLine[] = [];
	stdout = '';
	stderr = '';
	readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	private readonly child: ChildProcess;

	constructor(env: Record<string, string>, args: string[] = []) {
		this.child = spawn(process.execPath, [WORKER_MAIN, ...args], {
			env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let pending = '';
		this.child.stdout?.on('data', (chunk: Buffer) => {
			this.stdout += chunk.toString();
			pending += chunk.toString();
			const parts = pending.split('\n');
			pending = parts.pop() ?? '';
			for (const part of parts) {
				try {
					this.lines.push(JSON.parse(part) as LogLine);
				} catch {
					this.lines.push({ msg: part, level: 'raw' });
				}
			}
		});
		this.child.stderr?.on('data', (chunk: Buffer) => {
			this.stderr += chunk.toString();
		});
		this.exited = new Promise((resolve) => {
			this.child.once('exit', (code, signal) => resolve({ code, signal }));
		});
	}

	get pid(): number {
		return this.child.pid ?? 0;
	}

	/** Resolves once a log line with this message was written. */
	async waitForLog(message: string, timeoutMs = 10_000): Promise<LogLine> {
		return await waitFor(() => this.lines.find((line) => line.msg === message), {
			timeoutMs,
			description: `log line "${message}"; stderr: ${this.stderr.slice(-500)}`,
		});
	}

	/** Sends a signal to this process only. */
	signal(signal: NodeJS.Signals): void {
		if (this.child.exitCode === null && this.child.signalCode === null) {
			this.child.kill(signal);
		}
	}

	/** Stops the process with SIGKILL if it is still running. */
	async dispose(): Promise<void> {
		this.signal('SIGKILL');
		await this.exited;
	}
}

/** Starts a worker process and waits until it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
	const worker = new WorkerProcess(env);
	await worker.waitForLog('Delivery worker ready.');
	return worker;
}
