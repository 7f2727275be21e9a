/**
 * Turning what callers pass to the enqueue methods into validated messages
 * with their timing and retry policy. Every entry is checked before anything
 * is enqueued, and every problem is reported at once.
 */

import { resolveRetry, type QueueManagerConfig, type ResolvedQueueConfig, type TextPolicy } from '../config';
import { ConfigError, ValidationError, type ValidationIssue } from '../errors';
import type { WhatsAppMessage } from '../message';
import { parseScheduleTime, validateMessage } from '../validation';
import type { PreparedMessage } from './enqueue';

/** Per-call options of `addMessage`, `addBulk` and the schedule methods. */
export interface EnqueueOptions {
	/**
	 * Retry policy stored on these messages. It wins over the queue manager's
	 * and the worker's; missing fields take the defaults.
	 */
	retry?: QueueManagerConfig['retry'];
	/** Policy for a text over 4,096 characters. @defaultValue the manager's `textPolicy` */
	textPolicy?: TextPolicy;
	/**
	 * IANA time zone, such as `America/Sao_Paulo`, in which a schedule string
	 * without an offset is read. Without it, such strings are rejected.
	 */
	timeZone?: string;
}

/** One message of `enqueueBulk`, with its own schedule and options. */
export interface BulkEntry extends EnqueueOptions {
	message: WhatsAppMessage;
	/** When to send: a `Date`, epoch ms or an ISO 8601 string. Absent sends now. */
	at?: Date | string | number;
}

function prefixIssues(issues: ValidationIssue[], prefix: string): ValidationIssue[] {
	return issues.map((issue) => ({ ...issue, path: prefix ? `${prefix}.${issue.path}`.replace(/\.$/, '') : issue.path }));
}

/**
 * Validates entries and resolves their timing and retry policy. Throws one
 * `ValidationError` listing every problem; paths start with `[i]` when
 * `indexed` is set, as for bulk calls.
 */
export function prepareEntries(
	config: ResolvedQueueConfig,
	entries: BulkEntry[],
	indexed: boolean,
	now = Date.now(),
): PreparedMessage[] {
	if (!Array.isArray(entries)) {
		throw new ValidationError([{ path: '', message: 'Expected an array of messages.' }]);
	}
	const issues: ValidationIssue[] = [];
	const prepared: PreparedMessage[] = [];
	for (let index = 0; index < entries.length; index++) {
		// Indexing, not forEach, so holes of a sparse array are checked too.
		const entry = entries[index] as BulkEntry | undefined;
		const prefix = indexed ? `[${index}]` : '';
		const result = validateMessage(entry?.message, { textPolicy: entry?.textPolicy ?? config.textPolicy });
		if (!result.ok) {
			issues.push(...prefixIssues(result.issues, prefix));
		}
		let delayMs = 0;
		let schedule: PreparedMessage['schedule'];
		if (entry?.at !== undefined) {
			const time = parseScheduleTime(entry.at, { timeZone: entry.timeZone, now });
			if (time.ok) {
				delayMs = time.sendNow ? 0 : Math.max(0, time.at - now);
				schedule = { at: new Date(time.at).toISOString(), timeZone: time.timeZone };
			} else {
				issues.push({ path: indexed ? `${prefix}.scheduledAt` : 'scheduledAt', message: time.reason });
			}
		}
		let retry: PreparedMessage['retry'];
		if (entry?.retry !== undefined) {
			try {
				const resolved = resolveRetry(entry.retry, indexed ? `${prefix}.retry` : 'retry');
				retry = { attempts: resolved.attempts, backoff: resolved.backoff };
			} catch (error) {
				if (!(error instanceof ConfigError)) {
					throw error;
				}
				issues.push({ path: error.option, message: error.message });
			}
		}
		if (result.ok) {
			prepared.push({ message: result.message, delayMs, preparedAt: now, schedule, retry });
		}
	}
	if (issues.length > 0) {
		throw new ValidationError(issues);
	}
	return prepared;
}
