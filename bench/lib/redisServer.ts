/**
 * A private redis-server for one benchmark: a free loopback port, no
 * persistence, and its own data folder, so no other process touches it.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { sleep } from './timing';

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function findFreePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** Fields of one INFO section, as strings. */
export type InfoFields = Record<string, string>;

/** Parses the text of `INFO <section>` into fields. */
export function parseInfo(text: string): InfoFields {
	const fields: InfoFields = {};
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon > 0 && !line.startsWith('#')) {
			fields[line.slice(0, colon)] = line.slice(colon + 1);
		}
	}
	return fields;
}

/** A running private redis-server. */
export class BenchRedis {
	readonly host = '127.0.0.1';
	private child?: ChildProcess;
	private readonly dir = mkdtempSync(join(tmpdir(), 'waq-bench-redis-'));
	private admin?: Redis;

	private constructor(readonly port: number) {}

	/** Starts redis-server on a free port and waits until it accepts commands. */
	static async start(): Promise<BenchRedis> {
		const server = new BenchRedis(await findFreePort());
		await server.launch();
		return server;
	}

	private async launch(): Promise<void> {
		const args = [
			'--port',
			String(this.port),
			'--bind',
			'127.0.0.1',
			'--dir',
			this.dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--loglevel',
			'warning',
			'--maxmemory-policy',
			'noeviction',
		];
		const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
		this.child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
		let stderr = '';
		this.child.stderr?.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const deadline = Date.now() + 10_000;
		for (;;) {
			if (this.child.exitCode !== null) {
				throw new Error(`redis-server exited with code ${this.child.exitCode}: ${stderr}`);
			}
			const client = this.client();
			client.on('error', () => undefined);
			try {
				await client.ping();
				this.admin = client;
				return;
			} catch (error) {
				client.disconnect();
				if (Date.now() > deadline) {
					throw new Error(`redis-server on port ${this.port} did not reply to PING within 10 s.`, {
						cause: error,
					});
				}
				await sleep(50);
			}
		}
	}

	/** The pid of the server, for CPU and memory readings. */
	get pid(): number {
		return this.child?.pid ?? 0;
	}

	/** Connection settings for the product's and BullMQ's options. */
	get connection(): { host: string; port: number } {
		return { host: this.host, port: this.port };
	}

	/** Creates a client that does not reconnect; the caller closes it. */
	client(db = 0): Redis {
		return new Redis({
			host: this.host,
			port: this.port,
			db,
			lazyConnect: false,
			maxRetriesPerRequest: null,
			retryStrategy: () => null,
		});
	}

	private get adminClient(): Redis {
		if (!this.admin) {
			throw new Error('The benchmark Redis is not started.');
		}
		return this.admin;
	}

	/** Removes every key of every database and resets the command statistics. */
	async flush(): Promise<void> {
		await this.adminClient.flushall();
		await this.resetStats();
	}

	/** Resets INFO commandstats and the other counters of `CONFIG RESETSTAT`. */
	async resetStats(): Promise<void> {
		await this.adminClient.config('RESETSTAT');
	}

	/** Returns the fields of one INFO section, such as `memory` or `commandstats`. */
	async info(section: string): Promise<InfoFields> {
		return parseInfo(await this.adminClient.info(section));
	}

	/** Returns `MEMORY USAGE key SAMPLES 0`, or 0 for a missing key. */
	async memoryUsage(key: string): Promise<number> {
		const bytes = await this.adminClient.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
		return typeof bytes === 'number' ? bytes : 0;
	}

	/** Lists keys matching `pattern` with SCAN; for small benchmark databases only. */
	async scanKeys(pattern: string): Promise<string[]> {
		const keys: string[] = [];
		let cursor = '0';
		do {
			const [next, batch] = await this.adminClient.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
			keys.push(...batch);
			cursor = next;
		} while (cursor !== '0');
		return keys;
	}

	/** Stops the server with SIGTERM, waits for the exit and removes the data folder. */
	async stop(): Promise<void> {
		this.admin?.disconnect();
		const child = this.child;
		if (child && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.kill('SIGTERM');
			await exited;
		}
		rmSync(this.dir, { recursive: true, force: true });
	}
}
