/**
 * Queue counts per instance and in total, and the recent sending rate.
 */

import type { Redis } from 'ioredis';

import type { QueueKeys } from '../redis/keys';
import type { DeadLetterQueue } from './deadLetterQueue';
import type { InstanceQueues } from './instanceQueues';

/** Message counts of one instance, or totals. */
export interface QueueCounts {
	/** Due now and not paused. */
	waiting: number;
	/** Being sent. */
	active: number;
	/** Accepted by the gateway and still kept (see `keepCompletedSeconds`). */
	completed: number;
	/** Failed for good and still kept in BullMQ's failed set. */
	failed: number;
	/** Scheduled for later, or waiting for their next attempt. */
	delayed: number;
	/** Held in paused instances. */
	paused: number;
	/** In the dead-letter queue. */
	dlq: number;
}

/** Result of `getMetrics`. */
export type QueueMetrics = QueueCounts & {
	/** Counts per instance; present on totals, when no instance was named. */
	instances?: Record<string, QueueCounts>;
	/** Instances that are paused. */
	pausedInstances?: string[];
};

/** Dependencies of the metric readers. */
export interface MetricsContext {
	client: Redis;
	keys: QueueKeys;
	queues: InstanceQueues;
	deadLetters: DeadLetterQueue;
}

function zeroCounts(): QueueCounts {
	return { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 0, dlq: 0 };
}

/** Reads the counts of one instance and whether it is paused. */
export async function readInstanceCounts(
	context: MetricsContext,
	instanceName: string,
): Promise<{ counts: QueueCounts; isPaused: boolean }> {
	const queue = context.queues.get(instanceName);
	const [bull, isPaused, dlq] = await Promise.all([
		queue.getJobCounts('wait', 'prioritized', 'active', 'completed', 'failed', 'delayed'),
		context.client.hexists(context.keys.bullKey(instanceName, 'meta'), 'paused'),
		context.deadLetters.count(instanceName),
	]);
	const queued = (bull.wait ?? 0) + (bull.prioritized ?? 0);
	const counts: QueueCounts = {
		waiting: isPaused ? 0 : queued,
		active: bull.active ?? 0,
		completed: bull.completed ?? 0,
		failed: bull.failed ?? 0,
		delayed: bull.delayed ?? 0,
		paused: isPaused ? queued : 0,
		dlq,
	};
	return { counts, isPaused: isPaused === 1 };
}

/** Sums the counts of the given instances and lists each one. */
export async function readTotals(context: MetricsContext, instanceNames: string[]): Promise<QueueMetrics> {
	const perInstance = await Promise.all(instanceNames.map((name) => readInstanceCounts(context, name)));
	const totals: QueueMetrics = { ...zeroCounts(), instances: {}, pausedInstances: [] };
	perInstance.forEach(({ counts, isPaused }, i) => {
		const name = instanceNames[i];
		totals.instances![name] = counts;
		if (isPaused) {
			totals.pausedInstances!.push(name);
		}
		for (const field of Object.keys(counts) as (keyof QueueCounts)[]) {
			totals[field] += counts[field];
		}
	});
	return totals;
}

/**
 * Messages the gateway accepted per minute over the last five minutes, from
 * the completion times BullMQ keeps. It undercounts when completed jobs are
 * kept for less than five minutes (`keepCompletedSeconds`).
 */
export async function readProcessingRate(context: MetricsContext, instanceNames: string[]): Promise<number> {
	const windowMs = 5 * 60_000;
	const since = Date.now() - windowMs;
	const counts = await Promise.all(
		instanceNames.map((name) => context.client.zcount(context.keys.bullKey(name, 'completed'), since, '+inf')),
	);
	const total = counts.reduce((sum, count) => sum + count, 0);
	return Math.round((total / 5) * 100) / 100;
}
