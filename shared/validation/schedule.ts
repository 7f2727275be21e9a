/**
 * Parsing of schedule times. The result never depends on the time zone of
 * the machine: a time without a UTC offset is read in an explicit IANA time
 * zone, with luxon's zone data, or rejected.
 */

import { DateTime, IANAZone } from 'luxon';

import { ValidationError } from '../errors';
import { describeValue, quoteValue, showValue } from './values';

/**
 * How far in the past, in milliseconds, a schedule time may be and still
 * count as now (60 seconds). This absorbs clock skew between the host that
 * computed the time and the one that parses it.
 */
export const PAST_TOLERANCE_MS = 60_000;

/** How far ahead, in milliseconds, a schedule time may be (366 days). */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

/** Options of `parseScheduleTime`. */
export interface ScheduleOptions {
	/**
	 * IANA time zone, such as `America/Sao_Paulo`, in which a date and time
	 * without a UTC offset is read. It is validated even when the input has
	 * its own offset. Without it, a time without an offset is rejected.
	 */
	timeZone?: string;
	/**
	 * Current time in epoch milliseconds, against which past and future are
	 * judged.
	 * @defaultValue `Date.now()`
	 */
	now?: number;
}

/** A parsed schedule time. */
export interface ScheduleTime {
	/** The instant in epoch milliseconds, as parsed, even when `sendNow` is true. */
	at: number;
	/** The validated `options.timeZone`, when one was given. */
	timeZone?: string;
	/** Whether the time is now or up to `PAST_TOLERANCE_MS` in the past, so the message is due at once. */
	sendNow: boolean;
}

/** Result of `parseScheduleTime`. */
export type ScheduleResult = ({ ok: true } & ScheduleTime) | { ok: false; reason: string };

/**
 * Calendar date and time in ISO 8601 extended format, with `T`, `t` or a
 * space between them, optional seconds and fraction, and an optional `Z` or
 * `±hh`, `±hhmm` or `±hh:mm` offset.
 */
const ISO_DATE_TIME =
	/^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

const EXAMPLES = 'such as 2025-03-10T09:00:00Z or 2025-03-10T09:00:00-03:00';

/** The largest distance from the epoch that a JavaScript `Date` can hold, in ms. */
const MAX_DATE_MS = 8.64e15;

/** Times below this many ms after the epoch (early 1973) are likely seconds. */
const LIKELY_SECONDS_BELOW = 1e11;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Parses a schedule time: a valid `Date`, a positive whole number of epoch
 * milliseconds, or an ISO 8601 date and time string.
 *
 * A string with `Z` or an offset is an absolute instant, and the offset wins
 * over `options.timeZone`. A string without an offset is a wall-clock time
 * in `options.timeZone`. A wall-clock time that does not exist there, in
 * the gap when clocks jump forward, is rejected. One that happens twice,
 * when clocks fall back, resolves to the earlier instant. Other strings,
 * such as `tomorrow 9am`, a date without a time or epoch digits, are
 * rejected and never guessed.
 *
 * Past-time policy: a time up to `PAST_TOLERANCE_MS` (60 seconds) before
 * `options.now` is accepted with `sendNow: true`, because clocks of
 * different hosts drift. An older time is rejected as in the past, and so
 * is a time more than `MAX_SCHEDULE_AHEAD_MS` (366 days) after now.
 *
 * Never throws. A rejection carries a reason that names the value and the fix.
 */
export function parseScheduleTime(input: unknown, options: ScheduleOptions = {}): ScheduleResult {
	const now = options.now ?? Date.now();
	if (typeof now !== 'number' || !Number.isFinite(now)) {
		return reject(`Invalid options.now ${describeValue(now)}. Use epoch milliseconds.`);
	}
	const { timeZone } = options;
	if (timeZone !== undefined) {
		if (typeof timeZone !== 'string' || !IANAZone.isValidZone(timeZone)) {
			return reject(
				`Invalid time zone ${showValue(timeZone)}. Use an IANA time zone name, such as America/Sao_Paulo or UTC.`,
			);
		}
	}

	const instant = readInstant(input, timeZone);
	if (!instant.ok) {
		return instant;
	}
	return checkWindow(instant, now, timeZone);
}

