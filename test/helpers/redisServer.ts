import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { getFreePort } from './ports';
import { waitFor } from './waitFor';

/** Options for a private redis-server. */
export interface RedisServerOptions {
	/** `requirepass` for the default user. */
	password?: string;
	/** Turn on the append-only file, so data survives a restart. */
	appendOnly?: boolean;
	/** Extra `--name value` arguments for redis-server. */
	extraArgs?: string[];
}

/**
 * A redis-server started for one test file on a free loopback port, with its
 * own data folder. Fault tests can stop and start it again on the same port.
 */
export class RedisServer {
	readonly host = '127.0.0.1';
	port = 0;
	private process?: ChildProcess;
	private readonly dir: string;

	constructor(private readonly options: RedisServerOptions = {}) {
		this.dir = mkdtempSync(join(tmpdir(), 'waq-redis-'));
	}

	/** Starts redis-server (on a new free port the first time) and waits until it answers PING. */
	async start(): Promise<void> {
		if (this.port === 0) {
			this.port = await getFreePort();
		}
		const args = [
			'--port', String(this.port),
			'--bind', '127.0.0.1',
			'--dir', this.dir,
			'--save', '',
			'--appendonly', this.options.appendOnly ? 'yes' : 'no',
			'--daemonize', 'no',
			'--loglevel', 'warning',
			'--maxmemory-policy', 'noeviction',
			...(this.options.password ? ['--requirepass', this.options.password] : []),
			...(this.options.extraArgs ?? []),
		];
		const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
		const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
		this.process = child;
		let stderr = '';
		child.stderr?.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const exited = new Promise<never>((_, reject) => {
			child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr}`)));
		});
		exited.catch(() => undefined);
		await Promise.race([
			waitFor(() => this.ping(), { timeoutMs: 10_000, description: `redis-server on port ${this.port}` }),
			exited,
		]);
	}

	/**
	 * Sends PING over a raw socket. A failed ioredis connect leaves its connect
	 * timer running for seconds, which Jest reports as an open handle.
	 */
	private async ping(): Promise<boolean> {
		// AUTH as a RESP array, so a password with spaces or quotes works.
		const password = this.options.password;
		const auth = password ? `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n` : '';
		return await new Promise((resolve) => {
			const socket = connect({ host: this.host, port: this.port });
			let reply = '';
			const finish = (ok: boolean) => {
				socket.destroy();
				resolve(ok);
			};
			socket.setTimeout(1000, () => finish(false));
			socket.on('error', () => finish(false));
			socket.on('connect', () => socket.write(`${auth}PING\r\n`));
			socket.on('data', (chunk) => {
				reply += chunk.toString();
				if (reply.includes('+PONG')) {
					finish(true);
				} else if (reply.includes('-')) {
					finish(false);
				}
			});
		});
	}

	/** Stops the server with SIGKILL, like a crash, and waits for the exit. */
	async kill(): Promise<void> {
		await this.stopWith('SIGKILL');
	}

	/** Stops the server with SIGTERM and waits for the exit. */
	async stop(): Promise<void> {
		await this.stopWith('SIGTERM');
	}

	private async stopWith(signal: NodeJS.Signals): Promise<void> {
		const child = this.process;
		if (!child || child.exitCode !== null || child.signalCode !== null) {
			return;
		}
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		child.kill(signal);
		await exited;
		this.process = undefined;
	}

	/** Stops the server and removes its data folder. */
	async dispose(): Promise<void> {
		await this.stop();
		rmSync(this.dir, { recursive: true, force: true });
	}

	/** A plain client for assertions; the caller closes it. */
	client(db = 0): Redis {
		return new Redis({ host: this.host, port: this.port, password: this.options.password, db });
	}

	/** Connection settings for the product's config objects. */
	get connection(): { host: string; port: number; password?: string } {
		return { host: this.host, port: this.port, password: this.options.password };
	}
}

/** Starts a private redis-server; pair with `await server.dispose()` in `afterAll`. */
export async function startRedisServer(options?: RedisServerOptions): Promise<RedisServer> {
	const server = new RedisServer(options);
	await server.start();
	return server;
}

/** A unique key prefix for one test, so tests sharing a server never meet. */
export function uniquePrefix(): string {
	return `t${Math.random().toString(36).slice(2, 10)}`;
}
