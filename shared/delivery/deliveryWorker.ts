/**
 * The delivery worker: finds instances with messages, runs one send loop per
 * instance, and shuts down without losing a message. Any number of workers on
 * any number of hosts can run against the same Redis; they share nothing else.
 *
 * Connections: one command client shared by every instance, and one
 * subscriber for wake-up messages, whatever the number of instances.
 */

import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

import { resolveQueueConfig, type QueueManagerConfig, type ResolvedQueueConfig } from '../config';
import { QueueClosedError } from '../errors';
import type { GatewayClient } from '../gateways/types';
import { childLogger, describeError, type Logger } from '../logger';
import { DeadLetterQueue } from '../queue/deadLetterQueue';
import { InstanceSettings } from '../queue/instanceSettings';
import { RateLimiter } from '../queue/rateLimiter';
import { createManualWorker, createSharedQueue } from '../redis/bullmq';
import { connectRedis, createRedisClient, isConnectionError } from '../redis/connection';
import { QueueKeys } from '../redis/keys';
import { InstanceRunner } from './instanceRunner';
import { DEFAULT_EVENT_MAX_LENGTH, EventPublisher } from '../events/eventStream';
import type { DeliveryObserver } from './observer';
import type { JobContext } from './processJob';

/** Options of a delivery worker. */
export interface DeliveryWorkerOptions {
	/** Queue settings: Redis, prefix, default rate limit, retry policy, concurrency. */
	queue: QueueManagerConfig | ResolvedQueueConfig;
	/** Gateway client that sends the messages. */
	gateway: GatewayClient;
	/** Serve only these instances; by default every instance, new ones included. */
	instances?: string[];
	/** Listeners for sent, retried, dead-lettered and drained messages, such as analytics. */
	observers?: DeliveryObserver[];
	/**
	 * Maximum wait of an idle instance before it checks for work again, in ms.
	 * New instances are looked for every five times this. Producers also
	 * wake workers at once over pub/sub; this is the fallback.
	 * @defaultValue `1000`
	 */
	pollIntervalMs?: number;
	/**
	 * How long `close()` lets sends in flight finish before aborting them, in ms.
	 * @defaultValue `30000`
	 */
	shutdownTimeoutMs?: number;
	/**
	 * How long a job stays locked to this worker without renewal, in ms. Locks
	 * are renewed while a send runs; a crashed worker's jobs return to the queue
	 * after this long plus up to one stalled-check interval.
	 * @defaultValue `30000`
	 */
	lockDurationMs?: number;
	/** @defaultValue `30000` */
	stalledIntervalMs?: number;
	/** Shown in Redis CLIENT LIST and in logs. @defaultValue a random id */
	workerName?: string;
	/**
	 * Most events kept per type in the trigger's event streams; 0 writes none.
	 * @defaultValue `100000`
	 */
	eventMaxLength?: number;
}

/** A snapshot for health checks and logs. */
export interface DeliveryWorkerStatus {
	state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped';
	workerName: string;
	/** ioredis status of the command connection, such as `ready` or `reconnecting`. */
	redis: string;
	inFlight: number;
	instances: Array<{ name: string; inFlight: number; sent: number; deadLettered: number; retrying: number }>;
}

function isResolved(config: QueueManagerConfig | ResolvedQueueConfig): config is ResolvedQueueConfig {
	return 'isRetryPinned' in config;
}

/** Delivers queued messages of every instance, or of the configured ones. */
export class DeliveryWorker extends EventEmitter {
	readonly config: ResolvedQueueConfig;
	readonly name: string;
	private readonly options: Required<
		Omit<DeliveryWorkerOptions, 'queue' | 'instances' | 'observers' | 'workerName' | 'eventMaxLength'>
	>;
	private readonly keys: QueueKeys;
	private readonly client: Redis;
	private readonly subscriber: Redis;
	private readonly limiter: RateLimiter;
	private readonly deadLetters: DeadLetterQueue;
	private readonly settings: InstanceSettings;
	private readonly logger: Logger;
	private readonly observers: DeliveryObserver[];
	private readonly onlyInstances?: Set<string>;
	private readonly runners = new Map<string, InstanceRunner>();
	private state: DeliveryWorkerStatus['state'] = 'created';
	private discoveryTimer?: NodeJS.Timeout;
	private lockTimer?: NodeJS.Timeout;
	private closing?: Promise<void>;

