/**
 * The analytics manager: records what happened to each WhatsApp message and
 * conversation, and reads counts and rates back per range, campaign and
 * calendar period. Analytics has its own Redis client (database 1 by
 * default), in the producer profile, so calls fail fast while Redis is down.
 */

import type { Redis } from 'ioredis';

import { QueueClosedError, RedisUnavailableError, ValidationError } from '../errors';
import { childLogger, describeError, silentLogger, type Logger } from '../logger';
import { MESSAGE_TYPES, type MessageType } from '../message';
import {
	connectRedis,
	createRedisClient,
	describeRedisTarget,
	isConnectionError,
	resolveRedisConfig,
	toRedisUnavailableError,
	type ResolvedRedisConfig,
} from '../redis/connection';
import { AnalyticsReader } from './analyticsReader';
import {
	checkAmount,
	checkChoice,
	checkId,
	checkWholeNumber,
	normalizePhone,
	type TimeRange,
} from './arguments';
import { cleanupOlderThan, type CleanupResult } from './cleanup';
import {
	readAnalyticsEnv,
	resolveAnalyticsOptions,
	type AnalyticsManagerOptions,
	type ResolvedAnalyticsOptions,
} from './config';
import { FIELD as F, INTENT_FIELD_PREFIX, SENTIMENT_FIELD_PREFIX, toMicros } from './counters';
import { parseEvolutionWebhook, type ParsedWebhookEvent } from './evolutionWebhook';
import {
	checkAttempts,
	checkDurationMs,
	checkText,
	toEventMeta,
	toQueueRef,
	toQueueRefs,
	toTrackRef,
	type InputContext,
} from './inputs';
import { AnalyticsKeys } from './keys';
import { Queries } from './queries';
import { RECEIPT_LEVEL, Recorder } from './recorder';
import { defineScripts } from './scripts';
import {
	SENTIMENTS,
	type AnalyticsReport,
	type AttemptFailedEvent,
	type CampaignEvent,
	type CampaignMetrics,
	type ConversationDirection,
	type ConversationEndReason,
	type ConversationMetrics,
	type ConversionMetrics,
	type ConversionType,
	type DeadLetteredEvent,
	type FailedMeta,
	type InboundMessageType,
	type MessageMetrics,
	type PerformanceMetrics,
	type QueueEvent,
	type ReceivedMeta,
	type ReportOptions,
	type SentEvent,
	type SentMeta,
	type TimeSeriesOptions,
	type TimeSeriesPoint,
	type TrackMeta,
	type WebhookOutcome,
} from './types';

const CONVERSION_FIELDS: Record<ConversionType, string> = {
	lead: F.leads,
	qualified_lead: F.qualifiedLeads,
	appointment: F.appointments,
	sale: F.sales,
};

const CAMPAIGN_EVENT_FIELDS: Record<CampaignEvent, string> = {
	sent: F.sent,
	delivered: F.delivered,
	read: F.read,
	response: F.responses,
	conversion: F.conversions,
};

const INBOUND_TYPES: readonly InboundMessageType[] = [...MESSAGE_TYPES, 'other'];
const INTENT_PATTERN = /^[\p{L}\p{N}_.:/ -]{1,64}$/u;

/**
 * Records and reads WhatsApp analytics. Create one with
 * `createAnalyticsManager` and close it with `close()`.
 *
 * Counting rules:
 * - A message counts once as queued, sent, failed or cancelled however many
 *   attempts it took; failed attempts that were retried count as retries.
 *   queued = sent + failed + cancelled + pending holds for each campaign.
 * - Delivered and read count once per message and never go backwards; read
 *   implies delivered. They count in the hour and day where the message was
 *   sent, so a day's delivery rate is the share of that day's sends that
 *   were delivered.
 * - A conversation is a contact's exchange of messages. It starts with the
 *   first message in or out (or `trackConversationStarted`) and is active
 *   until it ends, or until no message came for `conversationTimeoutSeconds`
 *   (24 hours by default, WhatsApp's customer-service window). Its end and
 *   handoff count in the buckets where it started.
 * - A response is the contact's first inbound message after an outbound one.
 *   Its response time runs from the latest unanswered outbound message, and
 *   it counts in that message's buckets and campaign.
 *
 * Recording calls made close together are written together, in one script
 * call per batch of up to `batchSize` events, and recorded in call order.
 * Each call resolves when its own event is written. A batch that fails
 * rejects each of its calls with the same error.
 */
