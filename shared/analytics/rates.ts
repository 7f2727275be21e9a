/**
 * Rates as percentages. A rate is computed from totals over the whole range,
 * never as an average of daily rates, and a zero denominator gives null
 * rather than NaN, Infinity or a made-up denominator.
 */

import type { Anomaly } from './types';

/** Rounds to 2 decimals. */
export function round2(value: number): number {
	return Math.round(value * 100) / 100;
}

/** Returns numerator / denominator × 100 with 2 decimals, or null when the denominator is 0. */
export function percentage(numerator: number, denominator: number): number | null {
	if (denominator === 0 || !Number.isFinite(numerator) || !Number.isFinite(denominator)) {
		return null;
	}
	return round2((numerator * 100) / denominator);
}

/**
 * Computes a rate that should not pass 100 %. When it does, the value is
 * still returned as computed and an anomaly naming both counts is added.
 */
export function boundedRate(
	metric: string,
	numerator: { name: string; value: number },
	denominator: { name: string; value: number },
	anomalies: Anomaly[],
): number | null {
	const rate = percentage(numerator.value, denominator.value);
	if (rate !== null && rate > 100) {
		anomalies.push({
			metric,
			value: rate,
			message:
				`${metric} is ${rate} % because ${numerator.value} ${numerator.name} were recorded ` +
				`for ${denominator.value} ${denominator.name}. Check for duplicate tracking ` +
				`or for ${denominator.name} that were not tracked.`,
		});
	}
	return rate;
}

/** Returns (revenue - cost) / cost × 100 with 2 decimals, or null when cost is 0. */
export function returnOnInvestment(revenue: number, cost: number): number | null {
	return cost > 0 ? round2(((revenue - cost) * 100) / cost) : null;
}
