/**
 * The set of known instances and one BullMQ `Queue` per instance, all on one
 * shared Redis client.
 */

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { describeError, type Logger } from '../logger';
import { createSharedQueue } from '../redis/bullmq';
import type { QueueKeys } from '../redis/keys';

/** Known instances and their queues. */
export class InstanceQueues {
	private readonly queues = new Map<string, Queue>();
	private readonly registered = new Set<string>();

	constructor(
		private readonly client: Redis,
		private readonly keys: QueueKeys,
		private readonly logger: Logger,
	) {}

	/** Returns the queue of an instance, created on first use. */
	get(instanceName: string): Queue {
		let queue = this.queues.get(instanceName);
		if (!queue) {
			// skipMetasUpdate: reading a status must write nothing, and the add
			// scripts set the meta fields they need themselves.
			queue = createSharedQueue(this.client, this.keys.queueName(instanceName), this.keys.prefix, {
				skipMetasUpdate: true,
			});
			// Without a listener BullMQ prints every connection error to the console;
			// callers get those errors from the failed call instead.
			queue.on('error', (error) => this.logger.debug('Queue connection error.', { instance: instanceName, ...describeError(error) }));
			this.queues.set(instanceName, queue);
		}
		return queue;
	}

	/**
	 * Adds instances to the registry that workers read to find new instances.
	 * Each name is written once per process.
	 */
	async register(instanceNames: Iterable<string>): Promise<void> {
		const fresh = [...new Set(instanceNames)].filter((name) => !this.registered.has(name));
		if (fresh.length === 0) {
			return;
		}
		await this.client.sadd(this.keys.registry(), ...fresh);
		for (const name of fresh) {
			this.registered.add(name);
		}
	}

	/** Lists every instance that has ever had a message queued, sorted by name. */
	async list(): Promise<string[]> {
		const names = await this.client.smembers(this.keys.registry());
		return names.sort();
	}

	/** Returns the named instance, or all known instances when none is named. */
	async targets(instanceName?: string): Promise<string[]> {
		return instanceName === undefined ? await this.list() : [instanceName];
	}

	/** Tells waiting workers that an instance has new work. */
	async wake(instanceNames: Iterable<string>): Promise<void> {
		const channel = this.keys.wakeChannel();
		await Promise.all([...new Set(instanceNames)].map((name) => this.client.publish(channel, name)));
	}

	/** Closes every queue object. The shared client stays open. */
	async close(): Promise<void> {
		const queues = [...this.queues.values()];
		this.queues.clear();
		await Promise.all(queues.map((queue) => queue.close()));
	}
}