	constructor(options: DeliveryWorkerOptions) {
		super();
		this.config = isResolved(options.queue) ? options.queue : resolveQueueConfig(options.queue);
		this.name = options.workerName ?? `worker-${randomUUID().slice(0, 8)}`;
		this.options = {
			gateway: options.gateway,
			pollIntervalMs: options.pollIntervalMs ?? 1000,
			shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
			lockDurationMs: options.lockDurationMs ?? 30_000,
			stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
		};
		this.observers = [...(options.observers ?? [])];
		this.onlyInstances = options.instances ? new Set(options.instances) : undefined;
		this.logger = childLogger(this.config.logger, { worker: this.name });
		this.keys = new QueueKeys(this.config.prefix);
		this.client = createRedisClient(this.config.redis, 'consumer', `${this.config.prefix}:${this.name}`);
		this.subscriber = createRedisClient(this.config.redis, 'consumer', `${this.config.prefix}:${this.name}:sub`);
		this.watchConnection(this.client, 'command');
		this.watchConnection(this.subscriber, 'subscriber');
		this.limiter = new RateLimiter(this.client, this.keys, this.config.rateLimiting);
		this.deadLetters = new DeadLetterQueue(this.client, this.keys);
		this.settings = new InstanceSettings(this.client, this.keys);
		const eventMaxLength = options.eventMaxLength ?? DEFAULT_EVENT_MAX_LENGTH;
		if (eventMaxLength > 0) {
			this.events = new EventPublisher(this.client, this.config.prefix, this.logger, eventMaxLength);
			this.observers.push(this.events);
		}
	}

	/** Publisher of the trigger events, on the worker's command client; absent when events are off. */
	readonly events?: EventPublisher;

	/** Logs connection loss and recovery once per change, not once per retry. */
	private watchConnection(client: Redis, role: string): void {
		let isDown = false;
		let failures = 0;
		client.on('error', (error) => {
			failures += 1;
			if (!isDown) {
				isDown = true;
				this.logger.error('Redis connection lost; retrying until it is back.', { connection: role, ...describeError(error) });
			}
		});
		client.on('ready', () => {
			if (isDown) {
				this.logger.info('Redis connection restored.', { connection: role, failedAttempts: failures });
				this.emit('redis:restored');
			}
			isDown = false;
			failures = 0;
		});
	}

	/** Connects, finds instances and starts sending. Resolves once running. */
	async start(): Promise<void> {
		if (this.state !== 'created') {
			throw new QueueClosedError('delivery worker');
		}
		this.state = 'starting';
		this.logger.info('Delivery worker starting.', {
			prefix: this.config.prefix,
			concurrency: this.config.concurrency,
			rateLimit: { max: this.config.rateLimiting.max, durationMs: this.config.rateLimiting.duration },
			instances: this.onlyInstances ? [...this.onlyInstances] : 'all',
		});
		await this.options.gateway.warmUp?.();
		try {
			await connectRedis(this.client, this.config.redis, { waitForever: true });
			await connectRedis(this.subscriber, this.config.redis, { waitForever: true });
		} catch (error) {
			// A wrong password or TLS setting never heals: stop instead of retrying forever.
			this.client.disconnect();
			this.subscriber.disconnect();
			this.state = 'stopped';
			throw error;
		}
		this.subscriber.on('message', (_channel: string, instanceName: string) => this.onWake(instanceName));
		await this.subscriber.subscribe(this.keys.wakeChannel());
		await this.discover();

		this.discoveryTimer = setInterval(() => {
			this.discover().catch((error) => this.logger.error('Instance discovery failed.', describeError(error)));
		}, this.options.pollIntervalMs * 5);
		this.lockTimer = setInterval(() => {
			this.renewLocks().catch((error) => this.logger.error('Lock renewal failed.', describeError(error)));
		}, Math.max(1000, Math.floor(this.options.lockDurationMs / 3)));
		this.state = 'running';
		this.logger.info('Delivery worker ready.', { instances: [...this.runners.keys()] });
		this.emit('ready');
	}

