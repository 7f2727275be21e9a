/** Options for `waitFor`. */
export interface WaitForOptions {
	/** Give up after this many milliseconds. @defaultValue `10000` */
	timeoutMs?: number;
	/** Pause between checks in milliseconds. @defaultValue `25` */
	intervalMs?: number;
	/** Shown in the timeout error, such as `"all 60 messages sent"`. */
	description?: string;
}

/** `T` without the falsy values `waitFor` keeps polling past. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Polls `condition` until it returns a truthy value, and resolves to that
 * value. Fails with the description and the last error once the deadline
 * passes. Tests use this instead of fixed sleeps.
 */
export async function waitFor<T>(
	condition: () => T | Promise<T>,
	options: WaitForOptions = {},
): Promise<Truthy<T>> {
	const { timeoutMs = 10_000, intervalMs = 25, description = 'condition' } = options;
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await condition();
			if (value) {
				return value as Truthy<T>;
			}
		} catch (error) {
			lastError = error;
		}
		if (Date.now() >= deadline) {
			const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${reason}`);
		}
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}
