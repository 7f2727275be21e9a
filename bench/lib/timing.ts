/** Waiting helpers with deadlines, so every benchmark loop ends by itself. */

/** Resolves after `ms` milliseconds. */
export async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every `intervalMs` until it returns a truthy value, and
 * resolves to that value. Rejects once `timeoutMs` has passed.
 */
export async function waitFor<T>(
	condition: () => T | Promise<T>,
	options: { timeoutMs: number; intervalMs?: number; description: string },
): Promise<NonNullable<T>> {
	const deadline = Date.now() + options.timeoutMs;
	for (;;) {
		const value = await condition();
		if (value) {
			return value as NonNullable<T>;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`Timed out after ${options.timeoutMs} ms waiting for ${options.description}.`,
			);
		}
		await sleep(options.intervalMs ?? 20);
	}
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
	return performance.now();
}