export class AnalyticsManager {
	private readonly client: Redis;
	private readonly redisConfig: ResolvedRedisConfig;
	private readonly options: ResolvedAnalyticsOptions;
	private readonly keys: AnalyticsKeys;
	private readonly recorder: Recorder;
	private readonly reader: AnalyticsReader;
	private readonly logger: Logger;
	private connecting?: Promise<void>;
	private closing?: Promise<void>;
	private lastConnectionError?: string;

	/** Validates `options`; connects on the first call. Throws `ConfigError` for invalid options. */
	constructor(options: AnalyticsManagerOptions = {}) {
		this.options = resolveAnalyticsOptions(options);
		this.redisConfig = resolveRedisConfig(this.options.redis, this.options.redis.db);
		this.keys = new AnalyticsKeys(this.options.prefix);
		this.logger = childLogger(options.logger ?? silentLogger, { component: 'analytics' });
		this.client = createRedisClient(this.redisConfig, 'producer', 'whatsapp-analytics');
		this.client.on('error', (error: unknown) => this.onConnectionError(error));
		this.client.on('ready', () => {
			this.lastConnectionError = undefined;
		});
		defineScripts(this.client);
		const now = () => Date.now();
		this.recorder = new Recorder(this.client, this.keys, this.options, now, (error) =>
			this.toPublicError(error),
		);
		this.reader = new AnalyticsReader(
			new Queries(this.client, this.keys, this.options, now),
			this.options,
			now,
		);
	}

	/** IANA time zone of the day buckets. */
	get timeZone(): string {
		return this.options.timeZone;
	}

	/** Whether `close()` was called. */
	get isClosed(): boolean {
		return this.closing !== undefined;
	}

	// ---- Costs ----------------------------------------------------------------

	/**
	 * Sets the cost of each message sent for `campaignId`, in your currency, or
	 * removes it with `null`. It applies to messages sent from now on and wins
	 * over the instance's cost and the default.
	 */
	async setCampaignCost(campaignId: string, costPerMessage: number | null): Promise<void> {
		await this.setCost(`c:${checkId(campaignId, 'campaignId')}`, costPerMessage);
	}

	/**
	 * Sets the cost of each message sent from `instanceName`, in your currency,
	 * or removes it with `null`. It applies to messages sent from now on.
	 */
	async setInstanceCost(instanceName: string, costPerMessage: number | null): Promise<void> {
		await this.setCost(`i:${checkId(instanceName, 'instanceName')}`, costPerMessage);
	}

	private async setCost(field: string, costPerMessage: number | null): Promise<void> {
		const micros =
			costPerMessage === null ? null : toMicros(checkAmount(costPerMessage, 'costPerMessage'));
		await this.execute(async () => {
			if (micros === null) {
				await this.client.hdel(this.keys.costs(), field);
			} else {
				await this.client.hset(this.keys.costs(), field, micros);
			}
		});
	}

	// ---- Tracking -------------------------------------------------------------

	/**
	 * Tracks a message the gateway accepted. With `meta.jobId` or
	 * `meta.messageId` it counts once per job or message; without them every
	 * call counts. Also counts the message as queued if it was not.
	 */
	async trackMessageSent(phone: string, type: MessageType, meta?: SentMeta): Promise<void> {
		const ref = toTrackRef(phone, meta, this.inputContext());
		checkChoice(type, MESSAGE_TYPES, 'type');
		await this.execute(() => this.recorder.sent(ref, undefined, undefined));
	}

