/**
 * Operations on whole queues: pause, resume, drain, clean, and cancelling
 * unsent messages one by one or per campaign.
 */

import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import type { MessageEvent } from '../delivery/observer';
import { toPublicJobId, type QueueKeys } from '../redis/keys';
import { copyOptional } from './enqueue';
import type { InstanceQueues } from './instanceQueues';
import type { InstanceSettings } from './instanceSettings';
import { expandJobData, type MessageJobData } from './jobData';
import { readMessageState, type MessageState, type StatusContext } from './jobStatus';

/** Job states that hold messages not yet sent. */
const UNSENT_STATES = ['wait', 'prioritized', 'delayed'] as const;

/** Jobs are listed and removed in pages of this size. */
const PAGE_SIZE = 500;

/** Dependencies of the queue control operations. */
export interface ControlContext extends StatusContext {
	client: Redis;
	keys: QueueKeys;
	queues: InstanceQueues;
	settings: InstanceSettings;
}

/** Result of `cancelMessage`. */
export interface CancelResult {
	id: string;
	/** Whether this call removed the message before it was sent. */
	cancelled: boolean;
	/** State after the call: `unknown` once cancelled, otherwise where the message is. */
	state: MessageState;
}

/** Result of `cancelCampaign`. */
export interface CampaignCancelResult {
	campaignId: string;
	/** How many unsent messages were removed. */
	cancelled: number;
	/** Public ids of the removed messages. */
	jobIds: string[];
}

/** Builds the cancelled event of a removed job. */
function cancelledEvent(instanceName: string, job: Job<MessageJobData>, now: number): MessageEvent {
	const { message } = expandJobData(job.data, instanceName);
	const event: MessageEvent = {
		jobId: toPublicJobId(instanceName, job.id ?? ''),
		instanceName,
		phone: message.recipientPhone,
		messageType: message.messageType,
		timestamp: now,
	};
	copyOptional(event, message.metadata);
	return event;
}

/**
 * Removes a job if it is still unsent. BullMQ refuses to remove a job that a
 * worker holds a lock on, so a job that started sending meanwhile stays.
 */
async function removeIfUnsent(queue: Queue, job: Job<MessageJobData>): Promise<boolean> {
	const state = await job.getState();
	if (!['waiting', 'prioritized', 'delayed'].includes(state)) {
		return false;
	}
	return (await queue.remove(job.id ?? '')) === 1;
}

/** Pauses one instance, or every known instance. */
export async function pauseInstances(context: ControlContext, instanceNames: string[]): Promise<void> {
	await Promise.all(instanceNames.map((name) => context.queues.get(name).pause()));
}

/** Resumes one instance, or every known instance, and wakes the workers. */
export async function resumeInstances(context: ControlContext, instanceNames: string[]): Promise<void> {
	await Promise.all(
		instanceNames.map(async (name) => {
			await context.queues.get(name).resume();
			await context.settings.clearPauseReason(name);
		}),
	);
	await context.queues.wake(instanceNames);
}

/**
 * Removes every waiting and scheduled message of the given instances without
 * sending it. Messages being sent are left alone. Resolves to the removed
 * messages' events, one per message.
 */
export async function drainInstances(context: ControlContext, instanceNames: string[]): Promise<MessageEvent[]> {
	const removed: MessageEvent[] = [];
	for (const instanceName of instanceNames) {
		const queue = context.queues.get(instanceName);
		for (const state of UNSENT_STATES) {
			removed.push(...(await drainState(queue, instanceName, state)));
		}
	}
	return removed;
}

async function drainState(
	queue: Queue,
	instanceName: string,
	state: (typeof UNSENT_STATES)[number],
): Promise<MessageEvent[]> {
	const removed: MessageEvent[] = [];
	let start = 0;
	for (;;) {
		const end = start + PAGE_SIZE - 1;
		const jobs = (await queue.getJobs([state], start, end, true)) as Job<MessageJobData>[];
		if (jobs.length === 0) {
			return removed;
		}
		const now = Date.now();
		const outcomes = await Promise.all(jobs.map((job) => queue.remove(job.id ?? '')));
		jobs.forEach((job, i) => {
			if (outcomes[i] === 1) {
				removed.push(cancelledEvent(instanceName, job, now));
			}
		});
		// Jobs that could not be removed, because a worker took them meanwhile,
		// may still be listed, so the next page starts after them.
		start += outcomes.filter((outcome) => outcome !== 1).length;
	}
}

/** Cancels one unsent message. */
export async function cancelJob(
	context: ControlContext,
	instanceName: string,
	internalId: string,
): Promise<{ result: CancelResult; event?: MessageEvent }> {
	const id = toPublicJobId(instanceName, internalId);
	const queue = context.queues.get(instanceName);
	const job = (await Job.fromId(queue, internalId)) as Job<MessageJobData> | undefined;
	if (job && (await removeIfUnsent(queue, job))) {
		return { result: { id, cancelled: true, state: 'unknown' }, event: cancelledEvent(instanceName, job, Date.now()) };
	}
	const state = await readMessageState(context, instanceName, internalId);
	return { result: { id, cancelled: false, state } };
}

/** Cancels every unsent message of a campaign on the given instances. */
export async function cancelCampaignJobs(
	context: ControlContext,
	instanceNames: string[],
	campaignId: string,
): Promise<{ result: CampaignCancelResult; events: MessageEvent[] }> {
	const events: MessageEvent[] = [];
	for (const instanceName of instanceNames) {
		const queue = context.queues.get(instanceName);
		const indexKey = context.keys.campaignJobs(instanceName, campaignId);
		let cursor = '0';
		do {
			const [next, ids] = await context.client.sscan(indexKey, cursor, 'COUNT', PAGE_SIZE);
			cursor = next;
			const jobs = await Promise.all(ids.map((id) => Job.fromId(queue, id) as Promise<Job<MessageJobData> | undefined>));
			const now = Date.now();
			for (const job of jobs) {
				if (job && (await removeIfUnsent(queue, job))) {
					events.push(cancelledEvent(instanceName, job, now));
				}
			}
		} while (cursor !== '0');
	}
	return {
		result: { campaignId, cancelled: events.length, jobIds: events.map((event) => event.jobId) },
		events,
	};
}

/**
 * Removes completed and failed jobs older than `graceMs`, at most `limit` per
 * state and instance (0 for no limit). Dead-letter entries are never removed.
 */
export async function cleanInstances(
	context: ControlContext,
	instanceNames: string[],
	graceMs: number,
	limit: number,
): Promise<number> {
	let removed = 0;
	for (const instanceName of instanceNames) {
		const queue = context.queues.get(instanceName);
		const [completed, failed] = await Promise.all([
			queue.clean(graceMs, limit, 'completed'),
			queue.clean(graceMs, limit, 'failed'),
		]);
		removed += completed.length + failed.length;
	}
	return removed;
}
