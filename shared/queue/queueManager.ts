/**
 * The queue manager: the public API for enqueueing WhatsApp messages and for
 * looking after the queues. It is a producer: its Redis client fails fast
 * while Redis is down, so callers get a clear error instead of a hang.
 */

import type { Redis } from 'ioredis';

import {
	resolveQueueConfig,
	resolveRateLimit,
	type QueueManagerConfig,
	type RateLimitConfig,
	type ResolvedQueueConfig,
} from '../config';
import { DeliveryWorker, type DeliveryWorkerOptions } from '../delivery/deliveryWorker';
import { EvolutionClient } from '../gateways/evolution/client';
import type { GatewayClient } from '../gateways/types';
import { notifyObservers, type DeliveryObserver } from '../delivery/observer';
import { ConfigError, QueueClosedError, ValidationError } from '../errors';
import type { WhatsAppMessage } from '../message';
import {
	connectRedis,
	createRedisClient,
	isConnectionError,
	toRedisUnavailableError,
} from '../redis/connection';
import { checkInstanceName, parsePublicJobId, QueueKeys } from '../redis/keys';
import { DeadLetterQueue, type DeadLetterEntry } from './deadLetterQueue';
import { clearDeadLetters, removeDeadLetter, retryAllDeadLetters, retryDeadLetter } from './deadLetterOperations';
import { enqueueMessages, type EnqueuedMessage, type PreparedMessage } from './enqueue';
import { prepareEntries, type BulkEntry, type EnqueueOptions } from './prepare';
import { InstanceQueues } from './instanceQueues';
import { InstanceSettings, type EffectiveRateLimit } from './instanceSettings';
import { readMessageStatus, type MessageStatus } from './jobStatus';
import { readInstanceCounts, readProcessingRate, readTotals, type QueueMetrics } from './metrics';
import {
	cancelCampaignJobs,
	cancelJob,
	cleanInstances,
	drainInstances,
	pauseInstances,
	resumeInstances,
	type CampaignCancelResult,
	type CancelResult,
} from './queueControl';

/** Describes a value for an error message: strings quoted, other types named. */
function describeType(value: unknown): string {
	if (typeof value === 'string') {
		return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
	}
	if (value === null || Array.isArray(value)) {
		return value === null ? 'null' : 'array';
	}
	return typeof value === 'object' ? 'object' : `${typeof value} ${String(value)}`;
}

/** Returns the reason an id (campaign id, job id part) is unusable, or undefined. */
function checkIdentifier(value: unknown): string | undefined {
	if (typeof value !== 'string' || value.length === 0) {
		return `expected a non-empty string, got ${describeType(value)}.`;
	}
	if (value.length > 256) {
		return `it is ${value.length} characters long; the maximum is 256.`;
	}
	// eslint-disable-next-line no-control-regex -- control characters are what this rejects
	if (/[\u0000-\u001f\u007f]/.test(value)) {
		return 'it contains control characters.';
	}
	return undefined;
}

/** Returns the reason the id part of a job id is unusable, or undefined. */
function checkInternalId(value: string): string | undefined {
	const problem = checkIdentifier(value);
	return problem ? `the id after the instance: ${problem}` : undefined;
}

/** Options of `scheduleMessage`. */
export interface ScheduleOptions {
	/**
	 * IANA time zone, such as `America/Sao_Paulo`, in which a date string
	 * without an offset is read. Without it, such strings are rejected.
	 */
	timeZone?: string;
}

/** Enqueues messages and manages the queues of every instance. */
export class QueueManager {
	readonly config: ResolvedQueueConfig;
	private readonly client: Redis;
	private readonly keys: QueueKeys;
	private readonly queues: InstanceQueues;
	private readonly deadLetters: DeadLetterQueue;
	private readonly settings: InstanceSettings;
	private readonly observers: DeliveryObserver[] = [];
	private readonly workers = new Set<DeliveryWorker>();
	private connecting?: Promise<void>;
	private isClosed = false;

	constructor(config: QueueManagerConfig = {}) {
		this.config = resolveQueueConfig(config);
		this.keys = new QueueKeys(this.config.prefix);
		this.client = createRedisClient(this.config.redis, 'producer', `${this.config.prefix}:producer`);
		this.client.on('error', (error) => {
			this.config.logger.debug('Queue Redis connection error.', { errorMessage: error.message });
		});
		this.queues = new InstanceQueues(this.client, this.keys, this.config.logger);
		this.deadLetters = new DeadLetterQueue(this.client, this.keys);
		this.settings = new InstanceSettings(this.client, this.keys);
	}

