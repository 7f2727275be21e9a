import { appendFileSync } from 'node:fs';

/** Returns the maximum number of events in any half-open window of `durationMs`. */
export function maxInAnyWindow(times: number[], durationMs: number): number {
	const sorted = [...times].sort((a, b) => a - b);
	let most = 0;
	let first = 0;
	for (let last = 0; last < sorted.length; last++) {
		while (sorted[last] - sorted[first] >= durationMs) {
			first++;
		}
		most = Math.max(most, last - first + 1);
	}
	return most;
}

/** Returns the values that occur more than once, with their counts. */
export function repeatedValues(values: Iterable<string>): Map<string, number> {
	const counts = new Map<string, number>();
	for (const value of values) {
		counts.set(value, (counts.get(value) ?? 0) + 1);
	}
	for (const [value, count] of counts) {
		if (count < 2) {
			counts.delete(value);
		}
	}
	return counts;
}

/** Counts the copies beyond the first of every repeated value. */
export function extraCopies(values: Iterable<string>): number {
	let extra = 0;
	for (const count of repeatedValues(values).values()) {
		extra += count - 1;
	}
	return extra;
}

/** Returns the median of a list of numbers, or NaN when it is empty. */
export function median(values: number[]): number {
	if (values.length === 0) {
		return Number.NaN;
	}
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Prints one measured result of a fault test as a JSON line, and appends it
 * to the file named by `FAULT_REPORT_FILE` when that variable is set, so a
 * run can be turned into the figures of docs/reliability.md.
 */
export function reportMeasurement(fault: string, values: Record<string, number | string | boolean>): void {
	const line = JSON.stringify({ fault, ...values });
	const file = process.env.FAULT_REPORT_FILE;
	if (file) {
		appendFileSync(file, `${line}\n`);
	}
	console.log(`measured ${line}`);
}
