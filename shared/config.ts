/**
 * Options of the queue manager and the delivery worker, their defaults, and
 * the one function that validates them. Code past `resolveQueueConfig` trusts
 * the resolved object.
 */

import { ConfigError } from './errors';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { PRIORITIES, type Priority } from './message';
import { resolveRedisConfig, type RedisConnectionConfig, type ResolvedRedisConfig } from './redis/connection';
import { assertValidPrefix, DEFAULT_PREFIX } from './redis/keys';

/** Pacing of sends for one WhatsApp instance. */
export interface RateLimitConfig {
	/**
	 * Maximum messages started per `duration` for one instance; 0 turns pacing off.
	 * Sends are spread evenly, one every `duration / max` ms, and never more than
	 * `max` start in any window of `duration` ms. It is a ceiling: the real rate
	 * is also bounded by `concurrency` divided by the gateway's response time.
	 * @defaultValue `80`
	 */
	max: number;
	/**
	 * Window of the limit in milliseconds.
	 * @defaultValue `60000`
	 */
	duration: number;
	/**
	 * Random extra spacing after each send, as a fraction of the even spacing
	 * (0.2 adds up to 20 %). It makes the pattern less regular and lowers the
	 * average rate below `max`.
	 * @defaultValue `0`
	 */
	jitter?: number;
}

/** Backoff between attempts of a failed send. */
export interface BackoffConfig {
	/**
	 * `exponential` waits `delay`, then twice that, and so on (2 s, 4 s, 8 s for
	 * the default); `fixed` waits `delay` every time.
	 * @defaultValue `'exponential'`
	 */
	type: 'exponential' | 'fixed';
	/**
	 * First wait in milliseconds.
	 * @defaultValue `2000`
	 */
	delay: number;
}

/** How failed sends are retried. */
export interface RetryConfig {
	/**
	 * Total attempts per message, the first one included. After the last one the
	 * message goes to the dead-letter queue.
	 * @defaultValue `3`
	 */
	attempts: number;
	backoff: BackoffConfig;
	/**
	 * How many times a message may be put back because the gateway answered 429,
	 * before it is dead-lettered as rate limited. These bounces use no attempts.
	 * @defaultValue `20`
	 */
	maxRateLimited: number;
}

/** What to do with a text longer than 4,096 characters. */
export type TextPolicy = 'reject' | 'split';

/** Options of `createQueueManager`. Every field is optional. */
export interface QueueManagerConfig {
	/** Redis for the queue. @defaultValue `{ host: '127.0.0.1', port: 6379, db: 0 }` */
	redis?: RedisConnectionConfig;
	/**
	 * Prefix of every queue key. Producers and workers must use the same one.
	 * @defaultValue `'waq'`
	 */
	prefix?: string;
	/** Default pacing per instance; `setRateLimit` overrides it for one instance. */
	rateLimiting?: Partial<RateLimitConfig>;
	/**
	 * Retry policy. When given here, it is stored on every job this manager
	 * enqueues and wins over the worker's own; when omitted, the worker's policy
	 * (`RETRY_ATTEMPTS`, `RETRY_BACKOFF_DELAY_MS`, same defaults) applies.
	 */
	retry?: Partial<Omit<RetryConfig, 'backoff'>> & { backoff?: Partial<BackoffConfig> };
	/**
	 * Sends in flight at once per instance in one worker process.
	 * @defaultValue `5`
	 */
	concurrency?: number;
	/** @defaultValue `'reject'` */
	textPolicy?: TextPolicy;
	/**
	 * How long completed jobs are kept, in seconds. The delivery worker applies
	 * it when a job completes, so for the standalone worker its own
	 * `KEEP_COMPLETED_SECONDS` counts. Idempotency keys are remembered as long
	 * as their job is kept.
	 * @defaultValue `86400` (one day)
	 */
	keepCompletedSeconds?: number;
	/**
	 * How long jobs that failed for good are kept in BullMQ's failed set, in
	 * seconds, applied by the delivery worker like `keepCompletedSeconds`.
	 * Their dead-letter entries are kept until retried or removed.
	 * @defaultValue `604800` (seven days)
	 */
	keepFailedSeconds?: number;
	/** @defaultValue a logger that drops everything */
	logger?: Logger;
}

/** `QueueManagerConfig` with defaults applied and every value checked. */
export interface ResolvedQueueConfig {
	redis: ResolvedRedisConfig;
	prefix: string;
	rateLimiting: RateLimitConfig & { jitter: number };
	retry: RetryConfig;
	/** Whether `retry` was given by the caller and is stored on each job. */
	isRetryPinned: boolean;
	concurrency: number;
	textPolicy: TextPolicy;
	keepCompletedSeconds: number;
	keepFailedSeconds: number;
	logger: Logger;
}