	private isServed(instanceName: string): boolean {
		return !this.onlyInstances || this.onlyInstances.has(instanceName);
	}

	private onWake(instanceName: string): void {
		if (this.state !== 'running' || !this.isServed(instanceName)) {
			return;
		}
		const runner = this.runners.get(instanceName) ?? this.addRunner(instanceName);
		runner.wake();
	}

	/** Starts runners for instances in the registry that have none yet. */
	private async discover(): Promise<void> {
		const names = this.onlyInstances ? [...this.onlyInstances] : await this.client.smembers(this.keys.registry());
		for (const name of names) {
			if (!this.runners.has(name) && this.state !== 'stopping' && this.state !== 'stopped') {
				this.addRunner(name);
			}
		}
	}

	private addRunner(instanceName: string): InstanceRunner {
		const queueName = this.keys.queueName(instanceName);
		const worker = createManualWorker(this.client, queueName, this.keys.prefix, {
			name: this.name,
			lockDuration: this.options.lockDurationMs,
			stalledInterval: this.options.stalledIntervalMs,
			maxStalledCount: 3,
		});
		const queue = createSharedQueue(this.client, queueName, this.keys.prefix);
		const logger = childLogger(this.logger, { instance: instanceName });
		// Connection loss is logged once per change by watchConnection; BullMQ
		// reports it again on every reconnect attempt of every instance.
		worker.on('error', (error) => {
			if (!isConnectionError(error)) {
				logger.error('BullMQ worker error.', describeError(error));
			}
		});
		queue.on('error', (error) => {
			if (!isConnectionError(error)) {
				logger.error('BullMQ queue error.', describeError(error));
			}
		});
		worker.on('stalled', (jobId) => logger.warn('Job stalled; it returns to the queue.', { jobId }));

		// The runner is created below; these hooks run only once it exists.
		let runner: InstanceRunner | undefined;
		const context: JobContext = {
			instanceName,
			worker,
			canChainNextJob: () => runner?.canChainNextJob() ?? false,
			onChainedJob: (job) => runner?.acceptChainedJob(job),
			onThrottled: (delayMs) => runner?.holdChaining(delayMs),
			client: this.client,
			keys: this.keys,
			queue,
			gateway: this.options.gateway,
			limiter: this.limiter,
			deadLetters: this.deadLetters,
			settings: this.settings,
			retry: this.config.retry,
			keep: { completedSeconds: this.config.keepCompletedSeconds, failedSeconds: this.config.keepFailedSeconds },
			observers: this.observers,
			logger,
			waitForPartSlot: () => this.waitForPartSlot(instanceName),
			onInstancePaused: (reason) => {
				logger.error('Instance paused because the gateway rejected its configuration.', { reason });
				this.emit('instance:paused', instanceName, reason);
				this.events
					?.publish({ type: 'instance.paused', instanceName, timestamp: new Date().toISOString(), reason })
					.catch((error) => logger.error('Failed to write the instance.paused event.', describeError(error)));
			},
		};
		runner = new InstanceRunner(instanceName, worker, this.limiter, context, {
			concurrency: this.config.concurrency,
			pollIntervalMs: this.options.pollIntervalMs,
			tokenPrefix: `${this.name}:${randomUUID().slice(0, 8)}`,
		});
		this.runners.set(instanceName, runner);
		runner.start();
		logger.debug('Serving instance.');
		return runner;
	}

