/**
 * Connects the queue and the worker to analytics: every lifecycle event of a
 * message is recorded once per job, however many times it is reported.
 */

import type { DeliveryObserver } from '../delivery/observer';
import type { AnalyticsManager } from './analyticsManager';

/** Returns a `DeliveryObserver` that records queued, sent, retried, dead-lettered, requeued and cancelled messages. */
export function analyticsObserver(analytics: AnalyticsManager): DeliveryObserver {
	return {
		onQueued: async (events) => {
			await analytics.recordQueued(events);
		},
		onSent: async (event) => {
			await analytics.recordSent(event);
		},
		onAttemptFailed: async (event) => {
			await analytics.recordAttemptFailed(event);
		},
		onDeadLettered: async (event) => {
			await analytics.recordDeadLettered(event);
		},
		onRequeued: async (event) => {
			await analytics.recordRequeued(event);
		},
		onCancelled: async (events) => {
			await analytics.recordCancelled(events);
		},
	};
}
