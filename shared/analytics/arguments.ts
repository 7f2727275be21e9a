/**
 * Checks of call arguments. Each check returns the normalised value or throws
 * a `ValidationError` whose path names the argument and whose message names
 * what to pass instead.
 */

import { DateTime, IANAZone } from 'luxon';

import { ValidationError } from '../errors';
import type { MillisRange } from './buckets';

/** A moment: a `Date`, an ISO 8601 string or epoch milliseconds. */
export type TimestampInput = Date | string | number;

/** A time range; `start` is included and `end` excluded. */
export interface TimeRange {
	/** @defaultValue the oldest retained data */
	start?: TimestampInput;
	/** @defaultValue now */
	end?: TimestampInput;
}

const MAX_ID_LENGTH = 256;
const MAX_PHONE_LENGTH = 128;
/** Timestamps before 2001-09-09 are taken for epoch seconds passed by mistake. */
const MIN_EPOCH_MS = 1_000_000_000_000;
/** How far in the future an event may be, to allow for clock skew. */
const MAX_FUTURE_MS = 24 * 3_600_000;

function fail(path: string, message: string): never {
	throw new ValidationError([{ path, message }]);
}

/**
 * Returns the contact key of a phone number or JID: digits with the country
 * code for a person (`+34 600-000-001` and `34600000001@s.whatsapp.net` both
 * give `34600000001`), and the whole JID for groups and other chat types.
 */
export function normalizePhone(value: unknown, path = 'phone'): string {
	if (typeof value !== 'string' || value.trim() === '') {
		fail(
			path,
			'Missing phone. Pass digits with the country code, such as 34600000001, or a WhatsApp JID.',
		);
	}
	const trimmed = value.trim();
	const [user, domain] = trimmed.split('@');
	if (domain === 's.whatsapp.net' || domain === 'c.us') {
		return normalizePhone(user.split(':')[0], path);
	}
	if (domain !== undefined) {
		// eslint-disable-next-line no-control-regex -- control characters are what this rejects
		if (trimmed.length > MAX_PHONE_LENGTH || /[\s{}\u0000-\u001f\u007f]/.test(trimmed)) {
			fail(
				path,
				`Invalid JID ${JSON.stringify(trimmed)}. Pass a JID such as 120363000000000000@g.us.`,
			);
		}
		return trimmed;
	}
	const digits = trimmed.replace(/[\s()+.-]/g, '');
	if (!/^\d{5,20}$/.test(digits)) {
		fail(
			path,
			`Invalid phone ${JSON.stringify(trimmed)}. Pass digits with the country code, such as 34600000001, or a WhatsApp JID.`,
		);
	}
	return digits;
}

/** Returns a trimmed, non-empty id of at most 256 characters without control characters. */
export function checkId(value: unknown, path: string): string {
	if (typeof value !== 'string' || value.trim() === '') {
		fail(path, `Missing ${path}. Pass a non-empty string.`);
	}
	const id = value.trim();
	// eslint-disable-next-line no-control-regex -- control characters are what this rejects
	if (id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
		fail(
			path,
			`Invalid ${path} ${JSON.stringify(id.slice(0, 40))}. Use at most ${MAX_ID_LENGTH} characters, without control characters.`,
		);
	}
	return id;
}

/** Like `checkId`, but returns `''` when the value is absent. */
export function checkOptionalId(value: unknown, path: string): string {
	return value === undefined || value === null || value === '' ? '' : checkId(value, path);
}

/** Returns `value` when it is one of `allowed`. */
export function checkChoice<T extends string>(
	value: unknown,
	allowed: readonly T[],
	path: string,
): T {
	if (typeof value !== 'string' || !allowed.includes(value as T)) {
		fail(path, `Invalid ${path} ${JSON.stringify(value)}. Use one of: ${allowed.join(', ')}.`);
	}
	return value as T;
}

/** Returns `value` when it is a finite number of 0 or more. */
export function checkAmount(value: unknown, path: string): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		fail(path, `Invalid ${path} ${String(value)}. Pass a finite number of 0 or more.`);
	}
	return value;
}