/** Defaults of the documented options. */
export const DEFAULTS = {
	rateLimiting: { max: 80, duration: 60_000, jitter: 0 },
	retry: { attempts: 3, backoff: { type: 'exponential', delay: 2000 }, maxRateLimited: 20 },
	concurrency: 5,
	textPolicy: 'reject',
	keepCompletedSeconds: 86_400,
	keepFailedSeconds: 604_800,
} as const;

function assertInteger(option: string, value: unknown, min: number, max: number, unit = ''): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		const shown = typeof value === 'string' ? `"${value}"` : String(value);
		throw new ConfigError(option, `Invalid ${option} ${shown}. Use a whole number${unit} from ${min} to ${max}.`);
	}
	return value;
}

/** Validates a rate limit, for the config and for `setRateLimit`. */
export function resolveRateLimit(
	input: Partial<RateLimitConfig> | undefined,
	option = 'rateLimiting',
): RateLimitConfig & { jitter: number } {
	const max = assertInteger(`${option}.max`, input?.max ?? DEFAULTS.rateLimiting.max, 0, 100_000);
	const duration = assertInteger(
		`${option}.duration`,
		input?.duration ?? DEFAULTS.rateLimiting.duration,
		1,
		86_400_000,
		' of milliseconds',
	);
	const jitter = input?.jitter ?? DEFAULTS.rateLimiting.jitter;
	if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
		throw new ConfigError(`${option}.jitter`, `Invalid ${option}.jitter ${String(jitter)}. Use a fraction from 0 to 1.`);
	}
	return { max, duration, jitter };
}

/** Validates a retry policy, filling gaps with the defaults. */
export function resolveRetry(input: QueueManagerConfig['retry'], option = 'retry'): RetryConfig {
	const attempts = assertInteger(`${option}.attempts`, input?.attempts ?? DEFAULTS.retry.attempts, 1, 100);
	const type = input?.backoff?.type ?? DEFAULTS.retry.backoff.type;
	if (type !== 'exponential' && type !== 'fixed') {
		throw new ConfigError(
			`${option}.backoff.type`,
			`Invalid ${option}.backoff.type "${String(type)}". Use exponential or fixed.`,
		);
	}
	const delay = assertInteger(
		`${option}.backoff.delay`,
		input?.backoff?.delay ?? DEFAULTS.retry.backoff.delay,
		0,
		86_400_000,
		' of milliseconds',
	);
	const maxRateLimited = assertInteger(
		`${option}.maxRateLimited`,
		input?.maxRateLimited ?? DEFAULTS.retry.maxRateLimited,
		0,
		10_000,
	);
	return { attempts, backoff: { type, delay }, maxRateLimited };
}

/**
 * Applies defaults and validates every option. Throws `ConfigError` naming
 * the option, the value and the allowed range, before anything connects.
 */
export function resolveQueueConfig(config: QueueManagerConfig = {}): ResolvedQueueConfig {
	const prefix = config.prefix ?? DEFAULT_PREFIX;
	try {
		assertValidPrefix(prefix);
	} catch (error) {
		throw new ConfigError('prefix', (error as Error).message);
	}
	const textPolicy = config.textPolicy ?? DEFAULTS.textPolicy;
	if (textPolicy !== 'reject' && textPolicy !== 'split') {
		throw new ConfigError('textPolicy', `Invalid textPolicy "${String(textPolicy)}". Use reject or split.`);
	}
	return {
		redis: resolveRedisConfig(config.redis, 0),
		prefix,
		rateLimiting: resolveRateLimit(config.rateLimiting),
		retry: resolveRetry(config.retry),
		isRetryPinned: config.retry !== undefined,
		concurrency: assertInteger('concurrency', config.concurrency ?? DEFAULTS.concurrency, 1, 1000),
		textPolicy,
		keepCompletedSeconds: assertInteger(
			'keepCompletedSeconds',
			config.keepCompletedSeconds ?? DEFAULTS.keepCompletedSeconds,
			0,
			31_536_000,
			' of seconds',
		),
		keepFailedSeconds: assertInteger(
			'keepFailedSeconds',
			config.keepFailedSeconds ?? DEFAULTS.keepFailedSeconds,
			0,
			31_536_000,
			' of seconds',
		),
		logger: config.logger ?? silentLogger,
	};
}

/**
 * Maps a priority to BullMQ's priority number (1 is served first). Every
 * priority gets an explicit number: BullMQ serves jobs without a priority
 * before all prioritised ones, so none may fall back to that slot.
 */
export function toBullPriority(priority: Priority): number {
	return PRIORITIES.indexOf(priority) + 1;
}

/** Reverses `toBullPriority`; unknown numbers read as `normal`. */
export function fromBullPriority(value: number | undefined): Priority {
	return PRIORITIES[(value ?? 3) - 1] ?? 'normal';
}
