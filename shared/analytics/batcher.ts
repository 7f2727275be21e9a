/**
 * Collects calls made close together into batches, so that many events cost
 * one Redis round trip and one script call. A batch is written when it
 * reaches `maxSize` items, or when the delay after its first item has passed,
 * whichever comes first. Batches are written in the order they were formed,
 * and items keep their order inside a batch.
 */

import { QueueClosedError } from '../errors';

/**
 * Writes one batch and returns one reply per item, in item order. An `Error`
 * in place of a reply rejects that item alone. A rejected promise rejects
 * every item of the batch with that error.
 */
export type BatchWriter<T, R> = (items: T[]) => Promise<(R | Error)[]>;

/** Size and timing of batches. */
export interface BatcherOptions {
	/** Maximum number of items in one batch. A full batch is written at once. */
	maxSize: number;
	/**
	 * Milliseconds a batch waits for more items after its first one. With 0
	 * it waits until the end of the current event-loop turn (`setImmediate`),
	 * which gathers the calls made by one burst of callbacks.
	 */
	delayMs: number;
}

interface Pending<T, R> {
	item: T;
	resolve: (reply: R) => void;
	reject: (error: unknown) => void;
}

/** Collects items into batches for a `BatchWriter`, as the file header describes. */
export class Batcher<T, R> {
	private pending: Pending<T, R>[] = [];
	private immediate?: NodeJS.Immediate;
	private timeout?: NodeJS.Timeout;
	private readonly inFlight = new Set<Promise<void>>();
	private isClosed = false;

	constructor(
		private readonly write: BatchWriter<T, R>,
		private readonly options: BatcherOptions,
	) {}

	/**
	 * Adds `item` to the current batch. Resolves with its reply once its batch
	 * is written. Rejects with `QueueClosedError` after `close()`.
	 */
	add(item: T): Promise<R> {
		if (this.isClosed) {
			return Promise.reject(new QueueClosedError('analytics manager'));
		}
		const promise = new Promise<R>((resolve, reject) => {
			this.pending.push({ item, resolve, reject });
		});
		if (this.pending.length >= this.options.maxSize) {
			this.writePending();
		} else if (this.pending.length === 1) {
			if (this.options.delayMs === 0) {
				this.immediate = setImmediate(() => this.writePending());
			} else {
				this.timeout = setTimeout(() => this.writePending(), this.options.delayMs);
			}
		}
		return promise;
	}

	/** Writes the current batch now and waits until every batch written so far has settled. */
	async flush(): Promise<void> {
		this.writePending();
		while (this.inFlight.size > 0) {
			await Promise.all(this.inFlight);
		}
	}

	/** Rejects later items, then writes what is pending. Never rejects. */
	async close(): Promise<void> {
		this.isClosed = true;
		await this.flush();
	}

	private writePending(): void {
		this.clearTimer();
		if (this.pending.length === 0) {
			return;
		}
		const batch = this.pending;
		this.pending = [];
		const written = this.writeBatch(batch);
		this.inFlight.add(written);
		void written.finally(() => this.inFlight.delete(written));
	}

	private async writeBatch(batch: Pending<T, R>[]): Promise<void> {
		let replies: (R | Error)[];
		try {
			replies = await this.write(batch.map((entry) => entry.item));
			if (replies.length !== batch.length) {
				throw new Error(
					`Batch write returned ${replies.length} replies for ${batch.length} items.`,
				);
			}
		} catch (error) {
			for (const entry of batch) {
				entry.reject(error);
			}
			return;
		}
		batch.forEach((entry, index) => {
			const reply = replies[index];
			if (reply instanceof Error) {
				entry.reject(reply);
			} else {
				entry.resolve(reply);
			}
		});
	}

	private clearTimer(): void {
		if (this.immediate) {
			clearImmediate(this.immediate);
			this.immediate = undefined;
		}
		if (this.timeout) {
			clearTimeout(this.timeout);
			this.timeout = undefined;
		}
	}
}