/**
 * Parses a schedule time like `parseScheduleTime` and returns it.
 *
 * @throws ValidationError with one issue at `options.path`, or at
 *   `scheduledAt` when no path is given, when the time is rejected.
 */
export function assertScheduleTime(
	input: unknown,
	options: ScheduleOptions & { path?: string } = {},
): ScheduleTime {
	const result = parseScheduleTime(input, options);
	if (!result.ok) {
		throw new ValidationError([{ path: options.path ?? 'scheduledAt', message: result.reason }]);
	}
	const time: ScheduleTime = { at: result.at, sendNow: result.sendNow };
	if (result.timeZone !== undefined) {
		time.timeZone = result.timeZone;
	}
	return time;
}

/**
 * An input converted to epoch ms. `subject` starts a rejection message and
 * shows the input, as in `Invalid schedule time "2020-01-01T00:00:00Z"`.
 */
type Instant =
	| { ok: true; at: number; subject: string; isEpochNumber: boolean }
	| { ok: false; reason: string };

const SUBJECT = 'Invalid schedule time';

/** Converts the input to epoch ms. */
function readInstant(input: unknown, timeZone: string | undefined): Instant {
	if (Object.prototype.toString.call(input) === '[object Date]') {
		const at = (input as Date).getTime();
		if (Number.isNaN(at)) {
			return reject('Invalid schedule time: the Date is invalid. Pass a valid Date.');
		}
		return { ok: true, at, subject: SUBJECT, isEpochNumber: false };
	}
	if (typeof input === 'number') {
		if (!Number.isSafeInteger(input) || input <= 0) {
			return reject(
				`Invalid schedule time ${describeValue(input)}. Use a positive whole number of epoch milliseconds.`,
			);
		}
		return { ok: true, at: input, subject: `${SUBJECT} ${input}`, isEpochNumber: true };
	}
	if (typeof input === 'string') {
		return parseIsoString(input.trim(), timeZone);
	}
	return reject(
		`Invalid schedule time: expected a Date, epoch milliseconds or an ISO 8601 string, got ${describeValue(input)}.`,
	);
}

function parseIsoString(text: string, timeZone: string | undefined): Instant {
	const subject = `${SUBJECT} ${quoteValue(text)}`;
	if (text === '') {
		return reject(
			`Missing schedule time: the value is empty. Use an ISO 8601 date and time, ${EXAMPLES}.`,
		);
	}
	if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
		return reject(
			`${subject}: it has a date but no time of day. Add one, such as ${text}T09:00:00.`,
		);
	}
	const match = ISO_DATE_TIME.exec(text);
	if (!match) {
		return reject(`${subject}. Use an ISO 8601 date and time, ${EXAMPLES}.`);
	}

	const [, year, month, day, hour, minute, second = '0', fraction = '', offset] = match;
	const fields = {
		year: Number(year),
		month: Number(month),
		day: Number(day),
		hour: Number(hour),
		minute: Number(minute),
		second: Number(second),
		// Luxon keeps milliseconds, so digits past the third are dropped.
		millisecond: Number(fraction.padEnd(3, '0').slice(0, 3)),
	};
	const fieldError = checkFields(fields);
	if (fieldError) {
		return reject(`${subject}: ${fieldError}.`);
	}
	// The wall-clock time read as if it were UTC.
	const wallClockMs = DateTime.utc(
		fields.year,
		fields.month,
		fields.day,
		fields.hour,
		fields.minute,
		fields.second,
		fields.millisecond,
	).toMillis();

	if (offset !== undefined) {
		const offsetMinutes = parseOffset(offset);
		if (offsetMinutes === undefined) {
			return reject(`${subject}: the offset ${offset} is out of range.`);
		}
		return { ok: true, at: wallClockMs - offsetMinutes * 60_000, subject, isEpochNumber: false };
	}
	if (timeZone === undefined) {
		return reject(
			`${subject}: it has no UTC offset and no time zone was set. Add an offset, ${EXAMPLES}, or set a time zone.`,
		);
	}
	return resolveWallClock(wallClockMs, timeZone, text, subject);
}