	/** Adds a listener for queued, cancelled and requeued messages, such as analytics. */
	addObserver(observer: DeliveryObserver): void {
		this.observers.push(observer);
	}

	private get context() {
		return {
			config: this.config,
			client: this.client,
			keys: this.keys,
			queues: this.queues,
			deadLetters: this.deadLetters,
			settings: this.settings,
		};
	}

	/**
	 * Connects on first use and maps Redis connection failures to a
	 * `RedisUnavailableError` that names the address and the fix.
	 */
	private async run<T>(operation: () => Promise<T>): Promise<T> {
		if (this.isClosed) {
			throw new QueueClosedError('queue manager');
		}
		try {
			this.connecting ??= connectRedis(this.client, this.config.redis);
			await this.connecting;
			return await operation();
		} catch (error) {
			if (isConnectionError(error) || (error as Error)?.name === 'RedisUnavailableError') {
				this.connecting = undefined;
				throw (error as Error).name === 'RedisUnavailableError'
					? error
					: toRedisUnavailableError(error, this.config.redis);
			}
			throw error;
		}
	}

	/** Validates and enqueues one message. */
	async addMessage(message: WhatsAppMessage, options: EnqueueOptions = {}): Promise<EnqueuedMessage> {
		const [result] = await this.enqueue(prepareEntries(this.config, [{ ...options, message }], false));
		return result;
	}

	/**
	 * Validates every message first and enqueues none if any is invalid; the
	 * `ValidationError` names each bad index. Resolves to the jobs in input order.
	 */
	async addBulk(messages: WhatsAppMessage[], options: EnqueueOptions = {}): Promise<EnqueuedMessage[]> {
		if (!Array.isArray(messages)) {
			throw new ValidationError([{ path: 'messages', message: 'Expected an array of messages.' }]);
		}
		// Array.from turns holes of a sparse array into undefined, which fails validation.
		const entries = Array.from(messages, (message) => ({ ...options, message }));
		return await this.enqueue(prepareEntries(this.config, entries, true));
	}

	/**
	 * Like `addBulk`, with a schedule time, time zone, retry policy and text
	 * policy per message. Entries without `at` are sent now.
	 */
	async enqueueBulk(entries: BulkEntry[]): Promise<EnqueuedMessage[]> {
		return await this.enqueue(prepareEntries(this.config, entries, true));
	}

	/**
	 * Enqueues a message to be sent at `date`: a `Date`, epoch milliseconds, or
	 * an ISO 8601 string with an offset (or without one, read in
	 * `options.timeZone`). A time up to 60 seconds past sends now; an older one,
	 * or one more than 366 days ahead, is rejected.
	 */
	async scheduleMessage(
		message: WhatsAppMessage,
		date: Date | string | number,
		options: ScheduleOptions & EnqueueOptions = {},
	): Promise<EnqueuedMessage> {
		const [result] = await this.enqueue(prepareEntries(this.config, [{ ...options, message, at: date }], false));
		return result;
	}

	private async enqueue(prepared: PreparedMessage[]): Promise<EnqueuedMessage[]> {
		if (prepared.length === 0) {
			return [];
		}
		const { results, queued } = await this.run(() => enqueueMessages(this.context, prepared));
		if (queued.length > 0) {
			await notifyObservers(this.observers, 'onQueued', this.config.logger, queued);
		}
		return results;
	}

	/** Splits a public job id, or throws a `ValidationError` saying what a job id looks like. */
	private parseJobId(jobId: string): { instanceName: string; internalId: string } {
		const parsed = parsePublicJobId(jobId);
		const problem =
			parsed && (checkInstanceName(parsed.instanceName) ?? checkInternalId(parsed.internalId));
		if (!parsed || problem) {
			const shown = typeof jobId === 'string' ? JSON.stringify(jobId.slice(0, 200)) : describeType(jobId);
			throw new ValidationError([
				{
					path: 'jobId',
					message: `Invalid job id ${shown}${problem ? ` (${problem})` : ''}. Job ids look like "<instance>:<id>", as returned when the message was queued.`,
				},
			]);
		}
		return parsed;
	}

	private assertInstanceName(instanceName: string | undefined): void {
		if (instanceName === undefined) {
			return;
		}
		const problem = checkInstanceName(instanceName);
		if (problem) {
			throw new ValidationError([{ path: 'instanceName', message: problem }]);
		}
	}

