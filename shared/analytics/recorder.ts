/**
 * Turns validated events into operations of the recording script and
 * records them in batches: calls made close together share one EVALSHA (see
 * `Batcher`). The manager validates arguments first.
 */

import type { Redis } from 'ioredis';

import { Batcher, type BatcherOptions } from './batcher';
import { eventBucketsAt } from './buckets';
import type { ResolvedAnalyticsOptions } from './config';
import { toMicros } from './counters';
import type { AnalyticsKeys } from './keys';
import { OP } from './scriptEvents';
import {
	packBatch,
	runRecordScript,
	runSweepScript,
	type BatchContext,
	type ScriptEvent,
} from './scripts';

/** A message as the scripts see it; absent ids are `''`. */
export interface MessageRef {
	jobId: string;
	/** Gateway message id. */
	messageId: string;
	phone: string;
	campaignId: string;
	instanceName: string;
	/** Time of the event, epoch ms. */
	atMs: number;
}

/** Gateway receipt levels, in the order a message moves through them. */
export const RECEIPT_LEVEL = { sent: 2, delivered: 3, read: 4 } as const;

/** Result of a receipt: counted, nothing new, unknown id, or expired state. */
export interface ReceiptResult {
	result: 'counted' | 'duplicate' | 'unknown' | 'expired';
	jobId: string;
	campaignId: string;
	phone: string;
}

/** Result of an inbound message. */
export interface InboundResult {
	isCounted: boolean;
	isResponse: boolean;
	campaignId: string;
	responseMs: number;
}

const RECEIPT_RESULTS: Record<number, ReceiptResult['result']> = {
	1: 'counted',
	0: 'duplicate',
	[-1]: 'unknown',
	[-2]: 'expired',
};

/** Pairs of counter field and amount. */
export type CounterUpdates = [field: string, amount: number][];

/** Records events through the recording script, in batches. */
export class Recorder {
	private readonly batcher: Batcher<ScriptEvent, unknown>;

	/**
	 * `toPublicError` turns a failed batch's error into the one error every
	 * caller of the batch is rejected with.
	 */
	constructor(
		private readonly client: Redis,
		private readonly keys: AnalyticsKeys,
		private readonly options: ResolvedAnalyticsOptions,
		private readonly now: () => number,
		toPublicError: (error: unknown) => unknown,
	) {
		const batching: BatcherOptions = {
			maxSize: options.batchSize,
			delayMs: options.batchDelayMs,
		};
		const write = (events: ScriptEvent[]) =>
			this.writeBatch(events).catch((error: unknown) => {
				throw toPublicError(error);
			});
		this.batcher = new Batcher(write, batching);
	}

	/** Records queued messages; returns how many were new. */
	async queued(messages: MessageRef[]): Promise<number> {
		return await this.submitEach(OP.queued, messages);
	}

	/** Records cancelled messages; returns how many were new. */
	async cancelled(messages: MessageRef[]): Promise<number> {
		return await this.submitEach(OP.cancelled, messages);
	}

	/**
	 * Submits one `op` event per message, with the fields that queued and
	 * cancelled events share. Returns how many were new.
	 */
	private async submitEach(
		op: typeof OP.queued | typeof OP.cancelled,
		messages: MessageRef[],
	): Promise<number> {
		const replies = messages.map((message) =>
			this.submit(op, message.atMs, [
				message.jobId,
				message.phone,
				message.campaignId,
				message.instanceName,
			]),
		);
		return countOnes(await Promise.all(replies));
	}

	/**
	 * Records a send. State is kept per job id, else per gateway message id;
	 * without either the send is counted every time. Returns whether it counted.
	 */
	async sent(
		message: MessageRef,
		processingMs: number | undefined,
		attempts: number | undefined,
		partMessageIds: string[] = [],
	): Promise<boolean> {
		const reply = await this.submit(OP.sent, message.atMs, [
			message.jobId,
			message.messageId,
			message.phone,
			message.campaignId,
			message.instanceName,
			processingMs === undefined ? -1 : Math.round(processingMs),
			attempts ?? 0,
			...partMessageIds,
		]);
		return reply === 1;
	}

	/** Records a failed attempt that will be retried; returns the retries counted. */
	async attemptFailed(message: MessageRef, attempt: number): Promise<number> {
		const fields = [message.jobId, message.campaignId, attempt];
		return (await this.submit(OP.attemptFailed, message.atMs, fields)) as number;
	}