	/**
	 * Tracks an inbound message. With `meta.messageId` a repeated call counts
	 * nothing. `meta.intent` and `meta.sentiment` are counted per bucket.
	 */
	async trackMessageReceived(
		phone: string,
		type: InboundMessageType,
		meta?: ReceivedMeta,
	): Promise<void> {
		const ref = toTrackRef(phone, meta, this.inputContext());
		checkChoice(type, INBOUND_TYPES, 'type');
		const intent = meta?.intent === undefined ? '' : checkIntent(meta.intent);
		const sentiment =
			meta?.sentiment === undefined
				? ''
				: checkChoice(meta.sentiment, SENTIMENTS, 'meta.sentiment');
		const labels = {
			intentField: intent ? INTENT_FIELD_PREFIX + intent : '',
			sentimentField: sentiment ? SENTIMENT_FIELD_PREFIX + sentiment : '',
		};
		await this.execute(() => this.recorder.inbound(ref.phone, ref.messageId, labels, ref.atMs));
	}

	/**
	 * Tracks a message that failed for good. Counts once per `meta.jobId` or
	 * `meta.messageId`; `error` is checked but not stored.
	 */
	async trackMessageFailed(phone: string, error: string, meta?: FailedMeta): Promise<void> {
		const ref = toTrackRef(phone, meta, this.inputContext());
		checkText(error, 'error');
		await this.execute(() => this.recorder.deadLettered(ref, undefined));
	}

	/**
	 * Tracks a delivery receipt, once per message id. It counts in the buckets
	 * where the message was sent, or in those of the receipt for a message id
	 * not tracked as sent.
	 */
	async trackMessageDelivered(phone: string, messageId: string, meta?: TrackMeta): Promise<void> {
		await this.trackReceipt(phone, messageId, RECEIPT_LEVEL.delivered, meta);
	}

	/** Tracks a read receipt. Counts once per message id, and counts delivered too if it was not. */
	async trackMessageRead(phone: string, messageId: string, meta?: TrackMeta): Promise<void> {
		await this.trackReceipt(phone, messageId, RECEIPT_LEVEL.read, meta);
	}

	private async trackReceipt(
		phone: string,
		messageId: string,
		level: number,
		meta?: TrackMeta,
	): Promise<void> {
		const ref = toTrackRef(phone, meta, this.inputContext());
		const id = checkId(messageId, 'messageId');
		await this.execute(() => this.recorder.receipt(id, level, 'manual', ref));
	}

	/**
	 * Starts a conversation with the contact unless one is active. `direction`
	 * is checked but not counted: conversations also start with the first
	 * message in or out, which carries no direction of its own here.
	 */
	async trackConversationStarted(
		phone: string,
		direction: ConversationDirection,
		meta?: TrackMeta,
	): Promise<void> {
		const contact = normalizePhone(phone);
		const checked = checkChoice(direction, ['inbound', 'outbound'] as const, 'direction');
		const { atMs } = toEventMeta(meta, this.inputContext());
		const detail = checked === 'inbound' ? 'in' : 'out';
		await this.execute(() => this.recorder.conversation(contact, 'start', detail, atMs));
	}

	/**
	 * Ends the contact's active conversation. A conversation that had already
	 * timed out counts as ended by timeout; without one, nothing is counted.
	 */
	async trackConversationEnded(
		phone: string,
		reason: ConversationEndReason,
		meta?: TrackMeta,
	): Promise<void> {
		const contact = normalizePhone(phone);
		const checked = checkChoice(reason, ['completed', 'timeout', 'handoff'] as const, 'reason');
		const { atMs } = toEventMeta(meta, this.inputContext());
		await this.execute(() => this.recorder.conversation(contact, 'end', checked, atMs));
	}

	/**
	 * Tracks a handoff to a person, once per conversation, starting a
	 * conversation if none is active. `reason` is checked but not stored.
	 */
	async trackHandoff(phone: string, reason: string, meta?: TrackMeta): Promise<void> {
		const contact = normalizePhone(phone);
		checkText(reason, 'reason');
		const { atMs } = toEventMeta(meta, this.inputContext());
		await this.execute(() => this.recorder.conversation(contact, 'handoff', '', atMs));
	}

