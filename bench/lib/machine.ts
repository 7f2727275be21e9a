/** A description of the machine and software versions behind a run. */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from './processes';

/** Hardware and versions of one run of the benchmarks. */
export interface MachineDescription {
	cpu: string;
	cores: number;
	memoryGiB: number;
	os: string;
	node: string;
	redis: string;
	bullmq: string;
	ioredis: string;
}

function packageVersion(name: string): string {
	const file = join(REPO_ROOT, 'node_modules', name, 'package.json');
	return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function redisVersion(): string {
	const output = spawnSync(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--version'], {
		encoding: 'utf8',
	});
	return /v=(\S+)/.exec(output.stdout ?? '')?.[1] ?? 'unknown';
}

/**
 * Returns the commit the product was built from, with `+ changes` when
 * shared/, worker/ or sandbox/ differ from it. Outside a git checkout, such
 * as a tree unpacked from `git archive`, it returns `BENCH_SOURCES` or
 * `unknown`.
 */
export function describeSources(): string {
	const git = (args: string[]) =>
		spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
	const commit = git(['rev-parse', '--short', 'HEAD']);
	if (!commit) {
		return process.env.BENCH_SOURCES ?? 'unknown';
	}
	const changed = git(['status', '--porcelain', '--', 'shared', 'worker', 'sandbox']);
	return changed ? `${commit} + changes` : commit;
}

/** Describes this machine and the versions of Node, Redis, BullMQ and ioredis. */
export function describeMachine(): MachineDescription {
	const processors = cpus();
	return {
		cpu: processors[0]?.model.trim() ?? 'unknown',
		cores: processors.length,
		memoryGiB: Math.round(totalmem() / 2 ** 30),
		os: `${type()} ${release()}`,
		node: process.version,
		redis: redisVersion(),
		bullmq: packageVersion('bullmq'),
		ioredis: packageVersion('ioredis'),
	};
}
