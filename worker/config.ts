/**
 * The worker's configuration, read from environment variables only here.
 * Every default is the documented one; every invalid value stops the worker
 * with a message naming the variable.
 */

import type { QueueManagerConfig } from '../shared/config';
import {
	readBoolean,
	readInteger,
	readQueueEnv,
	readString,
	readChoice,
	type Environment,
} from '../shared/env';
import { ConfigError } from '../shared/errors';
import { readAnalyticsEnv, type AnalyticsManagerOptions } from '../shared/analytics';
import { resolveAnalyticsOptions } from '../shared/analytics/config';
import { resolveQueueConfig } from '../shared/config';
import { EvolutionClient } from '../shared/gateways/evolution/client';
import { checkInstanceName } from '../shared/redis/keys';
import { LOG_LEVELS, type LogLevel } from './logger';

/** Everything the worker process needs to run. */
export interface WorkerConfig {
	queue: QueueManagerConfig;
	gateway: {
		/** `EVOLUTION_API_URL`, required. */
		url: string;
		/** `EVOLUTION_API_KEY`, required. */
		apiKey: string;
		/** `GATEWAY_TIMEOUT_MS`. @defaultValue `20000` */
		timeoutMs: number;
	};
	/** `INSTANCES`: serve only these; every instance when unset. */
	instances?: string[];
	http: {
		/** `HTTP_HOST`. @defaultValue `'127.0.0.1'` */
		host: string;
		/** `HTTP_PORT`; 0 picks a free port. @defaultValue `3100` */
		port: number;
	};
	/** `WEBHOOK_SECRET`; without it the webhook endpoint returns 503. */
	webhookSecret?: string;
	analytics: {
		/** `ANALYTICS_ENABLED`. @defaultValue `true` */
		enabled: boolean;
		/** Same server as the queue, database `REDIS_ANALYTICS_DB` (default 1), and the `ANALYTICS_*` settings. */
		options: AnalyticsManagerOptions;
	};
	/** `EVENT_MAX_LENGTH`: most trigger events kept per type; 0 writes none. @defaultValue `100000` */
	eventMaxLength: number;
	/** `SHUTDOWN_TIMEOUT_MS`. @defaultValue `30000` */
	shutdownTimeoutMs: number;
	/** `POLL_INTERVAL_MS`. @defaultValue `1000` */
	pollIntervalMs: number;
	/** `LOCK_DURATION_MS`: how long a crashed worker's jobs stay locked. @defaultValue `30000` */
	lockDurationMs: number;
	/** `STALLED_INTERVAL_MS`: how often locks of crashed workers are checked. @defaultValue `30000` */
	stalledIntervalMs: number;
	/** `LOG_LEVEL`. @defaultValue `'info'` */
	logLevel: LogLevel;
}

function required(env: Environment, name: string, hint: string): string {
	const value = readString(env, name);
	if (value === undefined) {
		throw new ConfigError(name, `Missing ${name}. ${hint}`);
	}
	return value;
}

/** Environment variables behind the options that the resolvers name. */
const OPTION_VARIABLES: Record<string, string> = {
	'redis.url': 'REDIS_URL',
	'redis.port': 'REDIS_PORT',
	'redis.db': 'REDIS_DB',
	'redis.connectTimeoutMs': 'REDIS_URL',
	prefix: 'QUEUE_PREFIX',
	baseUrl: 'EVOLUTION_API_URL',
	apiKey: 'EVOLUTION_API_KEY',
	timeoutMs: 'GATEWAY_TIMEOUT_MS',
};

const ANALYTICS_VARIABLES: Record<string, string> = {
	'redis.url': 'REDIS_URL',
	'redis.db': 'REDIS_ANALYTICS_DB',
	prefix: 'ANALYTICS_PREFIX',
	timeZone: 'ANALYTICS_TIME_ZONE',
	costPerMessage: 'ANALYTICS_COST_PER_MESSAGE',
	retentionDays: 'ANALYTICS_RETENTION_DAYS',
};

/** Runs a resolver and renames a `ConfigError` after the environment variable behind its option. */
function checkWith(variables: Record<string, string>, resolve: () => unknown): void {
	try {
		resolve();
	} catch (error) {
		if (error instanceof ConfigError) {
			const variable = variables[error.option] ?? error.option;
			throw new ConfigError(variable, `${variable}: ${error.message}`);
		}
		throw error;
	}
}

/** Checks `INSTANCES`: a non-empty list of usable instance names. */
function readInstances(env: Environment): string[] | undefined {
	const raw = env.INSTANCES;
	if (raw === undefined || raw.trim() === '') {
		return undefined;
	}
	const names = raw.split(',').map((name) => name.trim());
	const problems = names.map((name) => (name === '' ? 'an entry is empty' : checkInstanceName(name))).filter(Boolean);
	if (problems.length > 0) {
		throw new ConfigError(
			'INSTANCES',
			`Invalid INSTANCES ${JSON.stringify(raw)}: ${problems[0]} Use comma-separated instance names, or leave it unset to serve every instance.`,
		);
	}
	return names;
}

/**
 * Reads and checks the worker's environment, every setting included, so a bad
 * value stops the worker at start with the variable's name. Throws
 * `ConfigError` on the first problem.
 */
export function loadWorkerConfig(env: Environment): WorkerConfig {
	const config = readWorkerEnv(env);
	checkWith(OPTION_VARIABLES, () => resolveQueueConfig(config.queue));
	checkWith(OPTION_VARIABLES, () => new EvolutionClient({ ...config.gateway, baseUrl: config.gateway.url }));
	if (config.analytics.enabled) {
		checkWith(ANALYTICS_VARIABLES, () => resolveAnalyticsOptions(config.analytics.options));
	}
	return config;
}

