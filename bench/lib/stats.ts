/** Summaries of repeated runs and measures of send times. */

/** Median and range of repeated measurements of one figure. */
export interface Summary {
	median: number;
	min: number;
	max: number;
	/** `(max - min) / median`, 0 when the median is 0. */
	spread: number;
	runs: number[];
}

/** Returns the median of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
	if (values.length === 0) {
		return Number.NaN;
	}
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Summarises repeated measurements of one figure. Runs that measured
 * nothing (NaN) stay in `runs` but are left out of the other fields.
 */
export function summarize(runs: readonly number[]): Summary {
	const measured = runs.filter((value) => Number.isFinite(value));
	const middle = median(measured);
	const min = measured.length > 0 ? Math.min(...measured) : Number.NaN;
	const max = measured.length > 0 ? Math.max(...measured) : Number.NaN;
	return {
		median: middle,
		min,
		max,
		spread: middle === 0 || !Number.isFinite(middle) ? 0 : (max - min) / Math.abs(middle),
		runs: [...runs],
	};
}

/** Returns the `p`-th percentile (0 to 100) of `values` by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) {
		return Number.NaN;
	}
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Returns the maximum number of sends that start within any window of
 * `windowMs`: for each send, the sends at or after it and less than
 * `windowMs` later. `times` are in ms and sorted.
 */
export function maxInSlidingWindow(times: readonly number[], windowMs: number): number {
	let maxCount = 0;
	let end = 0;
	for (let start = 0; start < times.length; start++) {
		while (end < times.length && times[end] < times[start] + windowMs) {
			end += 1;
		}
		maxCount = Math.max(maxCount, end - start);
	}
	return maxCount;
}

/**
 * Returns the sends per `windowMs` over the whole windows that fit between
 * the first and the last send, counted from the first send. A sender that
 * bursts at the start of each window and one that spreads its sends evenly
 * both score their true long-run rate. Returns NaN when no whole window fits.
 */
export function sustainedPerWindow(times: readonly number[], windowMs: number): number {
	if (times.length < 2) {
		return Number.NaN;
	}
	const first = times[0];
	const windows = Math.floor((times[times.length - 1] - first) / windowMs);
	if (windows < 1) {
		return Number.NaN;
	}
	const end = first + windows * windowMs;
	const count = times.filter((time) => time < end).length;
	return count / windows;
}

/** Returns the largest time between two consecutive sends, in ms; 0 for fewer than two. */
export function largestGap(times: readonly number[]): number {
	let gap = 0;
	for (let i = 1; i < times.length; i++) {
		gap = Math.max(gap, times[i] - times[i - 1]);
	}
	return gap;
}

/**
 * Counts events per bucket of `bucketMs`, from `origin`, as points of
 * (seconds since origin, events per second), for rate-over-time charts.
 */
export function rateSeries(
	times: readonly number[],
	origin: number,
	bucketMs: number,
): Array<[number, number]> {
	if (times.length === 0) {
		return [];
	}
	const buckets = Math.ceil((times[times.length - 1] - origin + 1) / bucketMs);
	const counts = new Array<number>(Math.max(1, buckets)).fill(0);
	for (const time of times) {
		const index = Math.floor((time - origin) / bucketMs);
		if (index >= 0 && index < counts.length) {
			counts[index] += 1;
		}
	}
	return counts.map((count, index) => [((index + 1) * bucketMs) / 1000, (count * 1000) / bucketMs]);
}

/**
 * Counts the sends in the trailing window of `windowMs` every `stepMs`, as
 * points of (seconds since origin, sends in the window). It shows bursts
 * that a sliding-window limit must never let past its maximum.
 */
export function trailingWindowSeries(
	times: readonly number[],
	origin: number,
	windowMs: number,
	stepMs: number,
): Array<[number, number]> {
	if (times.length === 0) {
		return [];
	}
	const points: Array<[number, number]> = [];
	let start = 0;
	let end = 0;
	const last = times[times.length - 1];
	for (let at = origin; at <= last + stepMs; at += stepMs) {
		while (end < times.length && times[end] <= at) {
			end += 1;
		}
		while (start < end && times[start] <= at - windowMs) {
			start += 1;
		}
		points.push([(at - origin) / 1000, end - start]);
	}
	return points;
}