	/**
	 * Tracks a conversion worth `value` in your currency. With `meta.campaignId`
	 * it also counts for the campaign, and the value as the campaign's revenue.
	 * Call this or `trackCampaign(..., 'conversion')` for one conversion, not both.
	 */
	async trackConversion(
		phone: string,
		type: ConversionType,
		value?: number,
		meta?: TrackMeta,
	): Promise<void> {
		normalizePhone(phone);
		const field =
			CONVERSION_FIELDS[
				checkChoice(type, Object.keys(CONVERSION_FIELDS) as ConversionType[], 'type')
			];
		const micros = value === undefined ? 0 : toMicros(checkAmount(value, 'value'));
		const { atMs, campaignId } = toEventMeta(meta, this.inputContext());
		const updates: [string, number][] = [
			[field, 1],
			[F.conversions, 1],
			[F.revenueMicros, micros],
		];
		await this.execute(() => this.recorder.count(campaignId, true, updates, atMs));
	}

	/**
	 * Adds one event to a campaign's counters only, for campaigns run outside
	 * the queue. These counters are not idempotent; messages sent through the
	 * queue are counted by the worker path and need no call here.
	 */
	async trackCampaign(
		campaignId: string,
		phone: string,
		event: CampaignEvent,
		value?: number,
		meta?: TrackMeta,
	): Promise<void> {
		const id = checkId(campaignId, 'campaignId');
		normalizePhone(phone);
		const field =
			CAMPAIGN_EVENT_FIELDS[
				checkChoice(event, Object.keys(CAMPAIGN_EVENT_FIELDS) as CampaignEvent[], 'event')
			];
		const micros = value === undefined ? 0 : toMicros(checkAmount(value, 'value'));
		const { atMs } = toEventMeta(meta, this.inputContext());
		const updates: [string, number][] = [[field, 1]];
		if (event === 'conversion') {
			updates.push([F.revenueMicros, micros]);
		}
		await this.execute(() => this.recorder.count(id, false, updates, atMs));
	}

	// ---- Worker path ----------------------------------------------------------

	/**
	 * Records messages at enqueue, batched with other recording calls.
	 * Idempotent per job id.
	 * @returns how many jobs were recorded for the first time.
	 */
	async recordQueued(events: QueueEvent[]): Promise<number> {
		const refs = toQueueRefs(events, this.inputContext());
		return await this.execute(() => this.recorder.queued(refs));
	}

	/**
	 * Records that the gateway accepted a message: sent, not yet delivered.
	 * Idempotent per job id, so a job run again after a crash counts once.
	 * A dead-lettered or cancelled job that is sent stops counting as such.
	 * Links `messageId`, and every id in `messageIds` for a split text, to the
	 * job, so receipts find it. Receipts that came before this call count now.
	 * @returns whether this call counted the send.
	 */
	async recordSent(event: SentEvent): Promise<boolean> {
		const ref = toQueueRef(event, this.inputContext());
		ref.messageId = checkId(event.messageId, 'messageId');
		const processingMs = checkDurationMs(event.processingTimeMs, 'processingTimeMs');
		const attempts = checkAttempts(event.attempts, 'attempts');
		const parts = checkPartIds(event.messageIds, ref.messageId);
		return await this.execute(() => this.recorder.sent(ref, processingMs, attempts, parts));
	}

	/**
	 * Records an attempt that failed and will be retried: a retry, never a
	 * failure. Idempotent per job id and attempt number.
	 * @returns whether this call counted a retry.
	 */
	async recordAttemptFailed(event: AttemptFailedEvent): Promise<boolean> {
		const ref = toQueueRef(event, this.inputContext());
		checkText(event.error, 'error');
		const attempt = checkAttempts(event.attempt, 'attempt');
		return (await this.execute(() => this.recorder.attemptFailed(ref, attempt))) > 0;
	}

	/**
	 * Records a message that failed for good and went to the dead-letter
	 * queue. Idempotent per job id; ignored for a job already recorded as sent.
	 * @returns whether this call counted the failure.
	 */
	async recordDeadLettered(event: DeadLetteredEvent): Promise<boolean> {
		const ref = toQueueRef(event, this.inputContext());
		checkText(event.error, 'error');
		checkText(event.reason, 'reason');
		const attempts = checkAttempts(event.attempts, 'attempts');
		return (await this.execute(() => this.recorder.deadLettered(ref, attempts))) === 1;
	}

