/**
 * Redis-side cost of a measured span: commands per message from INFO
 * commandstats, and the server's CPU time from INFO cpu. Commands that Lua
 * scripts run are counted in commandstats too, so `calls` of `evalsha` are
 * the scripts and the rest are direct commands plus commands inside scripts.
 */

import type { BenchRedis } from './redisServer';

/** Calls and server time of one command per message. */
export interface CommandCost {
	command: string;
	callsPerMessage: number;
	/** Server time of the command per message, in microseconds. */
	usecPerMessage: number;
}

/** Redis cost of a span, per message. */
export interface RedisCost {
	messages: number;
	/** Redis CPU time (user + system) per message, in microseconds. */
	cpuUsecPerMessage: number;
	/** Commands per message, with the costliest first. */
	commands: CommandCost[];
}

/** Reads the server's user plus system CPU time in microseconds. */
export async function redisCpuUsec(redis: BenchRedis): Promise<number> {
	const cpu = await redis.info('cpu');
	return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1e6;
}

/**
 * Returns commandstats divided by `messages`. Call `redis.flush()` (which
 * resets the statistics) before the span and this after it.
 */
export async function readRedisCost(
	redis: BenchRedis,
	messages: number,
	cpuStartUsec: number,
): Promise<RedisCost> {
	const stats = await redis.info('commandstats');
	const commands: CommandCost[] = [];
	for (const [key, value] of Object.entries(stats)) {
		if (!key.startsWith('cmdstat_')) {
			continue;
		}
		const fields = Object.fromEntries(value.split(',').map((pair) => pair.split('=')));
		const command = key.slice('cmdstat_'.length);
		if (['flushall', 'config', 'info', 'ping', 'client', 'select'].includes(command)) {
			continue;
		}
		commands.push({
			command,
			callsPerMessage: round(Number(fields.calls) / messages, 3),
			usecPerMessage: round(Number(fields.usec) / messages, 2),
		});
	}
	commands.sort((a, b) => b.usecPerMessage - a.usecPerMessage);
	const cpuEndUsec = await redisCpuUsec(redis);
	return {
		messages,
		cpuUsecPerMessage: round((cpuEndUsec - cpuStartUsec) / messages, 2),
		commands,
	};
}

function round(value: number, digits: number): number {
	const scale = 10 ** digits;
	return Math.round(value * scale) / scale;
}
