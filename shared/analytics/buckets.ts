/**
 * Time bucket math. Counters are kept twice: per UTC hour (`YYYYMMDDHH`) and
 * per day of the configured zone (`YYYYMMDD`). A range in the configured zone
 * that starts and ends at midnight is read from day buckets and is exact.
 * Any other range, such as a day in another zone, is read from hour buckets,
 * and an hour bucket counts when its start lies inside the range. That is
 * exact for zones whose offset from UTC is a whole number of hours. For other
 * zones both ends of the range move forward by the offset's minutes, so a day
 * in Asia/Kolkata (UTC+05:30) is read as 00:30 to 00:30 local time.
 */

import { DateTime } from 'luxon';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A time range in epoch milliseconds, start included and end excluded. */
export interface MillisRange {
	startMs: number;
	endMs: number;
	/**
	 * Whether the range runs to now: its end is when it was requested, so
	 * buckets after the end hold nothing yet. Ranges ending at or after now
	 * are open-ended too.
	 */
	isOpenEnded?: boolean;
}

/** The buckets an event at one moment is counted in, with their expiry. */
export interface EventBuckets {
	hourId: string;
	dayId: string;
	/** Unix seconds when the hour bucket expires; 0 when it is already past retention. */
	hourExpireAt: number;
	/** Unix seconds when the day bucket expires; 0 when it is already past retention. */
	dayExpireAt: number;
}

/** The buckets that approximate a range, and the time they really cover. */
export interface BucketPlan {
	dayIds: string[];
	hourIds: string[];
	/** Start of the covered time, epoch ms. */
	coveredStartMs: number;
	/** End of the covered time, epoch ms; after now when the range runs to now. */
	coveredEndMs: number;
	/** Whether the buckets cover exactly the range, without a shifted or missing part. */
	isExact: boolean;
}

/** Calendar periods of reports. Weeks start on Monday (ISO weeks). */
export type ReportPeriod = 'day' | 'week' | 'month';

