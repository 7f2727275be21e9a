/**
 * Timers the sandbox can cancel all at once, so `stop()` leaves nothing that
 * keeps Node running.
 */
export class TimerSet {
	readonly #pending = new Map<NodeJS.Timeout, () => void>();

	/** Number of timers not yet fired or cancelled. */
	get size(): number {
		return this.#pending.size;
	}

	/** Runs `callback` after `delayMs` milliseconds unless cancelled first. */
	schedule(delayMs: number, callback: () => void): void {
		const timer = setTimeout(() => {
			this.#pending.delete(timer);
			callback();
		}, delayMs);
		this.#pending.set(timer, () => undefined);
	}

	/**
	 * Waits `delayMs` milliseconds. Resolves `true` when the time passed and
	 * `false` when `cancelAll()` ended the wait first.
	 */
	sleep(delayMs: number): Promise<boolean> {
		if (delayMs <= 0) {
			return Promise.resolve(true);
		}
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.#pending.delete(timer);
				resolve(true);
			}, delayMs);
			this.#pending.set(timer, () => resolve(false));
		});
	}

	/** Cancels every pending timer and ends every wait with `false`. */
	cancelAll(): void {
		for (const [timer, cancel] of this.#pending) {
			clearTimeout(timer);
			cancel();
		}
		this.#pending.clear();
	}
}
