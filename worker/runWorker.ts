/**
 * Assembles a running worker from its configuration: logger, gateway client,
 * analytics, delivery worker and HTTP server, and takes them down in order.
 */

import type { Redis } from 'ioredis';

import type { DeliveryObserver } from '../shared/delivery/observer';
import type { EventPublisher } from '../shared/events/eventStream';
import { DeliveryWorker } from '../shared/delivery/deliveryWorker';
import { EvolutionClient } from '../shared/gateways/evolution/client';
import { describeError, type Logger } from '../shared/logger';
import { createRedisClient, resolveRedisConfig } from '../shared/redis/connection';
import { resolveQueueConfig } from '../shared/config';
import type { WorkerConfig } from './config';
import { WorkerHttpServer } from './httpServer';

/** A started worker process's parts. */
export interface RunningWorker {
	delivery: DeliveryWorker;
	http: WorkerHttpServer;
	/** The port the HTTP server took. */
	httpPort: number;
	/** Graceful stop: in-flight sends get `shutdownTimeoutMs` to finish. `force` aborts them. */
	stop(options?: { force?: boolean }): Promise<void>;
}

/** Hooks that the analytics integration adds to the worker. */
export interface WorkerExtensions {
	observers?: DeliveryObserver[];
	/** Handles one Evolution webhook body; `events` writes trigger events. */
	onEvolutionWebhook?: (body: unknown, events?: EventPublisher) => Promise<void>;
	close?: () => Promise<void>;
}

/**
 * Warns when Redis may evict keys: BullMQ needs `maxmemory-policy noeviction`,
 * or queued messages can vanish under memory pressure.
 */
async function checkEvictionPolicy(config: WorkerConfig, logger: Logger): Promise<void> {
	const redis = resolveRedisConfig(config.queue.redis);
	const client: Redis = createRedisClient(redis, 'producer', 'waq:policy-check');
	client.on('error', () => undefined);
	try {
		await client.connect();
		const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string];
		if (policy && policy !== 'noeviction') {
			logger.warn('Redis may evict queued messages under memory pressure. Set maxmemory-policy to noeviction.', {
				maxmemoryPolicy: policy,
			});
		}
	} catch {
		// Managed Redis often forbids CONFIG; the check is advice only.
	} finally {
		client.disconnect();
	}
}

/** Starts the delivery worker and its HTTP server. */
export async function runWorker(
	config: WorkerConfig,
	logger: Logger,
	extensions: WorkerExtensions = {},
): Promise<RunningWorker> {
	const gateway = new EvolutionClient({
		baseUrl: config.gateway.url,
		apiKey: config.gateway.apiKey,
		timeoutMs: config.gateway.timeoutMs,
		logger,
	});
	const delivery = new DeliveryWorker({
		queue: resolveQueueConfig({ ...config.queue, logger }),
		gateway,
		instances: config.instances,
		observers: extensions.observers,
		pollIntervalMs: config.pollIntervalMs,
		shutdownTimeoutMs: config.shutdownTimeoutMs,
		lockDurationMs: config.lockDurationMs,
		stalledIntervalMs: config.stalledIntervalMs,
		eventMaxLength: config.eventMaxLength,
	});
	delivery.on('error', (error) => logger.error('Delivery worker error.', describeError(error)));

	const http = new WorkerHttpServer({
		host: config.http.host,
		port: config.http.port,
		webhookSecret: config.webhookSecret,
		onEvolutionWebhook: extensions.onEvolutionWebhook
			? (body) => extensions.onEvolutionWebhook!(body, delivery.events)
			: undefined,
		logger,
		health: () => {
			const status = delivery.getStatus();
			const healthy = status.state === 'running' && status.redis === 'ready';
			return { healthy, details: { worker: status } };
		},
	});
	const httpPort = await http.listen();
	logger.info('HTTP server listening.', { host: config.http.host, port: httpPort });

	await checkEvictionPolicy(config, logger);
	try {
		await delivery.start();
	} catch (error) {
		await http.close();
		throw error;
	}

	let stopping: Promise<void> | undefined;
	const stop = async (options: { force?: boolean } = {}) => {
		if (options.force) {
			await delivery.close({ force: true });
		}
		stopping ??= (async () => {
			await delivery.close();
			await http.close();
			await extensions.close?.();
		})();
		await stopping;
	};
	return { delivery, http, httpPort, stop };
}
