/**
 * Adding validated messages to their instances' queues, with idempotency keys
 * honoured and duplicates reported as such.
 */

import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { toBullPriority, type ResolvedQueueConfig } from '../config';
import type { MessageEvent } from '../delivery/observer';
import type { NormalizedMessage, Priority } from '../message';
import { toPublicJobId, type QueueKeys } from '../redis/keys';
import type { DeadLetterQueue } from './deadLetterQueue';
import type { InstanceQueues } from './instanceQueues';
import {
	compactJobData,
	idempotentInternalJobId,
	newInternalJobId,
	newSubmissionId,
	type MessageJobData,
} from './jobData';
import { readMessageState, type MessageState } from './jobStatus';

/** Campaign job indexes expire this long after the last message was added, in seconds. */
const CAMPAIGN_INDEX_TTL_SECONDS = 30 * 86_400;

/** At most this many jobs go to Redis in one `addBulk` call. */
const BULK_CHUNK_SIZE = 1000;

/** Bulk chunks awaiting Redis at once. */
const CHUNKS_IN_FLIGHT = 4;

/** Result of `addMessage`, `addBulk` and `scheduleMessage` for one message. */
export interface EnqueuedMessage {
	/** Public job id, `<instance>:<id>`, unique across instances. */
	id: string;
	instanceName: string;
	/** Normalised recipient the message goes to. */
	recipientPhone: string;
	priority: Priority;
	/**
	 * State right after the call. For a duplicate it is the existing job's
	 * state, such as `completed` or `dead-lettered`.
	 */
	state: MessageState;
	/** True when the idempotency key was already known and nothing was queued. */
	duplicate: boolean;
	/** When a scheduled message is due, ISO 8601. */
	scheduledAt?: string;
	idempotencyKey?: string;
}

/** A validated message with its timing, ready to add. */
export interface PreparedMessage {
	message: NormalizedMessage;
	/** Milliseconds until it is due; 0 sends now. */
	delayMs: number;
	/**
	 * When `delayMs` was computed, in ms since the epoch. It becomes the job's
	 * creation time, from which BullMQ counts the delay, so a message added
	 * late in a long bulk call is still due at the time it was given.
	 */
	preparedAt: number;
	schedule?: { at: string; timeZone?: string };
	/** Retry policy given with the call, stored on the job. */
	retry?: { attempts: number; backoff: ResolvedQueueConfig['retry']['backoff'] };
}

/** Dependencies of enqueueing. */
export interface EnqueueContext {
	config: ResolvedQueueConfig;
	client: Redis;
	keys: QueueKeys;
	queues: InstanceQueues;
	deadLetters: DeadLetterQueue;
}

interface PlannedJob extends PreparedMessage {
	index: number;
	internalId: string;
	submissionId?: string;
	/** Index of an earlier message of the same call with the same idempotency key. */
	duplicateOf?: number;
	existingState?: MessageState;
}

/**
 * Adds messages in order, grouped per instance. Resolves to one result per
 * message, in input order, and to the events of the jobs actually added.
 */
export async function enqueueMessages(
	context: EnqueueContext,
	prepared: PreparedMessage[],
): Promise<{ results: EnqueuedMessage[]; queued: MessageEvent[] }> {
	const planned = planJobs(prepared);
	const byInstance = groupByInstance(planned);

	await context.queues.register(byInstance.keys());
	await findExistingJobs(context, planned);

	await Promise.all(
		[...byInstance].map(([instanceName, jobs]) => addInstanceJobs(context, instanceName, jobs)),
	);
	await confirmSubmissions(context, planned);
	await indexCampaigns(context, planned);
	await context.queues.wake(
		[...byInstance].filter(([, jobs]) => jobs.some(isNewJob)).map(([instanceName]) => instanceName),
	);

	const now = Date.now();
	const results = planned.map((job) => toResult(job, planned));
	const queued = planned.filter(isNewJob).map((job) => toEvent(job, now));
	return { results, queued };
}

function planJobs(prepared: PreparedMessage[]): PlannedJob[] {
	const firstByInternalId = new Map<string, number>();
	return prepared.map((item, index) => {
		const key = item.message.metadata.idempotencyKey;
		if (key === undefined) {
			return { ...item, index, internalId: newInternalJobId() };
		}
		const internalId = idempotentInternalJobId(key);
		const scoped = `${item.message.instanceName}\u0000${internalId}`;
		const duplicateOf = firstByInternalId.get(scoped);
		if (duplicateOf === undefined) {
			firstByInternalId.set(scoped, index);
		}
		return { ...item, index, internalId, submissionId: newSubmissionId(), duplicateOf };
	});
}

function groupByInstance(jobs: PlannedJob[]): Map<string, PlannedJob[]> {
	const groups = new Map<string, PlannedJob[]>();
	for (const job of jobs) {
		const group = groups.get(job.message.instanceName) ?? [];
		group.push(job);
		groups.set(job.message.instanceName, group);
	}
	return groups;
}

function isNewJob(job: PlannedJob): boolean {
	return job.duplicateOf === undefined && job.existingState === undefined;
}

/** Marks idempotent messages whose job, or dead-letter entry, already exists. */
async function findExistingJobs(context: EnqueueContext, jobs: PlannedJob[]): Promise<void> {
	const candidates = jobs.filter((job) => job.submissionId !== undefined && job.duplicateOf === undefined);
	await Promise.all(
		candidates.map(async (job) => {
			const state = await readMessageState(context, job.message.instanceName, job.internalId);
			if (state !== 'unknown') {
				job.existingState = state;
			}
		}),
	);
}

