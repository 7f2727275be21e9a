/**
 * Field names of the counter hashes. Every bucket (hour, day, campaign hour,
 * campaign day) is a hash with some of these fields. A field that was never
 * incremented is absent and reads as 0. Money is stored in millionths of the
 * currency unit, so increments stay whole numbers.
 */
export const FIELD = {
	queued: 'queued',
	sent: 'sent',
	delivered: 'delivered',
	read: 'read',
	failed: 'failed',
	cancelled: 'cancelled',
	/** Failed attempts that were retried. */
	retries: 'retries',
	/** Dead-letter events; unlike `failed`, never decremented by a retry from the dead-letter queue. */
	deadLettered: 'dead_lettered',
	requeued: 'requeued',
	received: 'received',
	/** Outbound messages that got a reply: the contact's next inbound message. */
	responses: 'responses',
	/** Sum of response times of `responses`, in milliseconds. */
	responseMs: 'response_ms',
	conversationsStarted: 'conv_started',
	conversationsEnded: 'conv_ended',
	endedCompleted: 'end_completed',
	endedTimeout: 'end_timeout',
	endedHandoff: 'end_handoff',
	/** Conversations handed off to a person, once per conversation. */
	handoffs: 'handoffs',
	leads: 'leads',
	qualifiedLeads: 'qualified_leads',
	appointments: 'appointments',
	sales: 'sales',
	conversions: 'conversions',
	revenueMicros: 'revenue_micros',
	costMicros: 'cost_micros',
	/** Sum of send processing times, in milliseconds. */
	processingMs: 'processing_ms',
	/**
	 * Sends tracked without a processing time (`trackMessageSent`). The sends
	 * that have one are `sent - untimedSent`, which saves a counter per send.
	 */
	untimedSent: 'untimed_sent',
} as const;

/** Prefix of the per-intent counters of inbound messages, such as `intent:pricing`. */
export const INTENT_FIELD_PREFIX = 'intent:';

/** Prefix of the per-sentiment counters of inbound messages. */
export const SENTIMENT_FIELD_PREFIX = 'sentiment:';

/** Counter values of one bucket or a sum of buckets, by field name. */
export type Counters = Record<string, number>;

/** Returns the counter `field`, or 0 when it is absent. */
export function counter(counters: Counters, field: string): number {
	return counters[field] ?? 0;
}

/** Adds the numeric fields of a Redis hash reply to `total`. */
export function addCounters(total: Counters, hash: Record<string, string>): Counters {
	for (const [field, value] of Object.entries(hash)) {
		const amount = Number(value);
		if (Number.isFinite(amount)) {
			total[field] = (total[field] ?? 0) + amount;
		}
	}
	return total;
}

/** Converts an amount of money to whole millionths, the unit it is stored in. */
export function toMicros(amount: number): number {
	return Math.round(amount * 1_000_000);
}

/** Converts whole millionths back to an amount of money. */
export function fromMicros(micros: number): number {
	return micros / 1_000_000;
}