function readWorkerEnv(env: Environment): WorkerConfig {
	return {
		queue: readQueueEnv(env),
		gateway: {
			url: required(env, 'EVOLUTION_API_URL', 'Set it to the base URL of your Evolution API, such as http://127.0.0.1:8080.'),
			apiKey: required(env, 'EVOLUTION_API_KEY', 'Set it to the global API key or the instance token of your Evolution API.'),
			timeoutMs: readInteger(env, 'GATEWAY_TIMEOUT_MS', { min: 100, max: 600_000 }) ?? 20_000,
		},
		instances: readInstances(env),
		http: {
			host: readString(env, 'HTTP_HOST') ?? '127.0.0.1',
			port: readInteger(env, 'HTTP_PORT', { min: 0, max: 65535 }) ?? 3100,
		},
		webhookSecret: env.WEBHOOK_SECRET ? env.WEBHOOK_SECRET : undefined,
		analytics: {
			enabled: readBoolean(env, 'ANALYTICS_ENABLED') ?? true,
			options: readAnalyticsEnv(env),
		},
		eventMaxLength: readInteger(env, 'EVENT_MAX_LENGTH', { min: 0, max: 100_000_000 }) ?? 100_000,
		shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 3_600_000 }) ?? 30_000,
		pollIntervalMs: readInteger(env, 'POLL_INTERVAL_MS', { min: 10, max: 60_000 }) ?? 1000,
		lockDurationMs: readInteger(env, 'LOCK_DURATION_MS', { min: 1000, max: 3_600_000 }) ?? 30_000,
		stalledIntervalMs: readInteger(env, 'STALLED_INTERVAL_MS', { min: 500, max: 3_600_000 }) ?? 30_000,
		logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS) ?? 'info',
	};
}

/** Values that must never appear in logs. */
export function secretsOf(config: WorkerConfig): string[] {
	const secrets = [config.gateway.apiKey];
	if (config.queue.redis?.password) {
		secrets.push(config.queue.redis.password);
	}
	if (config.webhookSecret) {
		secrets.push(config.webhookSecret);
	}
	return secrets;
}

/** The `--help` text: every environment variable with its unit and default. */
export const HELP_TEXT = `whatsapp-queue-worker: delivers queued WhatsApp messages to Evolution API.

Usage: whatsapp-queue-worker [--help]

Configuration is read from environment variables:

  Gateway
    EVOLUTION_API_URL        Base URL of Evolution API v2 (required)
    EVOLUTION_API_KEY        Global API key or instance token (required)
    GATEWAY_TIMEOUT_MS       Timeout of one send request, ms (default 20000)

  Redis
    REDIS_URL                redis://[user[:password]@]host[:port][/db], rediss:// for TLS
    REDIS_HOST, REDIS_PORT   Server (default 127.0.0.1, 6379)
    REDIS_USERNAME           ACL user
    REDIS_PASSWORD           Password
    REDIS_DB                 Queue database (default 0)
    REDIS_ANALYTICS_DB       Analytics database (default 1)
    REDIS_TLS                true to use TLS (default false)
    REDIS_TLS_CA             CA certificate: PEM file path or PEM text
    REDIS_TLS_REJECT_UNAUTHORIZED  false to accept any certificate (default true)
    QUEUE_PREFIX             Key prefix; producers must use the same (default waq)

  Sending
    INSTANCES                Comma-separated instances to serve (default all)
    RATE_LIMIT_MAX           Messages per window per instance; 0 = no pacing (default 80)
    RATE_LIMIT_DURATION_MS   Window, ms (default 60000)
    RATE_LIMIT_JITTER        Random extra spacing, fraction 0-1 (default 0)
    WORKER_CONCURRENCY       Sends in flight per instance (default 5)
    RETRY_ATTEMPTS           Attempts per message, first included (default 3)
    RETRY_BACKOFF_TYPE       exponential or fixed (default exponential)
    RETRY_BACKOFF_DELAY_MS   First backoff delay, ms (default 2000)
    RETRY_MAX_RATE_LIMITED   429 answers before dead-lettering (default 20)
    KEEP_COMPLETED_SECONDS   How long sent jobs are kept, s (default 86400)
    KEEP_FAILED_SECONDS      How long failed jobs are kept, s (default 604800)
    POLL_INTERVAL_MS         Maximum idle wait before checking for work, ms (default 1000)
    LOCK_DURATION_MS         Lock of a job being sent; a crashed worker's jobs return
                             to the queue after it runs out, ms (default 30000)
    STALLED_INTERVAL_MS      How often expired locks are checked, ms (default 30000)

  HTTP (health, webhooks)
    HTTP_HOST                Address to listen on (default 127.0.0.1)
    HTTP_PORT                Port; 0 picks a free one (default 3100)
    WEBHOOK_SECRET           Secret Evolution sends in x-webhook-secret or ?token=

  Analytics
    ANALYTICS_ENABLED        Record analytics (default true)
    ANALYTICS_TIME_ZONE      Time zone of day and week boundaries (default UTC)
    ANALYTICS_PREFIX         Key prefix of analytics (default waa)
    ANALYTICS_COST_PER_MESSAGE  Cost of one sent message, for ROI (default 0)
    ANALYTICS_RETENTION_DAYS Days analytics buckets are kept (default 90)

  Trigger events
    EVENT_MAX_LENGTH         Most events kept per type for the n8n trigger; 0 = none (default 100000)

  Process
    SHUTDOWN_TIMEOUT_MS      Time in-flight sends get to finish on SIGTERM, ms (default 30000)
    LOG_LEVEL                fatal, error, warn, info, debug, trace or silent (default info)
`;
