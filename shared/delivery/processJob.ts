/**
 * Delivery of one job: send it through the gateway, then complete it, retry
 * it or dead-letter it. A message always ends in exactly one of three places:
 * completed, still queued (waiting, delayed, or active until the stalled-job
 * check returns it), or in the dead-letter queue.
 */

import { Job, UnrecoverableError, type Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { RetryConfig } from '../config';
import { GatewayError, ValidationError } from '../errors';
import type { GatewayClient, SendResult } from '../gateways/types';
import { describeError, maskPhone, type Logger } from '../logger';
import type { NormalizedMessage } from '../message';
import type { DeadLetterQueue } from '../queue/deadLetterQueue';
import type { InstanceSettings } from '../queue/instanceSettings';
import {
	acceptedPartField,
	compactJobData,
	expandJobData,
	type MessageJobData,
	type MessageJobResult,
} from '../queue/jobData';
import type { RateLimiter } from '../queue/rateLimiter';
import { toPublicJobId, type QueueKeys } from '../redis/keys';
import { copyOptional } from '../queue/enqueue';
import { notifyObservers, type DeliveryObserver, type MessageEvent } from './observer';

/** Everything the delivery of one instance's jobs needs. */
export interface JobContext {
	instanceName: string;
	client: Redis;
	keys: QueueKeys;
	queue: Queue;
	gateway: GatewayClient;
	limiter: RateLimiter;
	deadLetters: DeadLetterQueue;
	settings: InstanceSettings;
	/** The worker's retry policy, for jobs that carry none of their own. */
	retry: RetryConfig;
	/** How long finished jobs stay in BullMQ's completed and failed sets, in seconds; 0 removes them at once. */
	keep: { completedSeconds: number; failedSeconds: number };
	observers: readonly DeliveryObserver[];
	logger: Logger;
	/** Waits for a send slot for a later part of a split text; false when paused or stopping. */
	waitForPartSlot(): Promise<boolean>;
	/** Tells the worker the instance was paused because of its configuration. */
	onInstancePaused(reason: string): void;
	/**
	 * Whether completing a job may fetch the next one in the same call. Only
	 * an unpaced instance may, because a paced one needs a slot first.
	 */
	canChainNextJob(): boolean;
	/** Takes a job fetched together with a completion, locked with the same token. */
	onChainedJob(job: Job<MessageJobData>): void;
	/** Tells the runner the gateway asked to hold the instance for `delayMs`. */
	onThrottled(delayMs: number): void;
	/** The BullMQ worker that fetched the jobs, to build chained jobs. */
	worker: Worker;
}

/** Outcome of delivering one job. */
export type JobOutcome = 'sent' | 'retrying' | 'dead-lettered' | 'requeued' | 'lock-lost';

/** Thrown inside delivery when shutdown aborted a send; the job goes back to the queue. */
class SendAbortedError extends Error {
	constructor() {
		super('The send was aborted by shutdown.');
		this.name = 'SendAbortedError';
	}
}

function baseEvent(context: JobContext, job: Job<MessageJobData>): MessageEvent {
	const { message } = job.data;
	const event: MessageEvent = {
		jobId: toPublicJobId(context.instanceName, job.id ?? ''),
		instanceName: context.instanceName,
		phone: message.recipientPhone,
		messageType: message.messageType,
		timestamp: Date.now(),
	};
	copyOptional(event, message.metadata);
	return event;
}

/** Message ids of parts the gateway accepted in an earlier run of this job. */
async function readAcceptedParts(context: JobContext, job: Job<MessageJobData>, partCount: number): Promise<(string | null)[]> {
	// A first attempt cannot have sent anything yet, so it skips the read.
	if (job.attemptsStarted <= 1) {
		return [];
	}
	const fields = Array.from({ length: partCount }, (_, part) => acceptedPartField(part));
	return await context.client.hmget(context.keys.jobKey(context.instanceName, job.id ?? ''), ...fields);
}

/**
 * Thrown when BullMQ's stalled-job check marked the job as stalled too often:
 * workers kept stopping while sending it, so it might be what stops them.
 */
class RepeatedStallError extends Error {
	readonly failure: GatewayError;

	constructor(reason: string) {
		super(reason);
		this.name = 'RepeatedStallError';
		this.failure = new GatewayError(
			`Workers stopped while sending this message more times than allowed (${reason}). ` +
				'It was moved to the dead-letter queue so it cannot stop more workers; retry it once the cause is fixed.',
			{ kind: 'permanent', reason: 'stalled' },
		);
	}
}

/** A send's result, and the write that records its last part as accepted. */
interface SentParts {
	result: MessageJobResult;
	/** Awaited together with the completion; ioredis sends it first on the shared connection. */
	lastAcceptance?: Promise<unknown>;
}

/** Sends every part that is not sent yet and records each acceptance on the job. */
async function sendParts(context: JobContext, job: Job<MessageJobData>, signal: AbortSignal): Promise<SentParts> {
	const { message } = job.data;
	const partCount = message.textParts?.length ? message.textParts.length : 1;
	const accepted = await readAcceptedParts(context, job, partCount);
	const isAllAccepted = accepted.length === partCount && accepted.every(Boolean);
	if (job.deferredFailure && !isAllAccepted) {
		throw new RepeatedStallError(job.deferredFailure);
	}
	const messageIds: string[] = [];
	let last: SendResult | undefined;
	let lastAcceptance: Promise<unknown> | undefined;

	for (let part = 0; part < partCount; part++) {
		const known = accepted[part];
		if (known) {
			messageIds.push(known);
			continue;
		}
		if (part > 0 && !(await context.waitForPartSlot())) {
			throw new SendAbortedError();
		}
		if (signal.aborted) {
			throw new SendAbortedError();
		}
		last = await context.gateway.send(message, {
			textPart: message.textParts?.length ? part : undefined,
			signal,
		});
		messageIds.push(last.messageId);
		// Recorded before the job completes, so a run after a crash skips this
		// part. The last part's record goes out with the completion, not before.
		const acceptance = context.client.hset(
			context.keys.jobKey(context.instanceName, job.id ?? ''),
			acceptedPartField(part),
			last.messageId,
		);
		if (part < partCount - 1) {
			await acceptance;
		} else {
			lastAcceptance = acceptance;
			// Handled where it is awaited; this keeps an early failure from being unhandled.
			acceptance.catch(() => undefined);
		}
	}

	const result: MessageJobResult = {
		messageId: messageIds[0],
		status: last?.status ?? 'PENDING',
		sentAt: new Date().toISOString(),
	};
	if (last?.remoteJid) {
		result.remoteJid = last.remoteJid;
	}
	if (partCount > 1) {
		result.messageIds = messageIds;
	}
	return { result, lastAcceptance };
}

/**
 * Sets how long BullMQ keeps the job once finished. It is applied here, not
 * stored with each job, which keeps every queued job about 90 bytes smaller.
 */
function applyRetention(context: JobContext, job: Job<MessageJobData>): void {
	const { completedSeconds, failedSeconds } = context.keep;
	job.opts.removeOnComplete = completedSeconds === 0 ? true : { age: completedSeconds };
	job.opts.removeOnFail = failedSeconds === 0 ? true : { age: failedSeconds };
	job.opts.stackTraceLimit = 0;
}

/**
 * Delivers one job that the caller fetched with `token`. Errors are handled
 * and logged here, so the returned promise always resolves.
 */
export async function processJob(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	signal: AbortSignal,
): Promise<JobOutcome> {
	expandJobData(job.data, context.instanceName);
	applyRetention(context, job);
	const log = context.logger;
	const ids = {
		jobId: toPublicJobId(context.instanceName, job.id ?? ''),
		attempt: job.attemptsMade + 1,
		to: maskPhone(job.data.message.recipientPhone),
	};
	log.debug('Sending message.', ids);

	let sent: SentParts;
	try {
		sent = await sendParts(context, job, signal);
	} catch (error) {
		if (error instanceof RepeatedStallError) {
			return await deadLetter(context, job, token, error.failure, 'stalled');
		}
		try {
			return await handleFailure(context, job, token, error, signal);
		} catch (handlingError) {
			// The job stays active; the stalled-job check returns it to the queue.
			log.error('Failed to record the outcome of a send; the job will be retried.', {
				...ids,
				...describeError(handlingError),
			});
			return 'lock-lost';
		}
	}

	const { result } = sent;
	try {
		await completeJob(context, job, token, sent);
	} catch (error) {
		// The acceptance is recorded on the job, so a rerun completes it without sending again.
		log.error('Failed to mark a sent message completed; a rerun will complete it without resending.', {
			...ids,
			messageId: result.messageId,
			...describeError(error),
		});
		return 'lock-lost';
	}
	log.debug('Message sent.', { ...ids, messageId: result.messageId });
	return 'sent';
}

async function completeJob(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	{ result, lastAcceptance }: SentParts,
): Promise<void> {
	const event = {
		...baseEvent(context, job),
		messageId: result.messageId,
		processingTimeMs: Math.max(0, Date.now() - (job.processedOn ?? Date.now())),
		attempts: job.attemptsMade + 1,
	};
	if (result.messageIds) {
		Object.assign(event, { messageIds: result.messageIds });
	}
	const fetchNext = context.canChainNextJob();
	const [next] = await Promise.all([
		job.moveToCompleted(result, token, fetchNext),
		lastAcceptance,
		notifyObservers(context.observers, 'onSent', context.logger, event),
		// A rerun after a crash may find a dead-letter entry written by the run
		// that crashed; the message is delivered now, so the entry goes.
		job.attemptsStarted > 1 ? context.deadLetters.remove(context.instanceName, job.id ?? '') : undefined,
	]);
	// With fetchNext, BullMQ returns the next job's data, already locked with `token`.
	if (Array.isArray(next) && next[0]) {
		const chained = Job.fromJSON<MessageJobData, MessageJobResult>(context.worker, next[0], next[1]);
		chained.token = token;
		context.onChainedJob(chained);
	}
}

/** Turns any failure into a classified gateway error. */
function toGatewayError(error: unknown): GatewayError {
	if (error instanceof GatewayError) {
		return error;
	}
	const message = error instanceof Error ? error.message : String(error);
	if (error instanceof ValidationError) {
		// Job data that no longer passes the client's checks fails the same way every time.
		return new GatewayError(`Invalid message: ${message}`, { kind: 'permanent', reason: 'invalid_message' });
	}
	return new GatewayError(`Delivery failed: ${message}`, { kind: 'transient', reason: 'internal' });
}

async function handleFailure(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	error: unknown,
	signal: AbortSignal,
): Promise<JobOutcome> {
	if (error instanceof SendAbortedError || signal.aborted) {
		await job.moveToWait(token);
		return 'requeued';
	}
	const failure = toGatewayError(error);
	if (failure.reason === 'internal') {
		context.logger.error('Unexpected error while sending; treating it as transient.', {
			jobId: toPublicJobId(context.instanceName, job.id ?? ''),
			...describeError(error),
		});
	}
	switch (failure.kind) {
		case 'rate_limited':
			return await handleRateLimited(context, job, token, failure);
		case 'instance':
			return await handleInstanceFailure(context, job, token, failure);
		case 'permanent':
			return await deadLetter(context, job, token, failure, failure.reason);
		default:
			return await handleTransient(context, job, token, failure);
	}
}

/** Holds the instance for the time a 429 requested and puts the job back without using an attempt. */
async function handleRateLimited(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	failure: GatewayError,
): Promise<JobOutcome> {
	const bounces = (job.data.rateLimitedCount ?? 0) + 1;
	const delayMs = failure.retryAfterMs ?? 60_000;
	context.onThrottled(delayMs);
	await context.limiter.throttle(context.instanceName, delayMs);
	const maxBounces = context.retry.maxRateLimited;
	if (bounces > maxBounces) {
		const capped = new GatewayError(
			`Rate limited: the gateway returned 429 ${bounces} times; the limit is ${maxBounces} (RETRY_MAX_RATE_LIMITED).`,
			{ kind: 'permanent', reason: 'rate_limited', statusCode: failure.statusCode, gatewayResponse: failure.gatewayResponse },
		);
		return await deadLetter(context, job, token, capped, 'rate_limited');
	}
	await job.updateData(compactJobData({ ...job.data, rateLimitedCount: bounces }));
	await job.moveToWait(token);
	context.logger.warn('Gateway rate limited the instance; holding its sends.', {
		jobId: toPublicJobId(context.instanceName, job.id ?? ''),
		delayMs,
		bounces,
	});
	return 'requeued';
}

/** Pauses the instance after a 401 or 404, which concerns all its messages, and keeps the message queued. */
async function handleInstanceFailure(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	failure: GatewayError,
): Promise<JobOutcome> {
	const reason = `${failure.message} The instance was paused; fix the cause, then resume it.`;
	await context.settings.setPauseReason(context.instanceName, reason);
	await context.queue.pause();
	await job.moveToWait(token);
	context.onInstancePaused(reason);
	return 'requeued';
}

function effectiveRetry(context: JobContext, job: Job<MessageJobData>): { attempts: number; backoff: RetryConfig['backoff'] } {
	return job.data.retry ?? context.retry;
}

async function handleTransient(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	failure: GatewayError,
): Promise<JobOutcome> {
	const retry = effectiveRetry(context, job);
	const attempt = job.attemptsMade + 1;
	if (attempt >= retry.attempts) {
		return await deadLetter(context, job, token, failure, 'attempts_exhausted');
	}

	// BullMQ decides on a retry from the job's own options; the policy is applied
	// here because the worker's policy covers jobs enqueued without one.
	job.opts.attempts = retry.attempts;
	job.opts.backoff = { type: retry.backoff.type, delay: retry.backoff.delay };
	const delayMs =
		retry.backoff.type === 'fixed' ? retry.backoff.delay : retry.backoff.delay * 2 ** (attempt - 1);
	await job.moveToFailed(failure, token, false);

	const event = {
		...baseEvent(context, job),
		error: failure.message,
		reason: failure.reason,
		attempt,
		attempts: retry.attempts,
		nextAttemptAt: Date.now() + delayMs,
		statusCode: failure.statusCode,
		message: storedMessage(job),
	};
	await notifyObservers(context.observers, 'onAttemptFailed', context.logger, event);

	context.logger.warn('Send failed; it will be retried.', {
		jobId: event.jobId,
		attempt,
		attempts: retry.attempts,
		retryInMs: delayMs,
		reason: failure.reason,
		statusCode: failure.statusCode,
		error: failure.message,
	});
	return 'retrying';
}

/** Restores fields the stored job data leaves out. */
function storedMessage(job: Job<MessageJobData>): NormalizedMessage {
	const { message } = job.data;
	return { ...message, recipientInput: message.recipientInput ?? message.recipientPhone };
}

/**
 * Writes the dead-letter entry, then fails the job in BullMQ. If the process
 * dies in between, the job is run again and its success removes the entry.
 */
async function deadLetter(
	context: JobContext,
	job: Job<MessageJobData>,
	token: string,
	failure: GatewayError,
	reason: string,
): Promise<JobOutcome> {
	const jobId = toPublicJobId(context.instanceName, job.id ?? '');
	const attempts = job.attemptsMade + 1;
	const entry = {
		jobId,
		instanceName: context.instanceName,
		message: storedMessage(job),
		error: failure.message,
		reason,
		statusCode: failure.statusCode,
		gatewayResponse: failure.gatewayResponse,
		attempts,
		failedAt: new Date().toISOString(),
	};
	await context.deadLetters.add(job.id ?? '', entry);
	await job.moveToFailed(new UnrecoverableError(failure.message), token, false);
	await notifyObservers(context.observers, 'onDeadLettered', context.logger, {
		...baseEvent(context, job),
		error: failure.message,
		reason,
		attempts,
		statusCode: failure.statusCode,
		gatewayResponse: failure.gatewayResponse,
		message: entry.message,
	});
	context.logger.warn('Message moved to the dead-letter queue.', {
		jobId,
		reason,
		statusCode: failure.statusCode,
		attempts,
		error: failure.message,
	});
	return 'dead-lettered';
}
