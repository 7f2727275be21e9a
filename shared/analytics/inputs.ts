/**
 * Turns the arguments of the public methods into the `MessageRef`s the
 * recorder takes. Every check throws a `ValidationError` naming the argument;
 * batch checks report every invalid event, with paths such as `[3].phone`.
 */

import { ValidationError, type ValidationIssue } from '../errors';
import { MESSAGE_TYPES } from '../message';
import {
	checkAmount,
	checkChoice,
	checkId,
	checkMeta,
	checkOptionalId,
	checkWholeNumber,
	eventTime,
	normalizePhone,
} from './arguments';
import type { MessageRef } from './recorder';
import type { QueueEvent, SentMeta, TrackMeta } from './types';

/** Attempts above this are taken for a bug in the caller. */
const MAX_ATTEMPTS = 1000;

/** Clock and zone for reading timestamps. */
export interface InputContext {
	timeZone: string;
	nowMs: number;
}

/** Validates a queue event; `path` prefixes the field names in errors. */
export function toQueueRef(event: QueueEvent, context: InputContext, path = ''): MessageRef {
	const fields = checkMeta(event, path || 'event');
	checkChoice(fields.messageType, MESSAGE_TYPES, `${path}messageType`);
	return {
		jobId: checkId(fields.jobId, `${path}jobId`),
		messageId: '',
		phone: normalizePhone(fields.phone, `${path}phone`),
		campaignId: checkOptionalId(fields.campaignId, `${path}campaignId`),
		instanceName: checkId(fields.instanceName, `${path}instanceName`),
		atMs: timestampOf(fields.timestamp, context, `${path}timestamp`),
	};
}

/** Validates a batch of queue events, collecting the issues of every event. */
export function toQueueRefs(events: QueueEvent[], context: InputContext): MessageRef[] {
	if (!Array.isArray(events)) {
		throw new ValidationError([
			{ path: 'events', message: 'Invalid events: pass an array of queue events.' },
		]);
	}
	const issues: ValidationIssue[] = [];
	const refs: MessageRef[] = [];
	events.forEach((event, index) => {
		try {
			refs.push(toQueueRef(event, context, `[${index}].`));
		} catch (error) {
			if (!(error instanceof ValidationError)) {
				throw error;
			}
			issues.push(...error.issues);
		}
	});
	if (issues.length > 0) {
		throw new ValidationError(issues);
	}
	return refs;
}

/** Validates the phone and `meta` of a track method. */
export function toTrackRef(
	phone: unknown,
	meta: SentMeta | undefined,
	context: InputContext,
): MessageRef {
	const fields = checkMeta(meta);
	return {
		jobId: checkOptionalId(fields.jobId, 'meta.jobId'),
		messageId: checkOptionalId(fields.messageId, 'meta.messageId'),
		phone: normalizePhone(phone),
		campaignId: checkOptionalId(fields.campaignId, 'meta.campaignId'),
		instanceName: checkOptionalId(fields.instanceName, 'meta.instanceName'),
		atMs: timestampOf(fields.timestamp, context, 'meta.timestamp'),
	};
}

/** Validates `meta` of a track method without a message, returning the event time and campaign. */
export function toEventMeta(
	meta: TrackMeta | undefined,
	context: InputContext,
): { atMs: number; campaignId: string } {
	const fields = checkMeta(meta);
	return {
		atMs: timestampOf(fields.timestamp, context, 'meta.timestamp'),
		campaignId: checkOptionalId(fields.campaignId, 'meta.campaignId'),
	};
}

/** Validates an attempt count of 1 or more. */
export function checkAttempts(value: unknown, path: string): number {
	return checkWholeNumber(value, path, 1, MAX_ATTEMPTS);
}

/** Validates a duration in milliseconds. */
export function checkDurationMs(value: unknown, path: string): number {
	return Math.round(checkAmount(value, path));
}

/** Validates a required description such as an error message; it is not stored. */
export function checkText(value: unknown, path: string): string {
	if (typeof value !== 'string' || value.trim() === '') {
		throw new ValidationError([{ path, message: `Missing ${path}. Pass a short description.` }]);
	}
	return value;
}

function timestampOf(value: unknown, context: InputContext, path: string): number {
	return eventTime(value, path, context.timeZone, context.nowMs);
}
