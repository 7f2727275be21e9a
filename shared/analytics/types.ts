/**
 * Public types of the analytics manager: what callers pass when tracking,
 * what the worker passes, and what the read methods return.
 */

import type { MessageType } from '../message';
import type { TimestampInput } from './arguments';
import type { ReportPeriod } from './buckets';

/** Fields every track method accepts in `meta`. */
export interface TrackMeta {
	/** When the event happened, for importing history. @defaultValue now */
	timestamp?: TimestampInput;
	/** Campaign the message or event belongs to. */
	campaignId?: string;
	/** Gateway instance (the sending WhatsApp number). */
	instanceName?: string;
	/** Queue job id; makes tracking idempotent per job. */
	jobId?: string;
}

/** `meta` of `trackMessageSent`. */
export interface SentMeta extends TrackMeta {
	/** Gateway message id that receipts refer to; makes tracking idempotent per message. */
	messageId?: string;
	/** Id of the template the message was made from. */
	templateId?: string;
}

/** Sentiments counted for inbound messages. */
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

/** Sentiment of an inbound message. */
export type Sentiment = (typeof SENTIMENTS)[number];

/** `meta` of `trackMessageReceived`. */
export interface ReceivedMeta extends TrackMeta {
	/** Inbound message id; a second call with the same id counts nothing. */
	messageId?: string;
	/** Intent label, such as `pricing`; counted per day. At most 64 characters. */
	intent?: string;
	sentiment?: Sentiment;
}

/** `meta` of `trackMessageFailed`. */
export interface FailedMeta extends TrackMeta {
	messageId?: string;
}

/** Message types of inbound messages: the queue's types, or `other` (stickers, reactions, polls). */
export type InboundMessageType = MessageType | 'other';

/** Direction of the message that started a conversation. */
export type ConversationDirection = 'inbound' | 'outbound';

/** Reason a conversation ended. */
export type ConversationEndReason = 'completed' | 'timeout' | 'handoff';

/** Kinds of conversion, from first contact to sale. */
export type ConversionType = 'lead' | 'qualified_lead' | 'appointment' | 'sale';

/** Events of `trackCampaign`. */
export type CampaignEvent = 'sent' | 'delivered' | 'read' | 'response' | 'conversion';

/** A message at one step of the queue, as the queue and worker report it. */
export interface QueueEvent {
	/** Public job id; every worker-path method is idempotent per job id. */
	jobId: string;
	instanceName: string;
	/** Recipient: digits with country code, or a JID. */
	phone: string;
	messageType: MessageType;
	campaignId?: string;
	templateId?: string;
	/** When the step happened. @defaultValue now */
	timestamp?: TimestampInput;
}

/** The gateway accepted a message. */
export interface SentEvent extends QueueEvent {
	/** Gateway message id, such as Evolution's `key.id`; receipts refer to it. */
	messageId: string;
	/**
	 * Gateway ids of every part when a long text was sent as several messages.
	 * Receipts for any part count for the one message.
	 */
	messageIds?: string[];
	/** Time from the start of the successful attempt to the gateway's response, in ms. */
	processingTimeMs: number;
	/** Attempts used, including the successful one. */
	attempts: number;
}

/** An attempt failed and the job will be retried. */
export interface AttemptFailedEvent extends QueueEvent {
	/** Error message, without secrets. Not stored. */
	error: string;
	/** Number of the attempt that failed, starting at 1. */
	attempt: number;
}

/** A message failed for good and went to the dead-letter queue. */
export interface DeadLetteredEvent extends QueueEvent {
	error: string;
	/** Short machine-readable reason, such as `not_on_whatsapp`. */
	reason: string;
	/** Attempts used, all of which failed. */
	attempts: number;
}

/** A rate above 100 % or a total that does not reconcile, reported as computed. */
export interface Anomaly {
	/** Name of the field, such as `conversionRate`. */
	metric: string;
	value: number;
	/** Meaning of the value and what to check. */
	message: string;
}

/** Message counts and rates over a range. Rates are percentages with 2 decimals, or null. */
export interface MessageMetrics {
	queued: number;
	sent: number;
	received: number;
	delivered: number;
	read: number;
	failed: number;
	cancelled: number;
	/** Failed attempts that were retried; not messages. */
	retries: number;
	/** delivered / sent. */
	deliveryRate: number | null;
	/** read / delivered. */
	readRate: number | null;
	/** failed / (sent + failed): the share of finished messages that failed. */
	failureRate: number | null;
	anomalies: Anomaly[];
}

/** Conversation figures over a range. */
export interface ConversationMetrics {
	/** Conversations active now: not ended, and with activity within the timeout. Ignores the range. */
	activeConversations: number;
	started: number;
	/** Conversations ended by `trackConversationEnded` or by timeout. */
	ended: number;
	endedBy: Record<ConversationEndReason, number>;
	handoffs: number;
	/** Outbound messages that got a reply: the contact's next inbound message. */
	responses: number;
	/** Mean time from an outbound message to the contact's next inbound message, in seconds. */
	averageResponseTime: number | null;
	/** Distinct contacts messaged (HyperLogLog estimate). */
	contactsMessaged: number;
	/** Distinct contacts who replied to a message sent in the range (HyperLogLog estimate). */
	contactsReplied: number;
	/** contactsReplied / contactsMessaged. */
	responseRate: number | null;
	/** handoffs / started. */
	handoffRate: number | null;
	/** Inbound messages per intent label. */
	intents: Record<string, number>;
	/** Inbound messages per sentiment. */
	sentiments: Record<string, number>;
	anomalies: Anomaly[];
}

