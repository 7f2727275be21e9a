/**
 * Durable message events for the n8n trigger: one Redis stream per event
 * type, written by the worker and read through consumer groups. Events wait
 * in Redis while no workflow listens, up to a length cap per type.
 *
 * All streams of one prefix share the hash tag `{events}`, so a reader may read
 * several types in one XREADGROUP on Redis Cluster too.
 */

import type { Redis } from 'ioredis';

import { describeError, type Logger } from '../logger';
import type { NormalizedMessage } from '../message';
import type { DeliveryObserver, MessageEvent } from '../delivery/observer';

/** Event types, in the order the trigger lists them. */
export const EVENT_TYPES = [
	'message.dead_lettered',
	'message.retrying',
	'message.sent',
	'message.delivered',
	'message.read',
	'message.replied',
	'queue.drained',
	'instance.paused',
] as const;

/** An event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** One event as written to and read from a stream. */
export interface TriggerEvent {
	type: EventType;
	instanceName: string;
	/** When it happened, ISO 8601. */
	timestamp: string;
	/** Public job id, `<instance>:<id>`, for message events. */
	jobId?: string;
	campaignId?: string;
	contactId?: string;
	phone?: string;
	messageType?: string;
	/** Gateway message id. */
	messageId?: string;
	/** Attempts made so far. */
	attempts?: number;
	/** Attempts allowed, for retry events. */
	maxAttempts?: number;
	/** When the next attempt is due, ISO 8601, for retry events. */
	nextAttemptAt?: string;
	error?: string;
	reason?: string;
	statusCode?: number;
	/** The gateway's response body, for failures. */
	gatewayResponse?: unknown;
	/** The queued message, for failures and retries. */
	message?: NormalizedMessage;
	/** Text of an inbound reply. */
	text?: string;
}

/** A read event with its stream entry id, needed to acknowledge it. */
export interface StoredEvent extends TriggerEvent {
	/** Stream entry id, such as `1733000000000-0`. */
	id: string;
}

/**
 * Most events kept per type. At 80 messages per minute per instance this is
 * about 20 instance-hours of `message.sent`, and far more of the rarer types.
 * @defaultValue `100000`
 */
export const DEFAULT_EVENT_MAX_LENGTH = 100_000;

/** Name of the stream of one event type. */
export function eventStreamKey(prefix: string, type: EventType): string {
	return `${prefix}:{events}:${type}`;
}

/** `message.sent` events wait at most this long, in ms, to be written together. */
const SENT_BATCH_DELAY_MS = 20;

/** A `message.sent` batch is written at once when it reaches this size. */
const SENT_BATCH_SIZE = 100;

/**
 * Writes events; as a `DeliveryObserver` it records the worker's sent, retry,
 * dead-letter and drain events. `message.sent`, one per message, is written in
 * batches of up to 100 events or 20 ms, in one pipeline each, and `flush()`
 * writes what is waiting. The rarer types are written at once.
 */
export class EventPublisher implements DeliveryObserver {
	private pending: TriggerEvent[] = [];
	private flushTimer?: NodeJS.Timeout;
	private flushing: Promise<void> = Promise.resolve();

	constructor(
		private readonly client: Redis,
		private readonly prefix: string,
		private readonly logger: Logger,
		private readonly maxLength = DEFAULT_EVENT_MAX_LENGTH,
	) {}

	/** Queues an event for the next batch; a crash loses at most one batch window. */
	private enqueue(event: TriggerEvent): void {
		this.pending.push(event);
		if (this.pending.length >= SENT_BATCH_SIZE) {
			void this.flush();
		} else {
			this.flushTimer ??= setTimeout(() => void this.flush(), SENT_BATCH_DELAY_MS);
		}
	}

