import { QueueManager } from './queueManager';
import { analyticsObserver, getAnalyticsManager } from '../analytics';
import type { QueueManagerConfig } from '../config';
import { readBoolean, readQueueEnv } from '../env';

/** Creates a queue manager. It connects to Redis on first use. */
export function createQueueManager(config: QueueManagerConfig = {}): QueueManager {
	return new QueueManager(config);
}

let shared: QueueManager | undefined;

/**
 * Returns one queue manager per process, configured from the environment
 * (`REDIS_URL` or `REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME`,
 * `REDIS_PASSWORD`, `REDIS_DB`, `REDIS_TLS`, `REDIS_TLS_CA`, `QUEUE_PREFIX`,
 * and the rate limit, retry and concurrency variables). Unless
 * `ANALYTICS_ENABLED` is `false`, it records queued and cancelled messages in
 * `getAnalyticsManager()`, which its `close()` closes too. After `close()` the
 * next call creates a new one.
 */
export function getQueueManager(): QueueManager {
	if (!shared) {
		const manager = new QueueManager(readQueueEnv(process.env));
		const analytics = readBoolean(process.env, 'ANALYTICS_ENABLED') === false ? undefined : getAnalyticsManager();
		if (analytics) {
			manager.addObserver(analyticsObserver(analytics));
		}
		const close = manager.close.bind(manager);
		manager.close = async () => {
			if (shared === manager) {
				shared = undefined;
			}
			await close();
			await analytics?.close();
		};
		shared = manager;
	}
	return shared;
}

export { QueueManager } from './queueManager';
export type { ScheduleOptions } from './queueManager';
export type { EnqueuedMessage } from './enqueue';
export type { BulkEntry, EnqueueOptions } from './prepare';
export type { DeadLetterEntry, DeadLetterReason } from './deadLetterQueue';
export type { MessageState, MessageStatus } from './jobStatus';
export type { QueueCounts, QueueMetrics } from './metrics';
export type { CancelResult, CampaignCancelResult } from './queueControl';
export type { EffectiveRateLimit } from './instanceSettings';
export type { MessageJobData, MessageJobResult } from './jobData';