async function addInstanceJobs(context: EnqueueContext, instanceName: string, jobs: PlannedJob[]): Promise<void> {
	const queue = context.queues.get(instanceName);
	const fresh = jobs.filter(isNewJob).map((job) => ({
		name: job.message.messageType,
		data: toJobData(context.config, job),
		opts: toJobOptions(job),
	}));
	// Chunks are issued in order on one connection, so Redis adds them in order,
	// and a few stay in flight so the client is not idle while Redis works.
	const inFlight: Promise<void>[] = [];
	for (let start = 0; start < fresh.length; start += BULK_CHUNK_SIZE) {
		if (inFlight.length >= CHUNKS_IN_FLIGHT) {
			await inFlight.shift();
		}
		inFlight.push(addChunk(queue, fresh.slice(start, start + BULK_CHUNK_SIZE)));
	}
	await Promise.all(inFlight);
}

async function addChunk(queue: Queue, chunk: Parameters<Queue['addBulk']>[0]): Promise<void> {
	if (chunk.length === 1) {
		const [only] = chunk;
		await queue.add(only.name, only.data, only.opts);
	} else if (chunk.length > 1) {
		await queue.addBulk(chunk);
	}
}

/** Builds the stored job data. */
function toJobData(config: ResolvedQueueConfig, job: PlannedJob): MessageJobData {
	const data: MessageJobData = { message: job.message };
	if (job.retry) {
		data.retry = job.retry;
	} else if (config.isRetryPinned) {
		data.retry = { attempts: config.retry.attempts, backoff: config.retry.backoff };
	}
	if (job.schedule) {
		data.schedule = job.schedule;
	}
	if (job.submissionId) {
		data.submissionId = job.submissionId;
	}
	return compactJobData(data);
}

function toJobOptions(job: PlannedJob): JobsOptions {
	return {
		jobId: job.internalId,
		priority: toBullPriority(job.message.metadata.priority),
		delay: job.delayMs > 0 ? job.delayMs : undefined,
		timestamp: job.preparedAt,
	};
}

/**
 * Two calls with the same idempotency key can both pass `findExistingJobs`;
 * BullMQ then keeps the first job and ignores the second add. Reading back the
 * stored submission id shows which call won.
 */
async function confirmSubmissions(context: EnqueueContext, jobs: PlannedJob[]): Promise<void> {
	const submitted = jobs.filter((job) => job.submissionId !== undefined && isNewJob(job));
	await Promise.all(
		submitted.map(async (job) => {
			const key = context.keys.jobKey(job.message.instanceName, job.internalId);
			const raw = await context.client.hget(key, 'data');
			const stored = raw ? (JSON.parse(raw) as MessageJobData).submissionId : undefined;
			if (stored !== job.submissionId) {
				job.existingState = await readMessageState(context, job.message.instanceName, job.internalId);
			}
		}),
	);
}

async function indexCampaigns(context: EnqueueContext, jobs: PlannedJob[]): Promise<void> {
	const members = new Map<string, string[]>();
	for (const job of jobs.filter(isNewJob)) {
		const campaignId = job.message.metadata.campaignId;
		if (campaignId !== undefined) {
			const key = context.keys.campaignJobs(job.message.instanceName, campaignId);
			const ids = members.get(key) ?? [];
			ids.push(job.internalId);
			members.set(key, ids);
		}
	}
	await Promise.all(
		[...members].map(([key, ids]) =>
			// Two plain commands: a MULTI on this client would copy every BullMQ
			// script definition into the transaction object.
			Promise.all([context.client.sadd(key, ...ids), context.client.expire(key, CAMPAIGN_INDEX_TTL_SECONDS)]),
		),
	);
}

function toResult(job: PlannedJob, all: PlannedJob[]): EnqueuedMessage {
	const original = job.duplicateOf === undefined ? undefined : all[job.duplicateOf];
	const duplicate = !isNewJob(job);
	let state: MessageState = job.delayMs > 0 ? 'delayed' : 'waiting';
	if (original) {
		state = original.existingState ?? (original.delayMs > 0 ? 'delayed' : 'waiting');
	} else if (job.existingState) {
		state = job.existingState;
	}
	const result: EnqueuedMessage = {
		id: toPublicJobId(job.message.instanceName, job.internalId),
		instanceName: job.message.instanceName,
		recipientPhone: job.message.recipientPhone,
		priority: job.message.metadata.priority,
		state,
		duplicate,
	};
	if (job.schedule && !duplicate) {
		result.scheduledAt = job.schedule.at;
	}
	if (job.message.metadata.idempotencyKey !== undefined) {
		result.idempotencyKey = job.message.metadata.idempotencyKey;
	}
	return result;
}

function toEvent(job: PlannedJob, now: number): MessageEvent {
	const { message } = job;
	const event: MessageEvent = {
		jobId: toPublicJobId(message.instanceName, job.internalId),
		instanceName: message.instanceName,
		phone: message.recipientPhone,
		messageType: message.messageType,
		timestamp: now,
	};
	copyOptional(event, message.metadata);
	return event;
}

/** Copies campaign, contact and template ids from metadata when they are strings. */
export function copyOptional(event: MessageEvent, metadata: NormalizedMessage['metadata']): void {
	if (typeof metadata.campaignId === 'string') {
		event.campaignId = metadata.campaignId;
	}
	if (typeof metadata.contactId === 'string') {
		event.contactId = metadata.contactId;
	}
	if (typeof metadata.templateId === 'string') {
		event.templateId = metadata.templateId;
	}
}