	/**
	 * Records a retry from the dead-letter queue: the message is pending again,
	 * and its failure is removed from the hour, day and campaign where it was
	 * counted. Does nothing for a job that is not failed.
	 * @returns whether a failure was removed.
	 */
	async recordRequeued(event: QueueEvent): Promise<boolean> {
		const ref = toQueueRef(event, this.inputContext());
		return await this.execute(() => this.recorder.requeued(ref));
	}

	/**
	 * Records messages drained or cancelled before sending. Idempotent per job
	 * id; ignored for jobs already sent or failed.
	 * @returns how many jobs were recorded as cancelled for the first time.
	 */
	async recordCancelled(events: QueueEvent[]): Promise<number> {
		const refs = toQueueRefs(events, this.inputContext());
		return await this.execute(() => this.recorder.cancelled(refs));
	}

	/**
	 * Applies an Evolution API webhook body: receipts (`messages.update`) and
	 * inbound messages (`messages.upsert` with `fromMe: false`). Idempotent,
	 * because Evolution retries webhooks. Receipts match messages through the
	 * gateway message id given to `recordSent`. A receipt for an unknown id is
	 * ignored, but counted if `recordSent` follows within an hour. The
	 * envelope's `apikey` is never stored or returned.
	 * Throws `ValidationError` for a body that is not an Evolution envelope.
	 */
	async handleEvolutionWebhook(body: unknown): Promise<WebhookOutcome[]> {
		const events = parseEvolutionWebhook(body);
		// The events join the batch in body order, and the script records them in that order.
		return await this.execute(() =>
			Promise.all(events.map((event) => this.applyWebhookEvent(event))),
		);
	}

	private async applyWebhookEvent(event: ParsedWebhookEvent): Promise<WebhookOutcome> {
		if (event.kind === 'ignored') {
			const { kind: _kind, ...outcome } = event;
			return { type: 'ignored', ...outcome };
		}
		const atMs = event.atMs ?? Date.now();
		const base = {
			event: event.event,
			instanceName: event.instanceName,
			messageId: event.messageId,
		};
		if (event.kind === 'inbound') {
			const labels = { intentField: '', sentimentField: '' };
			const result = await this.recorder.inbound(event.phone, event.messageId, labels, atMs);
			if (!result.isCounted) {
				return { type: 'duplicate', ...base, phone: event.phone };
			}
			return {
				type: 'reply',
				...base,
				phone: event.phone,
				...(result.campaignId ? { campaignId: result.campaignId } : {}),
				...(result.isResponse ? { responseTimeSeconds: result.responseMs / 1000 } : {}),
			};
		}

		const receipt = await this.recorder.receipt(event.messageId, event.level, 'webhook', {
			campaignId: '',
			phone: event.phone,
			atMs,
		});
		const known = {
			...base,
			status: event.status,
			phone: receipt.phone || event.phone,
			...(receipt.jobId ? { jobId: receipt.jobId } : {}),
			...(receipt.campaignId ? { campaignId: receipt.campaignId } : {}),
		};
		if (receipt.result === 'unknown' || receipt.result === 'expired') {
			const reason = receipt.result === 'unknown' ? 'unknown_message' : 'expired_message';
			return { type: 'ignored', ...known, reason };
		}
		if (receipt.result === 'duplicate') {
			return { type: 'duplicate', ...known };
		}
		return { type: event.level >= RECEIPT_LEVEL.read ? 'read' : 'delivered', ...known };
	}

	// ---- Reading --------------------------------------------------------------

	/** Returns message counts and rates over `range` (default: all retained data). */
	async getMessageMetrics(range?: TimeRange): Promise<MessageMetrics> {
		const checked = this.reader.prepareRange(range);
		return await this.execute(() => this.reader.messageMetrics(checked));
	}