	/** Returns the state, attempts, gateway message id and last error of one message. */
	async getStatus(jobId: string): Promise<MessageStatus> {
		const { instanceName, internalId } = this.parseJobId(jobId);
		return await this.run(() => readMessageStatus(this.context, instanceName, internalId));
	}

	/** Removes a waiting or scheduled message before it is sent. */
	async cancelMessage(jobId: string): Promise<CancelResult> {
		const { instanceName, internalId } = this.parseJobId(jobId);
		const { result, event } = await this.run(() => cancelJob(this.context, instanceName, internalId));
		if (event) {
			await notifyObservers(this.observers, 'onCancelled', this.config.logger, [event]);
		}
		return result;
	}

	/** Removes every unsent message of a campaign, on every instance or one. */
	async cancelCampaign(campaignId: string, instanceName?: string): Promise<CampaignCancelResult> {
		const problem = checkIdentifier(campaignId);
		if (problem) {
			throw new ValidationError([{ path: 'campaignId', message: `Invalid campaign id: ${problem}` }]);
		}
		this.assertInstanceName(instanceName);
		const { result, events } = await this.run(async () =>
			cancelCampaignJobs(this.context, await this.queues.targets(instanceName), campaignId),
		);
		if (events.length > 0) {
			await notifyObservers(this.observers, 'onCancelled', this.config.logger, events);
		}
		return result;
	}

