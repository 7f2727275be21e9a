/**
 * Shapes summed counters into the metrics the read methods return. These
 * functions are pure: every Redis read happens in `queries.ts`.
 */

import {
	counter,
	FIELD as F,
	fromMicros,
	INTENT_FIELD_PREFIX,
	SENTIMENT_FIELD_PREFIX,
	type Counters,
} from './counters';
import { boundedRate, percentage, returnOnInvestment, round2 } from './rates';
import type {
	Anomaly,
	CampaignMetrics,
	ConversationMetrics,
	ConversionMetrics,
	MessageMetrics,
	PerformanceMetrics,
	SeriesMetric,
} from './types';

/** Counter field of each time-series metric. */
export const SERIES_FIELDS: Record<SeriesMetric, string> = {
	queued: F.queued,
	sent: F.sent,
	received: F.received,
	delivered: F.delivered,
	read: F.read,
	failed: F.failed,
	cancelled: F.cancelled,
	retries: F.retries,
	responses: F.responses,
	conversationsStarted: F.conversationsStarted,
	handoffs: F.handoffs,
	conversions: F.conversions,
	revenue: F.revenueMicros,
	cost: F.costMicros,
};

/** Series metrics stored in millionths. */
export const MONEY_METRICS: ReadonlySet<SeriesMetric> = new Set(['revenue', 'cost']);

/** Returns message counts and rates. */
export function toMessageMetrics(counters: Counters): MessageMetrics {
	const anomalies: Anomaly[] = [];
	const sent = counter(counters, F.sent);
	const delivered = counter(counters, F.delivered);
	const read = counter(counters, F.read);
	const failed = counter(counters, F.failed);
	return {
		queued: counter(counters, F.queued),
		sent,
		received: counter(counters, F.received),
		delivered,
		read,
		failed,
		cancelled: counter(counters, F.cancelled),
		retries: counter(counters, F.retries),
		deliveryRate: boundedRate(
			'deliveryRate',
			{ name: 'deliveries', value: delivered },
			{ name: 'sent messages', value: sent },
			anomalies,
		),
		readRate: boundedRate(
			'readRate',
			{ name: 'reads', value: read },
			{ name: 'delivered messages', value: delivered },
			anomalies,
		),
		failureRate: percentage(failed, sent + failed),
		anomalies,
	};
}

/** Returns conversation figures; the HyperLogLog counts and the active count come from the caller. */
export function toConversationMetrics(
	counters: Counters,
	contacts: { messaged: number; replied: number; active: number },
): ConversationMetrics {
	const anomalies: Anomaly[] = [];
	const started = counter(counters, F.conversationsStarted);
	const handoffs = counter(counters, F.handoffs);
	const responses = counter(counters, F.responses);
	const responseMs = counter(counters, F.responseMs);
	return {
		activeConversations: contacts.active,
		started,
		ended: counter(counters, F.conversationsEnded),
		endedBy: {
			completed: counter(counters, F.endedCompleted),
			timeout: counter(counters, F.endedTimeout),
			handoff: counter(counters, F.endedHandoff),
		},
		handoffs,
		responses,
		averageResponseTime: responses > 0 ? round2(responseMs / responses / 1000) : null,
		contactsMessaged: contacts.messaged,
		contactsReplied: contacts.replied,
		responseRate: boundedRate(
			'responseRate',
			{ name: 'contacts who replied', value: contacts.replied },
			{ name: 'contacts messaged', value: contacts.messaged },
			anomalies,
		),
		handoffRate: boundedRate(
			'handoffRate',
			{ name: 'handoffs', value: handoffs },
			{ name: 'conversations started', value: started },
			anomalies,
		),
		intents: fieldsWithPrefix(counters, INTENT_FIELD_PREFIX),
		sentiments: fieldsWithPrefix(counters, SENTIMENT_FIELD_PREFIX),
		anomalies,
	};
}