	/** Returns conversation figures over `range`; `activeConversations` is as of now. */
	async getConversationMetrics(range?: TimeRange): Promise<ConversationMetrics> {
		const checked = this.reader.prepareRange(range);
		return await this.execute(() => this.reader.conversationMetrics(checked));
	}

	/** Returns conversions, revenue and the conversion rate over `range`. */
	async getConversionMetrics(range?: TimeRange): Promise<ConversionMetrics> {
		const checked = this.reader.prepareRange(range);
		return await this.execute(() => this.reader.conversionMetrics(checked));
	}

	/** Returns throughput, processing time and error rate over `range`. */
	async getPerformanceMetrics(range?: TimeRange): Promise<PerformanceMetrics> {
		const checked = this.reader.prepareRange(range);
		return await this.execute(() => this.reader.performanceMetrics(checked));
	}

	/**
	 * Returns a campaign's figures: over all its retained days without
	 * `range`, else over the buckets in `range`. A campaign with no events
	 * has zero counts and null rates.
	 */
	async getCampaignMetrics(campaignId: string, range?: TimeRange): Promise<CampaignMetrics> {
		const request = this.reader.prepareCampaign(campaignId, range);
		return await this.execute(() => this.reader.campaignMetrics(request));
	}

	/**
	 * Builds a report over the current calendar day, week (Monday to Sunday)
	 * or month so far, or with `options.previous` the whole previous one.
	 *
	 * Periods follow `options.timeZone`, by default the configured zone. In the
	 * configured zone, whole days are read from day buckets and are exact. In
	 * another zone, and for a period that ends at a past `options.at`, the
	 * rest is read from UTC hour buckets, each counted when its start lies
	 * inside the period. That is exact for zones with whole-hour offsets. For
	 * other zones the period moves forward by the offset's minutes: with UTC
	 * configured, a day in Asia/Kolkata is read from 00:30 to 00:30 local
	 * time. `coverage` states the time really read. Distinct-contact counts
	 * and `topConversations` use the configured-zone days that overlap the
	 * period.
	 */
	async generateReport(
		period: 'day' | 'week' | 'month',
		options?: ReportOptions,
	): Promise<AnalyticsReport> {
		const request = this.reader.prepareReport(period, options);
		return await this.execute(() => this.reader.report(request));
	}

	/**
	 * Returns `days` daily points ending with the day of `options.end` (today
	 * by default), or with `interval: 'hour'` one point per UTC hour of those
	 * days up to now. Every bucket has a point, zeros included. Counts `sent`
	 * unless `options.metric` names another counter; money metrics are in
	 * your currency. Days in another zone than the configured one follow the
	 * rule of `generateReport`.
	 */
	async getMessageTimeSeries(
		days: number,
		options?: TimeSeriesOptions,
	): Promise<TimeSeriesPoint[]> {
		const request = this.reader.prepareSeries(days, options);
		return await this.execute(() => this.reader.timeSeries(request));
	}

	/**
	 * Deletes buckets that ended more than `days` days ago, campaigns with no
	 * newer bucket, and ends timed-out conversations. Uses no KEYS or SCAN:
	 * global bucket names are computed from their time, campaign buckets are
	 * listed per campaign. Per-message state is not touched; it expires by its
	 * own TTL. Buckets expire after `retentionDays` without this call.
	 */
	async cleanup(days: number): Promise<CleanupResult> {
		const checked = checkWholeNumber(days, 'days', 1, 3650);
		return await this.execute(() =>
			cleanupOlderThan(checked, {
				client: this.client,
				keys: this.keys,
				options: this.options,
				recorder: this.recorder,
				nowMs: Date.now(),
			}),
		);
	}

	// ---- Lifecycle ------------------------------------------------------------

	/**
	 * Writes the events still waiting in a batch, then closes the Redis
	 * connection. Idempotent; later calls throw `QueueClosedError`.
	 */
	async close(): Promise<void> {
		if (!this.closing) {
			this.closing = this.recorder.close().then(() => this.closeClient());
		}
		await this.closing;
	}

