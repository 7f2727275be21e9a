/** Latency the sandbox adds before each response. */

import { ConfigError } from '../shared/errors';
import type { SandboxLatency } from './types';

/** Returns the latency when valid. @throws ConfigError for negative, fractional or inverted values */
export function checkLatency(latency: SandboxLatency | undefined): SandboxLatency | undefined {
	const valid = (value: unknown): boolean =>
		typeof value === 'number' && Number.isInteger(value) && value >= 0;
	if (latency === undefined || valid(latency)) {
		return latency;
	}
	const range = latency as { minMs?: unknown; maxMs?: unknown };
	if (
		valid(range.minMs) &&
		valid(range.maxMs) &&
		(range.minMs as number) <= (range.maxMs as number)
	) {
		return latency;
	}
	throw new ConfigError(
		'latency',
		`Invalid latency ${JSON.stringify(latency)}. Use whole milliseconds of at least 0, or { minMs, maxMs } with minMs <= maxMs.`,
	);
}

/** Returns the wait for one request: the fixed value, or a uniform pick from the range. */
export function sampleLatency(latency: SandboxLatency | undefined): number {
	if (latency === undefined) {
		return 0;
	}
	if (typeof latency === 'number') {
		return latency;
	}
	return latency.minMs + Math.floor(Math.random() * (latency.maxMs - latency.minMs + 1));
}
