/**
 * Strict parsing of environment variables. Numbers must be whole strings of
 * digits (`"10abc"` is invalid, not 10), and every error names the variable.
 */

import { readFileSync } from 'node:fs';

import { ConfigError } from './errors';
import type { QueueManagerConfig } from './config';
import type { RedisConnectionConfig } from './redis/connection';

/** The environment to read; `process.env` by default. */
export type Environment = Record<string, string | undefined>;

/** Returns the trimmed value, or undefined when the variable is unset or empty. */
export function readString(env: Environment, name: string): string | undefined {
	const value = env[name]?.trim();
	return value ? value : undefined;
}

/** Reads an integer within `[min, max]`, or returns undefined when unset. */
export function readInteger(
	env: Environment,
	name: string,
	range: { min: number; max?: number },
): number | undefined {
	const raw = readString(env, name);
	if (raw === undefined) {
		return undefined;
	}
	const max = range.max ?? Number.MAX_SAFE_INTEGER;
	if (!/^-?\d+$/.test(raw) || Number(raw) < range.min || Number(raw) > max) {
		const upper = range.max === undefined ? '' : ` to ${range.max}`;
		throw new ConfigError(name, `Invalid ${name} "${raw}". Use a whole number from ${range.min}${upper}.`);
	}
	return Number(raw);
}

/** Reads a decimal number within `[min, max]`, or returns undefined when unset. */
export function readNumber(
	env: Environment,
	name: string,
	range: { min: number; max?: number },
): number | undefined {
	const raw = readString(env, name);
	if (raw === undefined) {
		return undefined;
	}
	const value = Number(raw);
	const max = range.max ?? Number.MAX_VALUE;
	if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw) || value < range.min || value > max) {
		const upper = range.max === undefined ? '' : ` to ${range.max}`;
		throw new ConfigError(name, `Invalid ${name} "${raw}". Use a number from ${range.min}${upper}.`);
	}
	return value;
}

/** Reads `true`/`false` (also `1`/`0`, `yes`/`no`), or returns undefined when unset. */
export function readBoolean(env: Environment, name: string): boolean | undefined {
	const raw = readString(env, name)?.toLowerCase();
	if (raw === undefined) {
		return undefined;
	}
	if (['true', '1', 'yes', 'on'].includes(raw)) {
		return true;
	}
	if (['false', '0', 'no', 'off'].includes(raw)) {
		return false;
	}
	throw new ConfigError(name, `Invalid ${name} "${raw}". Use true or false.`);
}

/** Reads a comma-separated list, dropping empty entries. */
export function readList(env: Environment, name: string): string[] | undefined {
	const raw = readString(env, name);
	if (raw === undefined) {
		return undefined;
	}
	return raw
		.split(',')
		.map((entry) => entry.trim())
		.filter((entry) => entry.length > 0);
}

/**
 * Reads the Redis connection from `REDIS_URL`, or from `REDIS_HOST`,
 * `REDIS_PORT`, `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_TLS` and
 * `REDIS_TLS_CA` (a PEM file path or the PEM text). Separate variables override
 * the URL's parts. `dbVariable` names the database variable, such as `REDIS_DB`.
 */
export function readRedisEnv(env: Environment, dbVariable: string): RedisConnectionConfig {
	const config: RedisConnectionConfig = {
		url: readString(env, 'REDIS_URL'),
		host: readString(env, 'REDIS_HOST'),
		port: readInteger(env, 'REDIS_PORT', { min: 1, max: 65535 }),
		username: readString(env, 'REDIS_USERNAME'),
		// The password is taken as is: surrounding spaces may be part of it.
		password: env.REDIS_PASSWORD ? env.REDIS_PASSWORD : undefined,
		db: readInteger(env, dbVariable, { min: 0, max: 15 }),
	};
	const tls = readBoolean(env, 'REDIS_TLS');
	const ca = readString(env, 'REDIS_TLS_CA');
	if (tls || ca) {
		config.tls = {
			ca: ca ? readPem(ca) : undefined,
			rejectUnauthorized: readBoolean(env, 'REDIS_TLS_REJECT_UNAUTHORIZED') ?? true,
		};
	} else if (tls === false) {
		config.tls = false;
	}
	return config;
}