	private async closeClient(): Promise<void> {
		if (this.client.status === 'ready') {
			try {
				await this.client.quit();
				return;
			} catch {
				// The connection dropped while quitting; disconnect below.
			}
		}
		this.client.disconnect();
	}

	private inputContext(): InputContext {
		return { timeZone: this.options.timeZone, nowMs: Date.now() };
	}

	/** Connects if needed, runs `work`, and turns connection failures into `RedisUnavailableError`. */
	private execute<T>(work: () => Promise<T>): Promise<T> {
		if (this.closing) {
			return Promise.reject(new QueueClosedError('analytics manager'));
		}
		// The worker path calls this per event, so a ready client skips the connect step.
		const ready = this.client.status === 'ready' ? work() : this.ensureConnected().then(work);
		return ready.catch((error: unknown) => {
			throw this.toPublicError(error);
		});
	}

	private toPublicError(error: unknown): unknown {
		if (error instanceof ValidationError || error instanceof RedisUnavailableError) {
			return error;
		}
		return isConnectionError(error) ? toRedisUnavailableError(error, this.redisConfig) : error;
	}

	private async ensureConnected(): Promise<void> {
		if (this.client.status === 'ready') {
			return;
		}
		if (!this.connecting) {
			this.connecting = connectRedis(this.client, this.redisConfig)
				.then(() => this.checkStoredTimeZone())
				.finally(() => {
					this.connecting = undefined;
				});
		}
		await this.connecting;
	}

	/**
	 * Stores the zone of the day buckets with the data, and warns when it
	 * differs: day buckets written before the change use the old zone's days.
	 */
	private async checkStoredTimeZone(): Promise<void> {
		const key = this.keys.meta();
		await this.client.hsetnx(key, 'timeZone', this.options.timeZone);
		const stored = await this.client.hget(key, 'timeZone');
		if (stored !== this.options.timeZone) {
			this.logger.warn('Analytics time zone differs from the zone of the stored day buckets.', {
				timeZone: this.options.timeZone,
				storedTimeZone: stored,
			});
		}
	}

	/** Logs each change of connection error once, not every reconnect attempt. */
	private onConnectionError(error: unknown): void {
		const description = describeError(error);
		const text = String(description.errorCode ?? description.errorMessage);
		if (text !== this.lastConnectionError) {
			this.lastConnectionError = text;
			this.logger.warn('Analytics Redis connection failed; reconnecting in the background.', {
				target: describeRedisTarget(this.redisConfig),
				...description,
			});
		}
	}
}

/** Returns the ids of a split text's parts other than `messageId`. */
function checkPartIds(messageIds: unknown, messageId: string): string[] {
	if (messageIds === undefined) {
		return [];
	}
	if (!Array.isArray(messageIds)) {
		throw new ValidationError([
			{ path: 'messageIds', message: 'Invalid messageIds: pass an array of gateway message ids.' },
		]);
	}
	const ids = messageIds.map((id, index) => checkId(id, `messageIds[${index}]`));
	return [...new Set(ids)].filter((id) => id !== messageId);
}

function checkIntent(intent: unknown): string {
	if (typeof intent !== 'string' || !INTENT_PATTERN.test(intent.trim())) {
		throw new ValidationError([
			{
				path: 'meta.intent',
				message: `Invalid meta.intent ${JSON.stringify(intent)}. Use 1 to 64 letters, digits, spaces or "_.:/-".`,
			},
		]);
	}
	return intent.trim();
}

/** Creates an analytics manager; see `AnalyticsManagerOptions` for the defaults. */
export function createAnalyticsManager(options: AnalyticsManagerOptions = {}): AnalyticsManager {
	return new AnalyticsManager(options);
}

let sharedManager: AnalyticsManager | undefined;

/**
 * Returns one analytics manager shared by the process, configured from the
 * environment (see `readAnalyticsEnv`). After it is closed, the next call
 * creates a new one. Throws `ConfigError` for an invalid variable.
 */
export function getAnalyticsManager(): AnalyticsManager {
	if (!sharedManager || sharedManager.isClosed) {
		sharedManager = createAnalyticsManager(readAnalyticsEnv(process.env));
	}
	return sharedManager;
}
