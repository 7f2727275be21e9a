/**
 * The state of one message, read from its BullMQ job and the dead-letter queue.
 */

import { Job } from 'bullmq';
import type { Redis } from 'ioredis';

import { fromBullPriority } from '../config';
import type { NormalizedMessage, Priority } from '../message';
import { toPublicJobId, type QueueKeys } from '../redis/keys';
import type { DeadLetterQueue } from './deadLetterQueue';
import type { InstanceQueues } from './instanceQueues';
import { expandJobData, type MessageJobData, type MessageJobResult } from './jobData';

/**
 * State of a message:
 * - `waiting`: queued, due now.
 * - `delayed`: scheduled for later, or waiting for its next attempt.
 * - `paused`: queued in a paused instance.
 * - `active`: being sent.
 * - `completed`: the gateway accepted it.
 * - `dead-lettered`: failed for good; see the dead-letter queue.
 * - `failed`: failed for good without a dead-letter entry (the entry was removed).
 * - `unknown`: no such job, or it was cleaned.
 */
export type MessageState =
	| 'waiting'
	| 'delayed'
	| 'paused'
	| 'active'
	| 'completed'
	| 'dead-lettered'
	| 'failed'
	| 'unknown';

/** Result of `getStatus`. */
export interface MessageStatus {
	id: string;
	instanceName: string;
	state: MessageState;
	priority?: Priority;
	/** Attempts made so far. */
	attemptsMade: number;
	/** Gateway message id once the gateway accepted the message. */
	gatewayMessageId?: string;
	/** The last error, while retrying or after failing. */
	error?: string;
	message?: NormalizedMessage;
	createdAt?: string;
	/** When a delayed message is due. */
	scheduledAt?: string;
	processedAt?: string;
	finishedAt?: string;
	result?: MessageJobResult;
}

/** Dependencies of the state readers. */
export interface StatusContext {
	client: Redis;
	keys: QueueKeys;
	queues: InstanceQueues;
	deadLetters: DeadLetterQueue;
}

/** Maps BullMQ's job state and our dead-letter entry to a message state. */
function toMessageState(bullState: string, isPaused: boolean, isDeadLettered: boolean): MessageState {
	if (isDeadLettered && (bullState === 'failed' || bullState === 'unknown')) {
		return 'dead-lettered';
	}
	switch (bullState) {
		case 'waiting':
		case 'prioritized':
		case 'wait':
			return isPaused ? 'paused' : 'waiting';
		case 'delayed':
		case 'active':
		case 'completed':
		case 'failed':
			return bullState;
		default:
			return 'unknown';
	}
}

/** Reads the state of one job. */
export async function readMessageState(
	context: StatusContext,
	instanceName: string,
	internalId: string,
): Promise<MessageState> {
	const queue = context.queues.get(instanceName);
	const [bullState, isPaused, isDeadLettered] = await Promise.all([
		queue.getJobState(internalId),
		context.client.hexists(context.keys.bullKey(instanceName, 'meta'), 'paused'),
		context.deadLetters.has(instanceName, internalId),
	]);
	return toMessageState(bullState, isPaused === 1, isDeadLettered);
}

function isoOrUndefined(epochMs: number | undefined): string | undefined {
	return epochMs ? new Date(epochMs).toISOString() : undefined;
}

/** When a delayed job is due; BullMQ scores it as due time in ms * 4096 plus a counter. */
async function readDueTime(
	context: StatusContext,
	instanceName: string,
	internalId: string,
): Promise<string | undefined> {
	const score = await context.client.zscore(context.keys.bullKey(instanceName, 'delayed'), internalId);
	return score === null ? undefined : new Date(Math.floor(Number(score) / 4096)).toISOString();
}

/** Reads the full status of one job. */
export async function readMessageStatus(
	context: StatusContext,
	instanceName: string,
	internalId: string,
): Promise<MessageStatus> {
	const queue = context.queues.get(instanceName);
	const [job, state, entry] = await Promise.all([
		Job.fromId<MessageJobData, MessageJobResult>(queue, internalId),
		readMessageState(context, instanceName, internalId),
		context.deadLetters.get(instanceName, internalId),
	]);
	const status: MessageStatus = {
		id: toPublicJobId(instanceName, internalId),
		instanceName,
		state,
		attemptsMade: job?.attemptsMade ?? entry?.attempts ?? 0,
	};
	if (job) {
		status.message = expandJobData(job.data, instanceName).message;
		status.priority = fromBullPriority(job.priority);
		status.createdAt = isoOrUndefined(job.timestamp);
		status.processedAt = isoOrUndefined(job.processedOn);
		status.finishedAt = isoOrUndefined(job.finishedOn);
		if (state === 'delayed') {
			status.scheduledAt = await readDueTime(context, instanceName, internalId);
		}
		if (job.returnvalue) {
			status.result = job.returnvalue;
			status.gatewayMessageId = job.returnvalue.messageId;
		}
		if (job.failedReason && state !== 'completed') {
			status.error = job.failedReason;
		}
	} else if (entry) {
		status.message = entry.message;
		status.priority = entry.message?.metadata.priority;
	}
	if (entry) {
		status.error = entry.error;
		status.finishedAt = entry.failedAt;
	}
	return status;
}