/** Returns the UTC hour id `YYYYMMDDHH` of `ms`. */
export function hourIdAt(ms: number): string {
	return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

/** Returns the epoch ms at which the UTC hour `hourId` starts. */
export function hourStartMs(hourId: string): number {
	const iso = `${hourId.slice(0, 4)}-${hourId.slice(4, 6)}-${hourId.slice(6, 8)}T${hourId.slice(8, 10)}:00:00Z`;
	return Date.parse(iso);
}

/** Returns the day id `YYYYMMDD` of `ms` in `zone`. */
export function dayIdAt(ms: number, zone: string): string {
	return DateTime.fromMillis(ms, { zone }).toFormat('yyyyLLdd');
}

/** Returns the epoch ms at which the day `dayId` of `zone` ends. */
export function dayEndMs(dayId: string, zone: string): number {
	return DateTime.fromFormat(dayId, 'yyyyLLdd', { zone }).plus({ days: 1 }).toMillis();
}

/** Returns the local midnight that starts the day of `ms` in `zone`. */
export function dayStartMs(ms: number, zone: string): number {
	return DateTime.fromMillis(ms, { zone }).startOf('day').toMillis();
}

/** Returns the local midnight that starts the day after the day of `ms`. */
export function nextDayStartMs(ms: number, zone: string): number {
	return DateTime.fromMillis(ms, { zone }).startOf('day').plus({ days: 1 }).toMillis();
}

/**
 * Returns the buckets of an event at `atMs`. A bucket expires `retentionDays`
 * after it ends; a bucket whose expiry is before `nowMs` gets expiry 0, and
 * the event is not counted there.
 */
export function eventBucketsAt(
	atMs: number,
	zone: string,
	retentionDays: number,
	nowMs: number,
): EventBuckets {
	const hourEnd = Math.floor(atMs / HOUR_MS) * HOUR_MS + HOUR_MS;
	const day = localDayAt(atMs, zone);
	const keepMs = retentionDays * DAY_MS;
	return {
		hourId: hourIdAt(atMs),
		dayId: day.id,
		hourExpireAt: expiryOrZero(hourEnd + keepMs, nowMs),
		dayExpireAt: expiryOrZero(day.endMs + keepMs, nowMs),
	};
}

interface LocalDay {
	id: string;
	startMs: number;
	endMs: number;
}

/** The last day computed per zone: almost every event falls on the same day as the one before. */
const lastDays = new Map<string, LocalDay>();

function localDayAt(ms: number, zone: string): LocalDay {
	const cached = lastDays.get(zone);
	if (cached && ms >= cached.startMs && ms < cached.endMs) {
		return cached;
	}
	const start = DateTime.fromMillis(ms, { zone }).startOf('day');
	const day = {
		id: start.toFormat('yyyyLLdd'),
		startMs: start.toMillis(),
		endMs: start.plus({ days: 1 }).toMillis(),
	};
	lastDays.set(zone, day);
	return day;
}

function expiryOrZero(expireMs: number, nowMs: number): number {
	return expireMs > nowMs ? Math.ceil(expireMs / 1000) : 0;
}

/**
 * Picks the buckets that cover `range`: day buckets of `zone` for every whole
 * day inside it, hour buckets for the rest (see the file header for the
 * rounding). When the range ends at or after `nowMs`, the day or hour that
 * contains `nowMs` counts as inside, since nothing later has been recorded.
 * The range is first clipped to `oldestMs`, because older buckets have expired.
 */
export function planBuckets(
	range: MillisRange,
	zone: string,
	nowMs: number,
	oldestMs: number,
): BucketPlan {
	const startMs = Math.max(range.startMs, oldestMs);
	const isOpenEnded = range.isOpenEnded === true || range.endMs >= nowMs;
	const endMs = isOpenEnded ? Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS : range.endMs;
	const plan: BucketPlan = {
		dayIds: [],
		hourIds: [],
		coveredStartMs: startMs,
		coveredEndMs: startMs,
		isExact: true,
	};
	if (endMs <= startMs) {
		return plan;
	}

	const days = wholeDays(startMs, range.endMs, zone, nowMs, isOpenEnded);
	const pieces: MillisRange[] = [];
	if (days.length === 0) {
		addHours(plan, pieces, startMs, endMs, Number.POSITIVE_INFINITY);
	} else {
		const firstDayMs = days[0].startMs;
		const lastDayEndMs = days[days.length - 1].endMs;
		addHours(plan, pieces, startMs, firstDayMs, firstDayMs);
		for (const day of days) {
			plan.dayIds.push(day.id);
			pieces.push(day);
		}
		addHours(plan, pieces, lastDayEndMs, endMs, Number.POSITIVE_INFINITY);
	}

	pieces.sort((a, b) => a.startMs - b.startMs);
	plan.coveredStartMs = pieces.length > 0 ? pieces[0].startMs : startMs;
	plan.coveredEndMs = pieces.length > 0 ? pieces[pieces.length - 1].endMs : startMs;
	const isContiguous = pieces.every((piece, i) => i === 0 || piece.startMs === pieces[i - 1].endMs);
	const coversEnd = isOpenEnded
		? plan.coveredEndMs >= Math.min(nowMs, range.endMs)
		: plan.coveredEndMs === range.endMs;
	plan.isExact = isContiguous && plan.coveredStartMs === range.startMs && coversEnd;
	return plan;
}

interface DayPiece extends MillisRange {
	id: string;
}

/** Local days of `zone` that lie inside the range, or contain `nowMs` when it is open-ended. */
function wholeDays(
	startMs: number,
	endMs: number,
	zone: string,
	nowMs: number,
	isOpenEnded: boolean,
): DayPiece[] {
	const days: DayPiece[] = [];
	let dayStart = dayStartMs(startMs, zone);
	if (dayStart < startMs) {
		dayStart = nextDayStartMs(startMs, zone);
	}
	for (;;) {
		const dayEnd = nextDayStartMs(dayStart, zone);
		const isInside = dayEnd <= endMs || (isOpenEnded && dayStart <= nowMs);
		if (!isInside || dayStart > nowMs) {
			break;
		}
		days.push({ id: dayIdAt(dayStart, zone), startMs: dayStart, endMs: dayEnd });
		dayStart = dayEnd;
	}
	return days;
}

/**
 * Adds the hour buckets whose start lies in `[fromMs, toMs)` and that end by
 * `limitMs`, so none overlaps a day bucket that starts at `limitMs`.
 */
function addHours(
	plan: BucketPlan,
	pieces: MillisRange[],
	fromMs: number,
	toMs: number,
	limitMs: number,
): void {
	for (let hour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS; hour < toMs; hour += HOUR_MS) {
		if (hour + HOUR_MS > limitMs) {
			break;
		}
		plan.hourIds.push(hourIdAt(hour));
		pieces.push({ startMs: hour, endMs: hour + HOUR_MS });
	}
}

/**
 * Returns the calendar period of `period` in `zone` that contains `atMs`, up
 * to `atMs` ("so far"), or with `previous` the whole period before it.
 * `isNow` marks `atMs` as the time of the request.
 */
export function periodRange(
	period: ReportPeriod,
	zone: string,
	atMs: number,
	previous: boolean,
	isNow = false,
): MillisRange {
	const current = DateTime.fromMillis(atMs, { zone }).startOf(period);
	if (!previous) {
		return { startMs: current.toMillis(), endMs: atMs, isOpenEnded: isNow };
	}
	return { startMs: current.minus({ [period + 's']: 1 }).toMillis(), endMs: current.toMillis() };
}

/** Returns the start of each of the `count` local days of `zone` that end with the day of `atMs`. */
export function dayStartsEndingAt(count: number, zone: string, atMs: number): number[] {
	const last = DateTime.fromMillis(atMs, { zone }).startOf('day');
	const starts: number[] = [];
	for (let i = count - 1; i >= 0; i--) {
		starts.push(last.minus({ days: i }).toMillis());
	}
	return starts;
}

/** Returns the start of every UTC hour from `fromMs` rounded up through the hour of `toMs`. */
export function hourStartsBetween(fromMs: number, toMs: number): number[] {
	const starts: number[] = [];
	for (let hour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS; hour <= toMs; hour += HOUR_MS) {
		starts.push(hour);
	}
	return starts;
}

/** Formats `ms` as ISO 8601 with the offset of `zone`, such as `2025-04-01T00:00:00.000-03:00`. */
export function formatInZone(ms: number, zone: string): string {
	return DateTime.fromMillis(ms, { zone }).toISO() ?? new Date(ms).toISOString();
}

export { DAY_MS, HOUR_MS };
