/**
 * Analytics in the worker: delivery hooks that record every message once, and
 * the Evolution webhook handler that records receipts and replies and turns
 * them into trigger events.
 */

import { analyticsObserver, createAnalyticsManager, type WebhookOutcome } from '../shared/analytics';
import type { EventPublisher, TriggerEvent } from '../shared/events/eventStream';
import type { Logger } from '../shared/logger';
import type { WorkerConfig } from './config';
import type { WorkerExtensions } from './runWorker';

const OUTCOME_EVENTS: Partial<Record<WebhookOutcome['type'], TriggerEvent['type']>> = {
	delivered: 'message.delivered',
	read: 'message.read',
	reply: 'message.replied',
};

/** Reads the text of an inbound message from an Evolution `messages.upsert` body. */
function inboundTexts(body: unknown): Map<string, string> {
	const texts = new Map<string, string>();
	const data = (body as { data?: unknown })?.data;
	for (const record of Array.isArray(data) ? data : [data]) {
		const item = record as { key?: { id?: unknown }; message?: Record<string, { text?: unknown; caption?: unknown }> & { conversation?: unknown } };
		const id = item?.key?.id;
		const message = item?.message;
		if (typeof id !== 'string' || !message) {
			continue;
		}
		const text =
			message.conversation ??
			message.extendedTextMessage?.text ??
			message.imageMessage?.caption ??
			message.videoMessage?.caption ??
			message.documentMessage?.caption;
		if (typeof text === 'string') {
			texts.set(id, text);
		}
	}
	return texts;
}

/** Turns the counted webhook outcomes into trigger events. */
export function outcomesToEvents(outcomes: WebhookOutcome[], body: unknown): TriggerEvent[] {
	const texts = inboundTexts(body);
	const events: TriggerEvent[] = [];
	for (const outcome of outcomes) {
		const type = OUTCOME_EVENTS[outcome.type];
		if (!type) {
			continue;
		}
		const event: TriggerEvent = { type, instanceName: outcome.instanceName, timestamp: new Date().toISOString() };
		for (const field of ['jobId', 'campaignId', 'phone', 'messageId'] as const) {
			if (outcome[field] !== undefined) {
				event[field] = outcome[field];
			}
		}
		if (type === 'message.replied' && outcome.messageId && texts.has(outcome.messageId)) {
			event.text = texts.get(outcome.messageId);
		}
		events.push(event);
	}
	return events;
}

/** Connects the worker to analytics, unless ANALYTICS_ENABLED is false. */
export async function createAnalyticsExtensions(config: WorkerConfig, logger: Logger): Promise<WorkerExtensions> {
	if (!config.analytics.enabled) {
		logger.info('Analytics are off (ANALYTICS_ENABLED=false); webhooks are not counted.');
		return {};
	}
	const analytics = createAnalyticsManager({ ...config.analytics.options, logger });
	return {
		observers: [analyticsObserver(analytics)],
		onEvolutionWebhook: async (body: unknown, events?: EventPublisher) => {
			const outcomes = await analytics.handleEvolutionWebhook(body);
			await events?.publishMany(outcomesToEvents(outcomes, body));
		},
		close: () => analytics.close(),
	};
}