/** Conversion figures over a range. */
export interface ConversionMetrics {
	leads: number;
	qualifiedLeads: number;
	appointments: number;
	sales: number;
	/** All conversions of every type. */
	conversions: number;
	/** Sum of conversion values, in your currency. */
	revenue: number;
	delivered: number;
	/** conversions / delivered. */
	conversionRate: number | null;
	anomalies: Anomaly[];
}

/** Worker performance over a range. */
export interface PerformanceMetrics {
	sent: number;
	retries: number;
	deadLettered: number;
	/** Messages sent per hour of the range (up to now). */
	messagesSentPerHour: number | null;
	/** Mean time the gateway took to accept a message, in ms. */
	averageProcessingTime: number | null;
	/** Failed attempts / all attempts: (retries + deadLettered) / (retries + deadLettered + sent). */
	errorRate: number | null;
	anomalies: Anomaly[];
}

/** One campaign's figures, over all its retained days or over a range. */
export interface CampaignMetrics {
	campaignId: string;
	queued: number;
	sent: number;
	delivered: number;
	read: number;
	failed: number;
	cancelled: number;
	/** queued - sent - failed - cancelled, at least 0. */
	pending: number;
	retries: number;
	responses: number;
	conversions: number;
	/** In your currency. */
	revenue: number;
	/** Sent messages times their cost per message, in your currency. */
	cost: number;
	/** (revenue - cost) / cost × 100; null when cost is 0. */
	roi: number | null;
	deliveryRate: number | null;
	readRate: number | null;
	failureRate: number | null;
	/** responses / sent. */
	responseRate: number | null;
	/** conversions / delivered. */
	conversionRate: number | null;
	anomalies: Anomaly[];
}

/** A contact with many messages in and out during a report. */
export interface TopConversation {
	phone: string;
	/** Messages in and out. */
	messages: number;
}

/** Options of `generateReport`. */
export interface ReportOptions {
	/** Whether to report the previous complete period instead of the current one so far. */
	previous?: boolean;
	/** Zone of the calendar period. @defaultValue the manager's `timeZone` */
	timeZone?: string;
	/** A moment inside the period to report. @defaultValue now */
	at?: TimestampInput;
	/** Number of contacts in `topConversations`. @defaultValue `10` */
	topLimit?: number;
}

/** A report over one calendar period. */
export interface AnalyticsReport {
	period: ReportPeriod;
	timeZone: string;
	/** Start of the period, ISO 8601 with the zone's offset. */
	start: string;
	/** End of the period (now, for the current period), ISO 8601 with the zone's offset. */
	end: string;
	/**
	 * The time the counters really cover. It differs from start and end when
	 * the zone's day boundaries fall inside a UTC hour (see `generateReport`).
	 */
	coverage: { start: string; end: string; isExact: boolean };
	generatedAt: string;
	messages: MessageMetrics;
	conversations: ConversationMetrics;
	conversions: ConversionMetrics;
	performance: PerformanceMetrics;
	topConversations: TopConversation[];
	/** Every anomaly of the sections, in one list. */
	anomalies: Anomaly[];
}

/** Counters a time series can show. */
export const SERIES_METRICS = [
	'queued',
	'sent',
	'received',
	'delivered',
	'read',
	'failed',
	'cancelled',
	'retries',
	'responses',
	'conversationsStarted',
	'handoffs',
	'conversions',
	'revenue',
	'cost',
] as const;

/** A counter a time series can show. */
export type SeriesMetric = (typeof SERIES_METRICS)[number];

/** Options of `getMessageTimeSeries`. */
export interface TimeSeriesOptions {
	/** @defaultValue `'sent'` */
	metric?: SeriesMetric;
	/** @defaultValue `'day'` */
	interval?: 'day' | 'hour';
	/** Zone of the days. @defaultValue the manager's `timeZone` */
	timeZone?: string;
	/** Only this campaign's counters. */
	campaignId?: string;
	/** A moment in the last day of the series. @defaultValue now */
	end?: TimestampInput;
}

/** One point of a time series. */
export interface TimeSeriesPoint {
	/** Start of the bucket, ISO 8601 with the zone's offset. */
	timestamp: string;
	value: number;
}

/** Result of one webhook event, for the worker to log or publish. */
export interface WebhookOutcome {
	/**
	 * `delivered`, `read`: a receipt counted now. `reply`: an inbound message,
	 * counted. `duplicate`: nothing new, such as a webhook retry, a status
	 * already known, or `SERVER_ACK` for a send already recorded. `ignored`:
	 * not counted, for the `reason` given.
	 */
	type: 'delivered' | 'read' | 'reply' | 'duplicate' | 'ignored';
	/** Evolution event name, such as `messages.update`. */
	event: string;
	instanceName: string;
	/** Gateway message id of the receipt, or of the inbound message. */
	messageId?: string;
	phone?: string;
	jobId?: string;
	campaignId?: string;
	/** Gateway status of a receipt, such as `DELIVERY_ACK`. */
	status?: string;
	/** For a reply: time since the outbound message it replies to, in seconds. */
	responseTimeSeconds?: number;
	/** Reason an event was ignored, such as `unknown_message` or `from_me`. */
	reason?: string;
}
