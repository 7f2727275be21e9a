/**
 * Retrying and removing dead-lettered messages. Each step leaves the message in
 * the dead-letter queue until its new job exists, so a crash between steps
 * never loses it.
 */

import { Job } from 'bullmq';

import { toBullPriority, type ResolvedQueueConfig } from '../config';
import type { MessageEvent } from '../delivery/observer';
import { JobNotFoundError } from '../errors';
import { toPublicJobId } from '../redis/keys';
import type { DeadLetterEntry } from './deadLetterQueue';
import type { EnqueuedMessage } from './enqueue';
import { copyOptional } from './enqueue';
import { compactJobData } from './jobData';
import { readMessageState, type StatusContext } from './jobStatus';

/** Entries are retried and removed in pages of this size. */
const PAGE_SIZE = 200;

/** Dependencies of the dead-letter operations. */
export interface DeadLetterContext extends StatusContext {
	config: ResolvedQueueConfig;
}

function requeuedEvent(entry: DeadLetterEntry): MessageEvent {
	const event: MessageEvent = {
		jobId: entry.jobId,
		instanceName: entry.instanceName,
		phone: entry.message.recipientPhone,
		messageType: entry.message.messageType,
		timestamp: Date.now(),
	};
	copyOptional(event, entry.message.metadata);
	return event;
}

/**
 * Queues a dead-lettered message again with its priority and a fresh set of
 * attempts, under the same job id, and removes the entry. When the job was
 * delivered or queued again meanwhile, only the entry is removed.
 */
export async function retryDeadLetter(
	context: DeadLetterContext,
	instanceName: string,
	internalId: string,
): Promise<{ result: EnqueuedMessage; event?: MessageEvent }> {
	const entry = await context.deadLetters.get(instanceName, internalId);
	const id = toPublicJobId(instanceName, internalId);
	if (!entry || !entry.message) {
		throw new JobNotFoundError(id, `No dead-letter entry for job "${id}". List the dead-letter queue to see its ids.`);
	}
	const queue = context.queues.get(instanceName);
	const existing = await Job.fromId(queue, internalId);
	const state = existing ? await existing.getState() : 'unknown';
	const result: EnqueuedMessage = {
		id,
		instanceName,
		recipientPhone: entry.message.recipientPhone,
		priority: entry.message.metadata.priority,
		state: 'waiting',
		duplicate: false,
	};
	if (state !== 'failed' && state !== 'unknown') {
		await context.deadLetters.remove(instanceName, internalId);
		return { result: { ...result, state: await readMessageState(context, instanceName, internalId) } };
	}
	if (existing) {
		await queue.remove(internalId);
	}
	const data = compactJobData({ message: entry.message });
	await queue.add(entry.message.messageType, data, {
		jobId: internalId,
		priority: toBullPriority(entry.message.metadata.priority),
	});
	await context.deadLetters.remove(instanceName, internalId);
	await context.queues.wake([instanceName]);
	return { result, event: requeuedEvent(entry) };
}

/**
 * Removes a dead-letter entry and the failed job behind it, which also frees
 * its idempotency key. Resolves to whether there was an entry.
 */
export async function removeDeadLetter(
	context: DeadLetterContext,
	instanceName: string,
	internalId: string,
): Promise<boolean> {
	const queue = context.queues.get(instanceName);
	if ((await queue.getJobState(internalId)) === 'failed') {
		await queue.remove(internalId);
	}
	return await context.deadLetters.remove(instanceName, internalId);
}

/** Retries every dead-lettered message of the given instances, oldest first. */
export async function retryAllDeadLetters(
	context: DeadLetterContext,
	instanceNames: string[],
): Promise<{ results: EnqueuedMessage[]; events: MessageEvent[] }> {
	const results: EnqueuedMessage[] = [];
	const events: MessageEvent[] = [];
	for (const instanceName of instanceNames) {
		for (;;) {
			const ids = await context.deadLetters.oldestIds(instanceName, PAGE_SIZE);
			if (ids.length === 0) {
				break;
			}
			for (const internalId of ids) {
				const retried = await retryDeadLetter(context, instanceName, internalId).catch(async (error) => {
					if (error instanceof JobNotFoundError) {
						// An index member without its entry: drop it so the loop ends.
						await context.deadLetters.remove(instanceName, internalId);
						return undefined;
					}
					throw error;
				});
				if (retried) {
					results.push(retried.result);
					if (retried.event) {
						events.push(retried.event);
					}
				}
			}
		}
	}
	return { results, events };
}

/** Removes every dead-letter entry of the given instances; resolves to how many. */
export async function clearDeadLetters(context: DeadLetterContext, instanceNames: string[]): Promise<number> {
	let removed = 0;
	for (const instanceName of instanceNames) {
		for (;;) {
			const ids = await context.deadLetters.oldestIds(instanceName, PAGE_SIZE);
			if (ids.length === 0) {
				break;
			}
			const queue = context.queues.get(instanceName);
			const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
			await Promise.all(ids.filter((_, i) => states[i] === 'failed').map((id) => queue.remove(id)));
			await context.deadLetters.removeMany(instanceName, ids);
			removed += ids.length;
		}
	}
	return removed;
}
