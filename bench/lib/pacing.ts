/** Pacing accuracy of a run, measured on gateway receive times. */

import { largestGap, maxInSlidingWindow, sustainedPerWindow } from './stats';

/** A rate limit: `max` sends per `duration` ms. */
export interface Limit {
	max: number;
	duration: number;
}

/** Pacing accuracy of one instance's sends against its limit. */
export interface PacingFigures {
	/** Maximum sends in any sliding window of `duration`. */
	maxInWindow: number;
	/** Sends per window over the whole windows of the run, as a share of `max`. */
	sustainedShare: number;
	/** Largest time between consecutive sends, in ms. */
	largestGapMs: number;
	/** Largest gap allowed by the target: the even spacing plus 10 % of it or 50 ms, whichever is larger. */
	allowedGapMs: number;
	/** Windows over the limit that begin at one of the first `max` sends, the start-up window. */
	overFullAtStart: number;
	/** Windows over the limit that begin later. */
	overFullLater: number;
}

/**
 * Counts the sends that begin a window of `duration` holding more than
 * `max` sends, split into those among the first `max` sends and the rest.
 */
export function countOverFull(
	times: readonly number[],
	limit: Limit,
): { atStart: number; later: number } {
	let atStart = 0;
	let later = 0;
	for (let index = 0; index + limit.max < times.length; index++) {
		if (times[index + limit.max] - times[index] < limit.duration) {
			if (index < limit.max) {
				atStart += 1;
			} else {
				later += 1;
			}
		}
	}
	return { atStart, later };
}

/** Even spacing of a limit in ms. */
export function spacingMs(limit: Limit): number {
	return limit.duration / limit.max;
}

/** Largest gap the target allows for `limit`. */
export function allowedGap(limit: Limit): number {
	const spacing = spacingMs(limit);
	return spacing + Math.max(0.1 * spacing, 50);
}

/** Measures one instance's sorted send times against its limit. */
export function measurePacing(times: readonly number[], limit: Limit): PacingFigures {
	const overFull = countOverFull(times, limit);
	return {
		overFullAtStart: overFull.atStart,
		overFullLater: overFull.later,
		maxInWindow: maxInSlidingWindow(times, limit.duration),
		sustainedShare: sustainedPerWindow(times, limit.duration) / limit.max,
		largestGapMs: largestGap(times),
		allowedGapMs: allowedGap(limit),
	};
}

/** Combines the figures of several instances of one run: the worst of each. */
export function worstOf(figures: readonly PacingFigures[]): PacingFigures {
	return {
		maxInWindow: Math.max(...figures.map((entry) => entry.maxInWindow)),
		sustainedShare: Math.min(...figures.map((entry) => entry.sustainedShare)),
		largestGapMs: Math.max(...figures.map((entry) => entry.largestGapMs)),
		allowedGapMs: Math.max(...figures.map((entry) => entry.allowedGapMs)),
		overFullAtStart: figures.reduce((sum, entry) => sum + entry.overFullAtStart, 0),
		overFullLater: figures.reduce((sum, entry) => sum + entry.overFullLater, 0),
	};
}
