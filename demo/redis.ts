/**
 * The demo's Redis: the one named by REDIS_HOST and REDIS_PORT, or a private
 * redis-server on a free loopback port that the demo starts and stops.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

/** A Redis the demo can use, and how to let it go. */
export interface DemoRedis {
	host: string;
	port: number;
	password?: string;
	/** Whether the demo started this server itself. */
	isPrivate: boolean;
	stop(): Promise<void>;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
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

async function answersPing(host: string, port: number, password?: string): Promise<boolean> {
	const client = new Redis({ host, port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
	client.on('error', () => undefined);
	try {
		await client.connect();
		return (await client.ping()) === 'PONG';
	} catch {
		return false;
	} finally {
		client.disconnect();
	}
}

/** Explains how to get Redis when none is available. */
export const INSTALL_HINT = [
	'The demo needs Redis, and none was found.',
	'Install redis-server and run the demo again:',
	'  Debian or Ubuntu: sudo apt-get install redis-server',
	'  macOS with Homebrew: brew install redis',
	'Or point the demo at a running Redis with REDIS_HOST and REDIS_PORT (and REDIS_PASSWORD).',
].join('\n');

/** Finds or starts a Redis for the demo; resolves undefined when there is none. */
export async function provideRedis(env: NodeJS.ProcessEnv): Promise<DemoRedis | undefined> {
	if (env.REDIS_HOST || env.REDIS_PORT) {
		const host = env.REDIS_HOST || '127.0.0.1';
		const port = Number(env.REDIS_PORT || 6379);
		const password = env.REDIS_PASSWORD || undefined;
		if (!(await answersPing(host, port, password))) {
			throw new Error(`Redis at ${host}:${port} (from REDIS_HOST and REDIS_PORT) did not respond to PING.`);
		}
		return { host, port, password, isPrivate: false, stop: async () => undefined };
	}
	const binary = env.REDIS_SERVER_BIN || 'redis-server';
	if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).error) {
		return undefined;
	}
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'waq-demo-redis-'));
	const child: ChildProcess = spawn(
		binary,
		['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
		{ stdio: 'ignore' },
	);
	const deadline = Date.now() + 10_000;
	while (!(await answersPing('127.0.0.1', port))) {
		if (Date.now() > deadline || child.exitCode !== null) {
			child.kill('SIGKILL');
			throw new Error(`redis-server did not start on port ${port}.`);
		}
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return {
		host: '127.0.0.1',
		port,
		isPrivate: true,
		stop: async () => {
			if (child.exitCode === null) {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				child.kill('SIGTERM');
				await exited;
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