	/** Writes every queued event; resolves when they are in Redis or the failure was logged. */
	async flush(): Promise<void> {
		clearTimeout(this.flushTimer);
		this.flushTimer = undefined;
		const batch = this.pending;
		this.pending = [];
		if (batch.length > 0) {
			this.flushing = this.flushing.then(() => this.publishMany(batch)).catch((error) => {
				this.logger.error('Failed to write trigger events.', { count: batch.length, ...describeError(error) });
			});
		}
		await this.flushing;
	}

	/** Appends one event to the stream of its type. */
	async publish(event: TriggerEvent): Promise<string | null> {
		return await this.client.xadd(
			eventStreamKey(this.prefix, event.type),
			'MAXLEN',
			'~',
			this.maxLength,
			'*',
			'event',
			JSON.stringify(event),
		);
	}

	/** Appends several events in one round trip. */
	async publishMany(events: TriggerEvent[]): Promise<void> {
		if (events.length === 0) {
			return;
		}
		const pipeline = this.client.pipeline();
		for (const event of events) {
			pipeline.xadd(eventStreamKey(this.prefix, event.type), 'MAXLEN', '~', this.maxLength, '*', 'event', JSON.stringify(event));
		}
		const results = await pipeline.exec();
		const failed = results?.find(([error]) => error);
		if (failed?.[0]) {
			this.logger.error('Failed to write trigger events.', describeError(failed[0]));
		}
	}

	private base(type: EventType, event: MessageEvent): TriggerEvent {
		const result: TriggerEvent = {
			type,
			instanceName: event.instanceName,
			timestamp: new Date(event.timestamp).toISOString(),
			jobId: event.jobId,
			phone: event.phone,
			messageType: event.messageType,
		};
		if (event.campaignId !== undefined) {
			result.campaignId = event.campaignId;
		}
		if (event.contactId !== undefined) {
			result.contactId = event.contactId;
		}
		return result;
	}

	async onSent(event: Parameters<NonNullable<DeliveryObserver['onSent']>>[0]): Promise<void> {
		this.enqueue({ ...this.base('message.sent', event), messageId: event.messageId, attempts: event.attempts });
	}

	async onAttemptFailed(event: Parameters<NonNullable<DeliveryObserver['onAttemptFailed']>>[0]): Promise<void> {
		await this.publish({
			...this.base('message.retrying', event),
			attempts: event.attempt,
			maxAttempts: event.attempts,
			nextAttemptAt: new Date(event.nextAttemptAt).toISOString(),
			error: event.error,
			reason: event.reason,
			statusCode: event.statusCode,
			message: event.message,
		});
	}

	async onDeadLettered(event: Parameters<NonNullable<DeliveryObserver['onDeadLettered']>>[0]): Promise<void> {
		await this.publish({
			...this.base('message.dead_lettered', event),
			attempts: event.attempts,
			error: event.error,
			reason: event.reason,
			statusCode: event.statusCode,
			gatewayResponse: event.gatewayResponse,
			message: event.message,
		});
	}

	async onDrained(instanceName: string, timestamp: number): Promise<void> {
		await this.publish({ type: 'queue.drained', instanceName, timestamp: new Date(timestamp).toISOString() });
	}
}

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

/**
 * Parses a multi-stream read into events ordered by entry id. Events of one
 * type keep their order. Each stream numbers its entries on its own, so two
 * events of different types written in the same millisecond may come in
 * either order.
 */
function parseEntries(reply: StreamReply): StoredEvent[] {
	const events: StoredEvent[] = [];
	for (const [, entries] of reply ?? []) {
		for (const [id, fields] of entries) {
			const index = fields.indexOf('event');
			if (index >= 0) {
				events.push({ ...(JSON.parse(fields[index + 1]) as TriggerEvent), id });
			}
		}
	}
	return events.sort((a, b) => compareIds(a.id, b.id));
}

function compareIds(a: string, b: string): number {
	const [aMs, aSeq] = a.split('-').map(Number);
	const [bMs, bSeq] = b.split('-').map(Number);
	return aMs - bMs || aSeq - bSeq;
}