/** Returns why the date and time fields are out of range, or undefined. */
function checkFields(fields: {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
}): string | undefined {
	if (fields.month < 1 || fields.month > 12) {
		return `month ${fields.month} does not exist`;
	}
	const daysInMonth = DateTime.utc(fields.year, fields.month).daysInMonth ?? 31;
	if (fields.day < 1 || fields.day > daysInMonth) {
		const yearMonth = `${String(fields.year).padStart(4, '0')}-${String(fields.month).padStart(2, '0')}`;
		return `day ${fields.day} does not exist in ${yearMonth}, which has ${daysInMonth} days`;
	}
	if (fields.hour > 23) {
		return `hour ${fields.hour} does not exist, because hours run from 00 to 23`;
	}
	if (fields.minute > 59) {
		return `minute ${fields.minute} does not exist`;
	}
	if (fields.second > 59) {
		return `second ${fields.second} is not supported, because seconds run from 00 to 59`;
	}
	return undefined;
}

/** Converts `Z`, `±hh`, `±hhmm` or `±hh:mm` to minutes east of UTC. */
function parseOffset(offset: string): number | undefined {
	if (offset === 'Z' || offset === 'z') {
		return 0;
	}
	const digits = offset.slice(1).replace(':', '');
	const hours = Number(digits.slice(0, 2));
	const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
	if (hours > 23 || minutes > 59) {
		return undefined;
	}
	const sign = offset.startsWith('-') ? -1 : 1;
	return sign * (hours * 60 + minutes);
}

/**
 * Finds the instant at which clocks in `timeZone` show the wall-clock time.
 * The candidate offsets are those in force a day before, at and a day after
 * the wall-clock time read as UTC, which covers any single transition. A candidate is valid when the zone has that
 * offset at the instant it gives. None valid means a gap, and two mean an
 * overlap, where the earlier instant wins.
 */
function resolveWallClock(
	wallClockMs: number,
	timeZone: string,
	text: string,
	subject: string,
): Instant {
	const zone = IANAZone.create(timeZone);
	const offsets = new Set(
		[wallClockMs - DAY_MS, wallClockMs, wallClockMs + DAY_MS].map((ms) => zone.offset(ms)),
	);
	const instants = [...offsets]
		.map((offsetMinutes) => wallClockMs - offsetMinutes * 60_000)
		.filter((at) => zone.offset(at) * 60_000 === wallClockMs - at)
		.sort((a, b) => a - b);

	if (instants.length === 0) {
		const afterGap = wallClockMs - zone.offset(wallClockMs - DAY_MS) * 60_000;
		const shifted = DateTime.fromMillis(afterGap, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
		return reject(
			`${subject}: ${text} does not exist in ${timeZone}, because the clocks jump forward over it, as when daylight saving time starts. Use a time after the jump, such as ${shifted}.`,
		);
	}
	return { ok: true, at: instants[0], subject, isEpochNumber: false };
}

/** Rejects times too far in the past or future, and marks those due now. */
function checkWindow(
	instant: Extract<Instant, { ok: true }>,
	now: number,
	timeZone: string | undefined,
): ScheduleResult {
	const { at, subject } = instant;
	if (at < now - PAST_TOLERANCE_MS) {
		const secondsHint =
			instant.isEpochNumber && at < LIKELY_SECONDS_BELOW
				? ' The number looks like seconds since the epoch, so multiply it by 1000.'
				: '';
		return reject(
			`${subject}: ${formatInstant(at)} is in the past (now is ${formatInstant(now)}). Use a future time, or send the message without a schedule time.${secondsHint}`,
		);
	}
	const latest = now + MAX_SCHEDULE_AHEAD_MS;
	if (at > latest) {
		return reject(
			`${subject}: ${formatInstant(at)} is more than 366 days ahead. Use a time up to ${formatInstant(latest)}.`,
		);
	}
	const time: ScheduleTime = { at, sendNow: at <= now };
	if (timeZone !== undefined) {
		time.timeZone = timeZone;
	}
	return { ok: true, ...time };
}

function formatInstant(ms: number): string {
	if (Math.abs(ms) > MAX_DATE_MS) {
		return `${ms} ms after the epoch`;
	}
	return new Date(ms).toISOString();
}

function reject(reason: string): { ok: false; reason: string } {
	return { ok: false, reason };
}
