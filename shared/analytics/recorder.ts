/**
 * Runs the recording scripts for validated events: one EVALSHA per event,
 * and one pipeline for a batch. The manager validates arguments first.
 */

import type { ChainableCommander, Redis } from 'ioredis';

import { eventBucketsAt } from './buckets';
import type { ResolvedAnalyticsOptions } from './config';
import { toMicros } from './counters';
import type { AnalyticsKeys } from './keys';
import { queueScript, runScript, type ScriptContext, type ScriptName } from './scripts';

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

/** Records events through the Lua scripts. */
export class Recorder {
	constructor(
		private readonly client: Redis,
		private readonly keys: AnalyticsKeys,
		private readonly options: ResolvedAnalyticsOptions,
		private readonly now: () => number,
	) {}

	/** Builds the common script arguments for an event at `atMs`. */
	context(atMs: number): ScriptContext {
		const nowMs = this.now();
		const buckets = eventBucketsAt(atMs, this.options.timeZone, this.options.retentionDays, nowMs);
		return {
			base: this.keys.base,
			nowMs,
			atMs,
			...buckets,
			retentionSeconds: this.options.retentionDays * 24 * 3600,
			stateTtlSeconds: this.options.messageTtlSeconds,
			conversationTimeoutMs: this.options.conversationTimeoutSeconds * 1000,
		};
	}

	/** Records queued messages; returns how many were new. */
	async queued(messages: MessageRef[]): Promise<number> {
		const results = await this.runBatch(messages, (pipeline, message) => {
			queueScript(
				pipeline,
				'waaQueued',
				this.keys.message(message.jobId),
				this.context(message.atMs),
				[message.phone, message.campaignId, message.instanceName],
			);
		});
		return results.filter((result) => result === 1).length;
	}

	/** Records cancelled messages; returns how many were new. */
	async cancelled(messages: MessageRef[]): Promise<number> {
		const results = await this.runBatch(messages, (pipeline, message) => {
			queueScript(
				pipeline,
				'waaCancelled',
				this.keys.message(message.jobId),
				this.context(message.atMs),
				[message.phone, message.campaignId, message.instanceName],
			);
		});
		return results.filter((result) => result === 1).length;
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
		const { mode, key } = this.stateOf(message);
		const reply = (await this.run('waaSent', key, message.atMs, [
			mode,
			message.messageId,
			message.phone,
			message.campaignId,
			message.instanceName,
			processingMs === undefined ? -1 : Math.round(processingMs),
			attempts ?? 0,
			toMicros(this.options.costPerMessage),
			...partMessageIds,
		])) as [number, string];
		return reply[0] === 1;
	}

	/** Records a failed attempt that will be retried; returns the retries counted. */
	async attemptFailed(message: MessageRef, attempt: number): Promise<number> {
		const key = this.keys.message(message.jobId);
		return (await this.run('waaAttemptFailed', key, message.atMs, [
			message.campaignId,
			attempt,
		])) as number;
	}

	/** Records a final failure; returns 1 counted, 0 already failed, -1 already sent. */
	async deadLettered(message: MessageRef, attempts: number | undefined): Promise<number> {
		const { mode, key } = this.stateOf(message);
		return (await this.run('waaDeadLettered', key, message.atMs, [
			mode,
			message.phone,
			message.campaignId,
			message.instanceName,
			attempts ?? 0,
		])) as number;
	}

	/** Records a retry from the dead-letter queue; returns whether a failure was undone. */
	async requeued(message: MessageRef): Promise<boolean> {
		const key = this.keys.message(message.jobId);
		return (await this.run('waaRequeued', key, message.atMs, [message.campaignId])) === 1;
	}

	/** Records a receipt for a gateway message id. */
	async receipt(
		messageId: string,
		level: number,
		mode: 'webhook' | 'manual',
		details: { campaignId: string; phone: string; atMs: number },
	): Promise<ReceiptResult> {
		const key = this.keys.gatewayMessage(messageId);
		const [code, stateKey, campaignId, phone] = (await this.run('waaReceipt', key, details.atMs, [
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
		const reply = (await this.run('waaInbound', this.keys.contact(phone), atMs, [
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
		const key = this.keys.contact(phone);
		return (await this.run('waaConversation', key, atMs, [phone, action, detail])) === 1;
	}

	/** Adds plain counters to the event's buckets, globally and for the campaign. */
	async count(
		campaignId: string,
		withGlobal: boolean,
		updates: CounterUpdates,
		atMs: number,
	): Promise<void> {
		const args: (string | number)[] = [campaignId, withGlobal ? '1' : '0'];
		for (const [field, amount] of updates) {
			if (amount !== 0) {
				args.push(field, amount);
			}
		}
		if (args.length > 2) {
			await this.run('waaCount', this.keys.meta(), atMs, args);
		}
	}

	/** Ends up to `limit` conversations that have timed out; returns how many it looked at. */
	async sweepConversations(limit: number): Promise<number> {
		const key = this.keys.activeConversations();
		return (await this.run('waaSweep', key, this.now(), [limit])) as number;
	}

	private stateOf(message: MessageRef): { mode: string; key: string } {
		if (message.jobId) {
			return { mode: 'job', key: this.keys.message(message.jobId) };
		}
		if (message.messageId) {
			return { mode: 'gateway', key: this.keys.gatewayState(message.messageId) };
		}
		return { mode: 'none', key: this.keys.meta() };
	}

	private run(
		name: ScriptName,
		key: string,
		atMs: number,
		args: (string | number)[],
	): Promise<unknown> {
		return runScript(this.client, name, key, this.context(atMs), args);
	}

	private async runBatch<T>(
		items: T[],
		queue: (pipeline: ChainableCommander, item: T) => void,
	): Promise<unknown[]> {
		if (items.length === 0) {
			return [];
		}
		const pipeline = this.client.pipeline();
		for (const item of items) {
			queue(pipeline, item);
		}
		const replies = (await pipeline.exec()) ?? [];
		return replies.map(([error, result]) => {
			if (error) {
				throw error;
			}
			return result;
		});
	}
}
