/**
 * Data stored on message jobs in BullMQ, and the job id scheme.
 */

import { createHash, randomBytes } from 'node:crypto';

import type { BackoffConfig } from '../config';
import type { NormalizedMessage, Priority } from '../message';

/** The `data` of a message job. */
export interface MessageJobData {
	message: NormalizedMessage;
	/** Retry policy pinned by the producer; the worker's own applies when absent. */
	retry?: { attempts: number; backoff: BackoffConfig };
	/** Schedule as the caller gave it: the absolute time and the zone it was read in. */
	schedule?: { at: string; timeZone?: string };
	/** Random token of the call that enqueued the job, to tell a duplicate from a new add. */
	submissionId?: string;
	/** How many times a 429 from the gateway put the job back. */
	rateLimitedCount?: number;
}

/**
 * Returns the data as stored in Redis: without the instance name (the queue
 * gives it), without `recipientInput` when it equals the normalised number,
 * and without the default priority. That keeps each job about 60 bytes
 * smaller. `expandJobData` restores the fields.
 */
export function compactJobData(data: MessageJobData): MessageJobData {
	const { instanceName: _instanceName, ...message } = data.message;
	const stored = { ...message } as Partial<NormalizedMessage>;
	if (stored.recipientInput === stored.recipientPhone) {
		delete stored.recipientInput;
	}
	if (message.metadata.priority === 'normal') {
		const { priority: _priority, ...metadata } = message.metadata;
		stored.metadata = metadata as NormalizedMessage['metadata'];
	}
	return { ...data, message: stored as NormalizedMessage };
}

/** Restores the fields `compactJobData` left out, in place, and returns the data. */
export function expandJobData(data: MessageJobData, instanceName: string): MessageJobData {
	const message = data.message as Partial<NormalizedMessage>;
	message.instanceName ??= instanceName;
	message.recipientInput ??= message.recipientPhone;
	message.metadata = { ...message.metadata, priority: message.metadata?.priority ?? 'normal' };
	return data;
}

/** Return value of a completed job: the gateway's ids of what it sent. */
export interface MessageJobResult {
	/** Gateway message id; the first part's id when a text was split. */
	messageId: string;
	/** Every part's gateway message id, in order, when a text was split. */
	messageIds?: string[];
	/** Status the gateway reported, such as `PENDING`: accepted, not yet delivered. */
	status: string;
	remoteJid?: string;
	/** When the gateway accepted the message, ISO 8601. */
	sentAt: string;
}

/** Job hash field that records a part the gateway accepted, before the job completes. */
export function acceptedPartField(part: number): string {
	return `waSent${part}`;
}

/**
 * Returns a new BullMQ job id: `m` and 64 random bits in 13 base-36 characters. Ids
 * are never plain integers, which BullMQ reserves for its own counter.
 */
export function newInternalJobId(): string {
	const value = randomBytes(8).readBigUInt64BE(0);
	return `m${value.toString(36).padStart(13, '0')}`;
}

/** Returns the job id for an idempotency key; the same key always gives the same id. */
export function idempotentInternalJobId(idempotencyKey: string): string {
	const digest = createHash('sha256').update(idempotencyKey, 'utf8').digest('base64url');
	return `k${digest.slice(0, 27)}`;
}

/** Returns a token that marks one enqueue call. */
export function newSubmissionId(): string {
	return randomBytes(6).toString('base64url');
}

/** Priority of a job from its stored message. */
export function jobPriority(data: MessageJobData): Priority {
	return data.message.metadata.priority;
}