/** Returns `value` when it is a whole number from `min` to `max`. */
export function checkWholeNumber(value: unknown, path: string, min: number, max: number): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		fail(path, `Invalid ${path} ${String(value)}. Pass a whole number from ${min} to ${max}.`);
	}
	return value;
}

/** Returns `value` as an object, or `{}` when it is absent. */
export function checkMeta<T extends object>(value: T | undefined, path = 'meta'): Partial<T> {
	if (value === undefined || value === null) {
		return {};
	}
	if (typeof value !== 'object' || Array.isArray(value)) {
		fail(
			path,
			`Invalid ${path}: pass an object such as { campaignId: 'spring-sale' }, or leave it out.`,
		);
	}
	return value;
}

/**
 * Converts a timestamp to epoch ms. An ISO string without an offset is read
 * in `zone`. Rejects numbers that look like epoch seconds and moments more
 * than a day in the future.
 */
export function parseTimestamp(
	value: TimestampInput,
	path: string,
	zone: string,
	nowMs: number,
): number {
	let ms: number;
	if (value instanceof Date) {
		ms = value.getTime();
	} else if (typeof value === 'number') {
		ms = value;
	} else if (typeof value === 'string') {
		ms = DateTime.fromISO(value.trim(), { zone }).toMillis();
	} else {
		ms = Number.NaN;
	}
	if (!Number.isFinite(ms)) {
		fail(
			path,
			`Invalid ${path} ${JSON.stringify(value)}. Pass a Date, an ISO 8601 string such as 2025-04-01T09:00:00Z, or epoch milliseconds.`,
		);
	}
	if (ms < MIN_EPOCH_MS) {
		fail(
			path,
			`Invalid ${path} ${String(value)}: it is before 2001, so it may be epoch seconds. Pass epoch milliseconds.`,
		);
	}
	if (ms > nowMs + MAX_FUTURE_MS) {
		fail(
			path,
			`Invalid ${path} ${new Date(ms).toISOString()}: it is more than a day in the future. Check the clock or the value.`,
		);
	}
	return Math.floor(ms);
}

/** Returns the time of an event: `timestamp` when given, otherwise now. */
export function eventTime(timestamp: unknown, path: string, zone: string, nowMs: number): number {
	return timestamp === undefined || timestamp === null
		? nowMs
		: parseTimestamp(timestamp as TimestampInput, path, zone, nowMs);
}

/**
 * Converts a range to epoch ms. A missing start means `defaultStartMs`, a
 * missing end means now. Throws when the end is before the start.
 */
export function parseRange(
	range: TimeRange | undefined,
	zone: string,
	nowMs: number,
	defaultStartMs: number,
): MillisRange {
	const checked = checkMeta(range, 'range');
	const startMs =
		checked.start === undefined
			? defaultStartMs
			: parseRangeEnd(checked.start, 'range.start', zone);
	const endMs = checked.end === undefined ? nowMs : parseRangeEnd(checked.end, 'range.end', zone);
	if (endMs < startMs) {
		fail(
			'range',
			`Invalid range: end ${new Date(endMs).toISOString()} is before start ${new Date(startMs).toISOString()}. Swap them.`,
		);
	}
	return { startMs, endMs, isOpenEnded: checked.end === undefined };
}

/** Range ends may lie in the future, unlike event timestamps. */
function parseRangeEnd(value: TimestampInput, path: string, zone: string): number {
	return parseTimestamp(value, path, zone, Number.MAX_SAFE_INTEGER);
}

/** Converts a moment that may lie in the future, such as the end of a series, to epoch ms. */
export function parseMoment(value: TimestampInput, path: string, zone: string): number {
	return parseRangeEnd(value, path, zone);
}

/** Returns `zone` when it is a valid IANA time zone name. */
export function checkZone(zone: unknown, path: string): string {
	if (typeof zone !== 'string' || !IANAZone.isValidZone(zone)) {
		fail(
			path,
			`Invalid ${path} ${JSON.stringify(zone)}. Use an IANA time zone name such as UTC, America/Sao_Paulo or Asia/Kolkata.`,
		);
	}
	return zone;
}