/** Returns conversion counts, revenue and the conversion rate per delivered message. */
export function toConversionMetrics(counters: Counters): ConversionMetrics {
	const anomalies: Anomaly[] = [];
	const conversions = counter(counters, F.conversions);
	const delivered = counter(counters, F.delivered);
	return {
		leads: counter(counters, F.leads),
		qualifiedLeads: counter(counters, F.qualifiedLeads),
		appointments: counter(counters, F.appointments),
		sales: counter(counters, F.sales),
		conversions,
		revenue: fromMicros(counter(counters, F.revenueMicros)),
		delivered,
		conversionRate: boundedRate(
			'conversionRate',
			{ name: 'conversions', value: conversions },
			{ name: 'delivered messages', value: delivered },
			anomalies,
		),
		anomalies,
	};
}

/** Returns throughput, processing time and error rate; `hours` is the length of the range so far. */
export function toPerformanceMetrics(counters: Counters, hours: number): PerformanceMetrics {
	const sent = counter(counters, F.sent);
	const retries = counter(counters, F.retries);
	const deadLettered = counter(counters, F.deadLettered);
	const timedSends = sent - counter(counters, F.untimedSent);
	const failedAttempts = retries + deadLettered;
	return {
		sent,
		retries,
		deadLettered,
		messagesSentPerHour: hours > 0 ? round2(sent / hours) : null,
		averageProcessingTime:
			timedSends > 0 ? round2(counter(counters, F.processingMs) / timedSends) : null,
		errorRate: percentage(failedAttempts, failedAttempts + sent),
		anomalies: [],
	};
}

/** Returns one campaign's figures, with the reconciliation queued = sent + failed + cancelled + pending. */
export function toCampaignMetrics(campaignId: string, counters: Counters): CampaignMetrics {
	const anomalies: Anomaly[] = [];
	const queued = counter(counters, F.queued);
	const sent = counter(counters, F.sent);
	const delivered = counter(counters, F.delivered);
	const read = counter(counters, F.read);
	const failed = counter(counters, F.failed);
	const cancelled = counter(counters, F.cancelled);
	const responses = counter(counters, F.responses);
	const conversions = counter(counters, F.conversions);
	const revenue = fromMicros(counter(counters, F.revenueMicros));
	const cost = fromMicros(counter(counters, F.costMicros));

	const unsettled = queued - sent - failed - cancelled;
	if (unsettled < 0) {
		anomalies.push({
			metric: 'pending',
			value: unsettled,
			message:
				`queued (${queued}) is less than sent + failed + cancelled (${sent + failed + cancelled}). ` +
				'Messages tracked without jobId or messageId are counted again on each call.',
		});
	}
	return {
		campaignId,
		queued,
		sent,
		delivered,
		read,
		failed,
		cancelled,
		pending: Math.max(0, unsettled),
		retries: counter(counters, F.retries),
		responses,
		conversions,
		revenue,
		cost,
		roi: returnOnInvestment(revenue, cost),
		deliveryRate: boundedRate(
			'deliveryRate',
			{ name: 'deliveries', value: delivered },
			{ name: 'sent messages', value: sent },
			anomalies,
		),
		readRate: boundedRate(
			'readRate',
			{ name: 'reads', value: read },
			{ name: 'delivered messages', value: delivered },
			anomalies,
		),
		failureRate: percentage(failed, sent + failed),
		responseRate: boundedRate(
			'responseRate',
			{ name: 'responses', value: responses },
			{ name: 'sent messages', value: sent },
			anomalies,
		),
		conversionRate: boundedRate(
			'conversionRate',
			{ name: 'conversions', value: conversions },
			{ name: 'delivered messages', value: delivered },
			anomalies,
		),
		anomalies,
	};
}

function fieldsWithPrefix(counters: Counters, prefix: string): Record<string, number> {
	const result: Record<string, number> = {};
	for (const [field, value] of Object.entries(counters)) {
		if (field.startsWith(prefix) && value !== 0) {
			result[field.slice(prefix.length)] = value;
		}
	}
	return result;
}
