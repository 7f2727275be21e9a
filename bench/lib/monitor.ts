/**
 * Counts the commands clients send to Redis during a span with MONITOR,
 * apart from the commands that Lua scripts run. MONITOR slows Redis down,
 * so it only runs on small samples outside timed spans.
 */

import type { BenchRedis } from './redisServer';
import { sleep } from './timing';

/** Commands seen during a span, by name. */
export interface CommandCounts {
	/** Commands sent by clients, scripts counted once as EVALSHA or EVAL. */
	client: Record<string, number>;
	/** Commands run inside Lua scripts. */
	script: Record<string, number>;
}

/** Runs `body` while MONITOR records, and returns the commands seen. */
export async function monitorCommands(
	redis: BenchRedis,
	body: () => Promise<void>,
	ignore: (command: string, args: string[]) => boolean = () => false,
): Promise<CommandCounts> {
	const counts: CommandCounts = { client: {}, script: {} };
	const monitor = await redis.client().monitor();
	monitor.on('monitor', (_time: string, args: string[], source: string) => {
		const command = String(args[0]).toLowerCase();
		if (ignore(command, args)) {
			return;
		}
		const bucket = source.startsWith('lua') ? counts.script : counts.client;
		bucket[command] = (bucket[command] ?? 0) + 1;
	});
	try {
		await sleep(50);
		await body();
		await sleep(100);
	} finally {
		monitor.disconnect();
	}
	return counts;
}

/** Divides every count by `messages`, rounded to two decimals. */
export function perMessage(
	counts: Record<string, number>,
	messages: number,
): Record<string, number> {
	return Object.fromEntries(
		Object.entries(counts)
			.sort(([, a], [, b]) => b - a)
			.map(([command, count]) => [command, Math.round((count / messages) * 100) / 100]),
	);
}

/** Sums the counts. */
export function total(counts: Record<string, number>): number {
	return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