function readPem(value: string): string {
	if (value.includes('-----BEGIN')) {
		return value.replace(/\\n/g, '\n');
	}
	try {
		return readFileSync(value, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
		throw new ConfigError('REDIS_TLS_CA', `Cannot read REDIS_TLS_CA file "${value}" (${code}). Give a PEM file path or the PEM text.`);
	}
}

/**
 * Reads the queue settings that producers and workers share: `REDIS_*` with
 * `REDIS_DB`, `QUEUE_PREFIX`, `RATE_LIMIT_MAX`, `RATE_LIMIT_DURATION_MS`,
 * `RATE_LIMIT_JITTER`, `WORKER_CONCURRENCY`, `RETRY_ATTEMPTS`,
 * `RETRY_BACKOFF_TYPE`, `RETRY_BACKOFF_DELAY_MS`, `RETRY_MAX_RATE_LIMITED`,
 * `TEXT_POLICY`, `KEEP_COMPLETED_SECONDS` and `KEEP_FAILED_SECONDS`. Unset
 * variables keep the documented defaults.
 */
export function readQueueEnv(env: Environment): QueueManagerConfig {
	const config: QueueManagerConfig = {
		redis: readRedisEnv(env, 'REDIS_DB'),
		prefix: readString(env, 'QUEUE_PREFIX'),
		rateLimiting: {
			max: readInteger(env, 'RATE_LIMIT_MAX', { min: 0, max: 100_000 }),
			duration: readInteger(env, 'RATE_LIMIT_DURATION_MS', { min: 1, max: 86_400_000 }),
			jitter: readNumber(env, 'RATE_LIMIT_JITTER', { min: 0, max: 1 }),
		},
		concurrency: readInteger(env, 'WORKER_CONCURRENCY', { min: 1, max: 1000 }),
		textPolicy: readChoice(env, 'TEXT_POLICY', ['reject', 'split'] as const),
		keepCompletedSeconds: readInteger(env, 'KEEP_COMPLETED_SECONDS', { min: 0, max: 31_536_000 }),
		keepFailedSeconds: readInteger(env, 'KEEP_FAILED_SECONDS', { min: 0, max: 31_536_000 }),
	};
	const retry = {
		attempts: readInteger(env, 'RETRY_ATTEMPTS', { min: 1, max: 100 }),
		maxRateLimited: readInteger(env, 'RETRY_MAX_RATE_LIMITED', { min: 0, max: 10_000 }),
		backoff: {
			type: readChoice(env, 'RETRY_BACKOFF_TYPE', ['exponential', 'fixed'] as const),
			delay: readInteger(env, 'RETRY_BACKOFF_DELAY_MS', { min: 0, max: 86_400_000 }),
		},
	};
	// Only a retry policy set in the environment is pinned on the jobs.
	if (hasAnyValue(retry)) {
		config.retry = retry;
	}
	return config;
}

function hasAnyValue(retry: { attempts?: number; maxRateLimited?: number; backoff: { type?: string; delay?: number } }): boolean {
	return (
		retry.attempts !== undefined ||
		retry.maxRateLimited !== undefined ||
		retry.backoff.type !== undefined ||
		retry.backoff.delay !== undefined
	);
}

/** Reads one of a fixed set of words, or returns undefined when unset. */
export function readChoice<T extends string>(env: Environment, name: string, choices: readonly T[]): T | undefined {
	const raw = readString(env, name);
	if (raw === undefined) {
		return undefined;
	}
	if (!(choices as readonly string[]).includes(raw)) {
		throw new ConfigError(name, `Invalid ${name} "${raw}". Use one of: ${choices.join(', ')}.`);
	}
	return raw as T;
}