	/** Waits for a slot for a later part of a split text. False when paused or stopping. */
	private async waitForPartSlot(instanceName: string): Promise<boolean> {
		for (;;) {
			if (this.state !== 'running') {
				return false;
			}
			const claim = await this.limiter.claim(instanceName, 1, undefined, true);
			if (claim.granted > 0) {
				return true;
			}
			if (claim.state === 'paused') {
				return false;
			}
			await new Promise((resolve) => setTimeout(resolve, Math.max(1, claim.waitMs)));
		}
	}

	private async renewLocks(): Promise<void> {
		await Promise.all(
			[...this.runners.values()].map(async (runner) => {
				const { ids, tokens } = runner.locks();
				if (ids.length > 0) {
					await runner.worker.extendJobLocks(ids, tokens, this.options.lockDurationMs);
				}
			}),
		);
	}

	/** Returns a snapshot of the worker's state, for health checks. */
	getStatus(): DeliveryWorkerStatus {
		const instances = [...this.runners.values()].map((runner) => ({
			name: runner.instanceName,
			inFlight: runner.inFlight.size,
			sent: runner.counts.sent,
			deadLettered: runner.counts['dead-lettered'],
			retrying: runner.counts.retrying,
		}));
		return {
			state: this.state,
			workerName: this.name,
			redis: this.client.status,
			inFlight: instances.reduce((sum, instance) => sum + instance.inFlight, 0),
			instances,
		};
	}

	/**
	 * Stops taking jobs, lets sends in flight finish within `timeoutMs`, then
	 * aborts the rest (their jobs go back to the queue) and closes connections.
	 * Safe to call twice; the second call with `force` aborts at once.
	 */
	async close(options: { timeoutMs?: number; force?: boolean } = {}): Promise<void> {
		if (options.force) {
			for (const runner of this.runners.values()) {
				runner.abort();
			}
		}
		this.closing ??= this.shutdown(options.force ? 0 : (options.timeoutMs ?? this.options.shutdownTimeoutMs));
		await this.closing;
	}

	private async shutdown(timeoutMs: number): Promise<void> {
		const wasRunning = this.state === 'running';
		this.state = 'stopping';
		clearInterval(this.discoveryTimer);
		if (wasRunning) {
			this.logger.info('Shutdown started; no new messages are taken.', { inFlight: this.getStatus().inFlight, timeoutMs });
		}
		const runners = [...this.runners.values()];
		await Promise.all(runners.map((runner) => runner.stop()));

		const settled = await this.waitForSettled(runners, timeoutMs);
		if (!settled) {
			this.logger.warn('Shutdown deadline passed; aborting sends in flight, which return to the queue.', {
				inFlight: this.getStatus().inFlight,
			});
			runners.forEach((runner) => runner.abort());
			await this.waitForSettled(runners, 5000);
		}
		clearInterval(this.lockTimer);

		await Promise.all(runners.map((runner) => runner.close()));
		await this.events?.flush();
		await Promise.all([quietQuit(this.subscriber), quietQuit(this.client)]);
		this.state = 'stopped';
		if (wasRunning) {
			this.logger.info('Shutdown done.');
		}
		this.emit('closed');
	}

	private async waitForSettled(runners: InstanceRunner[], timeoutMs: number): Promise<boolean> {
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<false>((resolve) => {
			timer = setTimeout(() => resolve(false), timeoutMs);
		});
		const settled = Promise.all(runners.map((runner) => runner.settled())).then(() => true as const);
		try {
			return await Promise.race([settled, deadline]);
		} finally {
			clearTimeout(timer);
		}
	}
}

/** Closes a client with QUIT, or disconnects at once when it is not connected. */
async function quietQuit(client: Redis): Promise<void> {
	if (client.status === 'ready') {
		await client.quit().catch(() => client.disconnect());
	} else {
		client.disconnect();
	}
}