	/** Up to `limit` dead-letter entries, newest first, of every instance or one. */
	async getDLQMessages(limit = 50, instanceName?: string): Promise<DeadLetterEntry[]> {
		if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
			throw new ValidationError([
				{ path: 'limit', message: `Invalid limit ${describeType(limit)}. Use a whole number from 1 to 10000.` },
			]);
		}
		this.assertInstanceName(instanceName);
		return await this.run(async () => this.deadLetters.list(await this.queues.targets(instanceName), limit));
	}

	/** Queues a dead-lettered message again, with its priority, under its original job id. */
	async retryDLQMessage(jobId: string): Promise<EnqueuedMessage> {
		const { instanceName, internalId } = this.parseJobId(jobId);
		const { result, event } = await this.run(() => retryDeadLetter(this.context, instanceName, internalId));
		if (event) {
			await notifyObservers(this.observers, 'onRequeued', this.config.logger, event);
		}
		return result;
	}

	/** Retries every dead-lettered message of every instance or one, oldest first. */
	async retryAllDLQMessages(instanceName?: string): Promise<EnqueuedMessage[]> {
		this.assertInstanceName(instanceName);
		const { results, events } = await this.run(async () =>
			retryAllDeadLetters(this.context, await this.queues.targets(instanceName)),
		);
		for (const event of events) {
			await notifyObservers(this.observers, 'onRequeued', this.config.logger, event);
		}
		return results;
	}

	/** Removes one dead-letter entry and its failed job, freeing its idempotency key. */
	async removeDLQMessage(jobId: string): Promise<boolean> {
		const { instanceName, internalId } = this.parseJobId(jobId);
		return await this.run(() => removeDeadLetter(this.context, instanceName, internalId));
	}

	/** Removes every dead-letter entry of every instance or one; resolves to how many. */
	async clearDLQ(instanceName?: string): Promise<number> {
		this.assertInstanceName(instanceName);
		return await this.run(async () => clearDeadLetters(this.context, await this.queues.targets(instanceName)));
	}

	/**
	 * Counts of one instance, or totals over every instance with the counts of
	 * each under `instances`.
	 */
	async getMetrics(instanceName?: string): Promise<QueueMetrics> {
		this.assertInstanceName(instanceName);
		return await this.run(async () => {
			if (instanceName !== undefined) {
				return (await readInstanceCounts(this.context, instanceName)).counts;
			}
			return await readTotals(this.context, await this.queues.list());
		});
	}

	/** Messages the gateway accepted per minute, averaged over the last five minutes. */
	async getProcessingRate(instanceName?: string): Promise<number> {
		this.assertInstanceName(instanceName);
		return await this.run(async () => readProcessingRate(this.context, await this.queues.targets(instanceName)));
	}

	/** Lists every instance that has had a message queued. */
	async listInstances(): Promise<string[]> {
		return await this.run(() => this.queues.list());
	}

	/** Stops sending for every instance, or one; queued messages stay queued. */
	async pause(instanceName?: string): Promise<void> {
		this.assertInstanceName(instanceName);
		await this.run(async () => pauseInstances(this.context, await this.queues.targets(instanceName)));
	}

	/** Resumes sending for every instance, or one. */
	async resume(instanceName?: string): Promise<void> {
		this.assertInstanceName(instanceName);
		await this.run(async () => resumeInstances(this.context, await this.queues.targets(instanceName)));
	}

	/** Removes waiting and scheduled messages without sending them; resolves to how many. */
	async drain(instanceName?: string): Promise<number> {
		this.assertInstanceName(instanceName);
		const removed = await this.run(async () => drainInstances(this.context, await this.queues.targets(instanceName)));
		if (removed.length > 0) {
			await notifyObservers(this.observers, 'onCancelled', this.config.logger, removed);
		}
		return removed.length;
	}

	/**
	 * Removes completed and failed jobs older than `graceMs`, at most `limit`
	 * per state and instance (0 for no limit). The dead-letter queue is untouched.
	 */
	async clean(graceMs = 0, limit = 0, instanceName?: string): Promise<number> {
		for (const [name, value] of [['graceMs', graceMs], ['limit', limit]] as const) {
			if (!Number.isInteger(value) || value < 0) {
				throw new ValidationError([
					{ path: name, message: `Invalid ${name} ${describeType(value)}. Use a whole number, 0 or more.` },
				]);
			}
		}
		this.assertInstanceName(instanceName);
		return await this.run(async () =>
			cleanInstances(this.context, await this.queues.targets(instanceName), graceMs, limit),
		);
	}

	/** Stores a rate limit for one instance, which every worker honours over its default. */
	async setRateLimit(instanceName: string, limit: Partial<RateLimitConfig>): Promise<RateLimitConfig> {
		this.assertInstanceName(instanceName);
		if (limit === null || typeof limit !== 'object' || Array.isArray(limit)) {
			throw new ValidationError([
				{ path: 'rateLimit', message: `Invalid rate limit ${describeType(limit)}. Use an object such as { max: 80, duration: 60000 }.` },
			]);
		}
		let resolved: RateLimitConfig;
		try {
			resolved = resolveRateLimit(limit, 'rateLimit');
		} catch (error) {
			if (error instanceof ConfigError) {
				throw new ValidationError([{ path: error.option, message: error.message }]);
			}
			throw error;
		}
		return await this.run(async () => {
			await this.queues.register([instanceName]);
			return await this.settings.setRateLimit(instanceName, resolved);
		});
	}

	/** Returns the rate limit in force for an instance, and whether it is its own or the default. */
	async getRateLimit(instanceName: string): Promise<EffectiveRateLimit> {
		this.assertInstanceName(instanceName);
		return await this.run(() => this.settings.getRateLimit(instanceName, this.config.rateLimiting));
	}

	/** Removes an instance's own rate limit, so the workers' default applies again. */
	async clearRateLimit(instanceName: string): Promise<void> {
		this.assertInstanceName(instanceName);
		await this.run(() => this.settings.clearRateLimit(instanceName));
	}

	/**
	 * Starts a delivery worker in this process with this manager's rate limit,
	 * retry and concurrency settings. `gateway` is a client, or the Evolution
	 * API settings `{ url, apiKey, timeoutMs? }`. `close()` stops it too.
	 */
	async startWorker(
		options: Omit<DeliveryWorkerOptions, 'queue' | 'gateway'> & {
			gateway: GatewayClient | { url: string; apiKey: string; timeoutMs?: number };
		},
	): Promise<DeliveryWorker> {
		if (this.isClosed) {
			throw new QueueClosedError('queue manager');
		}
		const gateway =
			'send' in options.gateway
				? options.gateway
				: new EvolutionClient({
						baseUrl: options.gateway.url,
						apiKey: options.gateway.apiKey,
						timeoutMs: options.gateway.timeoutMs,
						logger: this.config.logger,
					});
		const worker = new DeliveryWorker({ ...options, gateway, queue: this.config });
		this.workers.add(worker);
		worker.once('closed', () => this.workers.delete(worker));
		await worker.start();
		return worker;
	}

	/** Stops workers started here and closes the Redis connection. Safe to call twice. */
	async close(): Promise<void> {
		if (this.isClosed) {
			return;
		}
		this.isClosed = true;
		await Promise.all([...this.workers].map((worker) => worker.close()));
		await this.queues.close();
		await this.client.quit().catch(() => this.client.disconnect());
	}
}
