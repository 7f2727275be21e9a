/** Pacing accuracy of a run, measured on gateway receive times. */

import { largestGap, maxInSlidingWindow, sustainedPerWindow } from './stats';

/** A rate limit: `max` sends per `duration` ms. */
export interface Limit {
	max: number;
	duration: number;
}

/** How closely one instance's sends followed its limit. */
export interface PacingFigures {
	/** Maximum sends in any sliding window of `duration`. */
	maxInWindow: number;
	/** Sends per window over the whole windows of the run, as a share of `max`. */
	sustainedShare: number;
	/** Largest time between consecutive sends, in ms. */
	largestGapMs: number;
	/** Largest gap allowed by the target: the even spacing plus 10 % of it or 50 ms, whichever is larger. */
	allowedGapMs: number;
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
	return {
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
	};
}
