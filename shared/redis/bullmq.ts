/**
 * BullMQ objects that share one Redis client. A BullMQ `Worker` normally opens
 * a blocking connection of its own; ours fetch jobs without blocking, so one
 * process can serve any number of instances over a fixed set of connections.
 */

import {
	createRedisBackend,
	Queue,
	Worker,
	type BackendFactory,
	type QueueOptions,
	type RedisQueueBackend,
	type WorkerOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';

/** Creates BullMQ backends on the caller's client, without a blocking connection. */
export const sharedConnectionBackend: BackendFactory<RedisQueueBackend> = (name, opts, flags) =>
	createRedisBackend(name, opts, { ...flags, blocking: false, withBlockingConnection: false });

/** A BullMQ `Queue` on a shared client. Closing it leaves the client open. */
export function createSharedQueue(
	connection: Redis,
	name: string,
	prefix: string,
	options: Omit<QueueOptions, 'connection' | 'prefix'> = {},
): Queue {
	return new Queue(name, { ...options, connection, prefix }, sharedConnectionBackend);
}

/**
 * A BullMQ `Worker` in manual mode on a shared client: it runs no loop of its
 * own and hands out jobs only through `getNextJob(token, { block: false })`.
 */
export function createManualWorker(
	connection: Redis,
	name: string,
	prefix: string,
	options: Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'> = {},
): Worker {
	return new Worker(name, null, { ...options, connection, prefix, autorun: false }, sharedConnectionBackend);
}