	/** Records a final failure; returns 1 counted, 0 already failed, -1 already sent. */
	async deadLettered(message: MessageRef, attempts: number | undefined): Promise<number> {
		return (await this.submit(OP.deadLettered, message.atMs, [
			message.jobId,
			message.messageId,
			message.phone,
			message.campaignId,
			message.instanceName,
			attempts ?? 0,
		])) as number;
	}

	/** Records a retry from the dead-letter queue; returns whether a failure was undone. */
	async requeued(message: MessageRef): Promise<boolean> {
		const fields = [message.jobId, message.campaignId];
		return (await this.submit(OP.requeued, message.atMs, fields)) === 1;
	}

	/** Records a receipt for a gateway message id. */
	async receipt(
		messageId: string,
		level: number,
		mode: 'webhook' | 'manual',
		details: { campaignId: string; phone: string; atMs: number },
	): Promise<ReceiptResult> {
		const [code, stateKey, campaignId, phone] = (await this.submit(OP.receipt, details.atMs, [
			messageId,
			level,
			mode,
			details.campaignId,
			details.phone,
		])) as [number, string, string, string];
		return {
			result: RECEIPT_RESULTS[code] ?? 'duplicate',
			jobId: this.keys.jobIdOf(stateKey) ?? '',
			campaignId,
			phone,
		};
	}

	/** Records an inbound message, and a response when it replies to an outbound one. */
	async inbound(
		phone: string,
		inboundId: string,
		labels: { intentField: string; sentimentField: string },
		atMs: number,
	): Promise<InboundResult> {
		const reply = (await this.submit(OP.inbound, atMs, [
			phone,
			inboundId,
			labels.intentField,
			labels.sentimentField,
		])) as [number, number, string, number];
		return {
			isCounted: reply[0] === 1,
			isResponse: reply[1] === 1,
			campaignId: reply[2],
			responseMs: reply[3],
		};
	}

	/** Starts, ends or hands off a contact's conversation; returns whether it counted. */
	async conversation(
		phone: string,
		action: 'start' | 'end' | 'handoff',
		detail: string,
		atMs: number,
	): Promise<boolean> {
		return (await this.submit(OP.conversation, atMs, [phone, action, detail])) === 1;
	}

	/** Adds plain counters to the event's buckets, globally and for the campaign. */
	async count(
		campaignId: string,
		withGlobal: boolean,
		updates: CounterUpdates,
		atMs: number,
	): Promise<void> {
		const fields: (string | number)[] = [campaignId, withGlobal ? '1' : '0'];
		for (const [field, amount] of updates) {
			if (amount !== 0) {
				fields.push(field, amount);
			}
		}
		if (fields.length > 2) {
			await this.submit(OP.count, atMs, fields);
		}
	}

	/** Ends up to `limit` conversations that have timed out; returns how many it looked at. */
	async sweepConversations(limit: number): Promise<number> {
		return await runSweepScript(this.client, this.keys.meta(), this.batchContext(), limit);
	}

	/** Writes what is pending. Later events are rejected with `QueueClosedError`. */
	async close(): Promise<void> {
		await this.batcher.close();
	}

	private submit(op: ScriptEvent['op'], atMs: number, fields: (string | number)[]) {
		return this.batcher.add({ op, atMs, fields });
	}

	private batchContext(): BatchContext {
		return {
			base: this.keys.base,
			nowMs: this.now(),
			retentionSeconds: this.options.retentionDays * 24 * 3600,
			stateTtlSeconds: this.options.messageTtlSeconds,
			conversationTimeoutMs: this.options.conversationTimeoutSeconds * 1000,
			defaultCostMicros: toMicros(this.options.costPerMessage),
		};
	}

	private async writeBatch(events: ScriptEvent[]): Promise<unknown[]> {
		const context = this.batchContext();
		const { timeZone, retentionDays } = this.options;
		const packed = packBatch(context, events, (atMs) =>
			eventBucketsAt(atMs, timeZone, retentionDays, context.nowMs),
		);
		return await runRecordScript(this.client, this.keys.meta(), packed);
	}
}

function countOnes(replies: unknown[]): number {
	return replies.filter((reply) => reply === 1).length;
}