/** Reads events for one consumer group, as an active trigger does. */
export class EventGroupReader {
	private readonly keys: string[];

	/**
	 * @param group - Consumer group, one per workflow and trigger node.
	 * @param consumer - This process's name within the group.
	 */
	constructor(
		private readonly client: Redis,
		prefix: string,
		private readonly types: readonly EventType[],
		readonly group: string,
		readonly consumer: string,
	) {
		this.keys = types.map((type) => eventStreamKey(prefix, type));
	}

	/**
	 * Creates the group on every stream if it does not exist yet. A new group
	 * starts at the end of each stream. An existing one keeps its position, so
	 * events written while the workflow was inactive are read next.
	 */
	async ensureGroup(): Promise<void> {
		for (const key of this.keys) {
			try {
				await this.client.xgroup('CREATE', key, this.group, '$', 'MKSTREAM');
			} catch (error) {
				if (!String((error as Error).message).includes('BUSYGROUP')) {
					throw error;
				}
			}
		}
	}

	/**
	 * Reads up to `count` events not yet delivered to the group, waiting up to
	 * `blockMs` for one. Events stay pending until `ack`.
	 */
	async read(count: number, blockMs: number): Promise<StoredEvent[]> {
		const reply = (await this.client.xreadgroup(
			'GROUP',
			this.group,
			this.consumer,
			'COUNT',
			count,
			'BLOCK',
			blockMs,
			'STREAMS',
			...this.keys,
			...this.keys.map(() => '>'),
		)) as StreamReply;
		return parseEntries(reply);
	}

	/**
	 * Takes over events that another consumer of the group read but did not
	 * acknowledge within `minIdleMs`, such as those of a crashed n8n process.
	 */
	async claimStale(minIdleMs: number, count: number): Promise<StoredEvent[]> {
		const claimed: StoredEvent[] = [];
		for (const key of this.keys) {
			const [, entries] = (await this.client.xautoclaim(key, this.group, this.consumer, minIdleMs, '0-0', 'COUNT', count)) as [
				string,
				Array<[string, string[]] | null>,
				string[]?,
			];
			claimed.push(...parseEntries([[key, entries.filter((entry): entry is [string, string[]] => entry !== null)]]));
		}
		return claimed;
	}

	/** Acknowledges events once they were handed to the workflow. */
	async ack(events: StoredEvent[]): Promise<void> {
		for (const type of this.types) {
			const ids = events.filter((event) => event.type === type).map((event) => event.id);
			if (ids.length > 0) {
				await this.client.xack(this.keys[this.types.indexOf(type)], this.group, ...ids);
			}
		}
	}
}

/**
 * Reads only events written from now on, without a consumer group, so it
 * takes nothing from active workflows. Used by "listen for test event".
 */
export class EventTailReader {
	private readonly keys: string[];
	private lastIds: string[];

	constructor(
		private readonly client: Redis,
		prefix: string,
		types: readonly EventType[],
	) {
		this.keys = types.map((type) => eventStreamKey(prefix, type));
		this.lastIds = this.keys.map(() => '$');
	}

	/**
	 * Marks the current end of every stream, so `read` returns every event
	 * written after this call, even one written before `read` is sent.
	 */
	async start(): Promise<void> {
		this.lastIds = await Promise.all(
			this.keys.map(async (key) => {
				const [last] = (await this.client.xrevrange(key, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
				return last ? last[0] : '0-0';
			}),
		);
	}

	/** Waits up to `blockMs` for events written after `start()`. */
	async read(count: number, blockMs: number): Promise<StoredEvent[]> {
		const reply = (await this.client.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...this.keys, ...this.lastIds)) as StreamReply;
		for (const [key, entries] of reply ?? []) {
			const last = entries[entries.length - 1];
			if (last) {
				this.lastIds[this.keys.indexOf(key)] = last[0];
			}
		}
		return parseEntries(reply);
	}
}
