import { Batcher, type BatcherOptions } from '../../../shared/analytics/batcher';
import { QueueClosedError } from '../../../shared/errors';

/** A writer that records each batch and returns each item doubled as its reply. */
function recordingWriter() {
	const batches: number[][] = [];
	const write = async (items: number[]) => {
		batches.push([...items]);
		return items.map((item) => item * 2);
	};
	return { batches, write };
}

function batcher(
	write: (items: number[]) => Promise<(number | Error)[]>,
	options: Partial<BatcherOptions> = {},
): Batcher<number, number> {
	return new Batcher(write, { maxSize: 100, delayMs: 0, ...options });
}

describe('Batcher', () => {
	it('batches calls of one turn', async () => {
		const { batches, write } = recordingWriter();
		const target = batcher(write);
		const replies = await Promise.all([1, 2, 3].map((item) => target.add(item)));
		expect(replies).toEqual([2, 4, 6]);
		expect(batches).toEqual([[1, 2, 3]]);
	});

	it('writes a full batch at once', async () => {
		const { batches, write } = recordingWriter();
		const target = batcher(write, { maxSize: 2 });
		const calls = [1, 2, 3].map((item) => target.add(item));
		expect(batches).toEqual([[1, 2]]);
		await Promise.all(calls);
		expect(batches).toEqual([[1, 2], [3]]);
	});

	it('waits the delay for more items', async () => {
		const { batches, write } = recordingWriter();
		const target = batcher(write, { delayMs: 20 });
		const first = target.add(1);
		await new Promise((resolve) => setImmediate(resolve));
		expect(batches).toEqual([]);
		const second = target.add(2);
		await Promise.all([first, second]);
		expect(batches).toEqual([[1, 2]]);
	});

	it('keeps the order of items and batches', async () => {
		const { batches, write } = recordingWriter();
		const target = batcher(write, { maxSize: 3 });
		await Promise.all([5, 4, 3, 2, 1].map((item) => target.add(item)));
		expect(batches).toEqual([
			[5, 4, 3],
			[2, 1],
		]);
	});

	it('rejects every item of a failed batch', async () => {
		const failure = new Error('Redis refused the script.');
		const target = batcher(async () => {
			throw failure;
		});
		const results = await Promise.allSettled([1, 2, 3].map((item) => target.add(item)));
		for (const result of results) {
			expect(result).toEqual({ status: 'rejected', reason: failure });
		}
	});

	it('rejects only the item with an error reply', async () => {
		const failure = new Error('This event failed.');
		const target = batcher(async (items) =>
			items.map((item) => (item === 2 ? failure : item * 10)),
		);
		const results = await Promise.allSettled([1, 2, 3].map((item) => target.add(item)));
		expect(results[0]).toEqual({ status: 'fulfilled', value: 10 });
		expect(results[1]).toEqual({ status: 'rejected', reason: failure });
		expect(results[2]).toEqual({ status: 'fulfilled', value: 30 });
	});

	it('rejects replies of the wrong length', async () => {
		const target = batcher(async () => [1]);
		const results = await Promise.allSettled([1, 2].map((item) => target.add(item)));
		for (const result of results) {
			expect(result.status).toBe('rejected');
		}
		expect((results[0] as PromiseRejectedResult).reason).toBe(
			(results[1] as PromiseRejectedResult).reason,
		);
	});

	it('writes pending items on close', async () => {
		const { batches, write } = recordingWriter();
		const target = batcher(write, { delayMs: 60_000 });
		const call = target.add(7);
		await target.close();
		expect(batches).toEqual([[7]]);
		await expect(call).resolves.toBe(14);
	});

	it('waits for batches in flight on close', async () => {
		let finish: (() => void) | undefined;
		const target = batcher(
			(items) =>
				new Promise((resolve) => {
					finish = () => resolve(items);
				}),
			{ maxSize: 1 },
		);
		const call = target.add(1);
		let isClosed = false;
		const closing = target.close().then(() => {
			isClosed = true;
		});
		await new Promise((resolve) => setImmediate(resolve));
		expect(isClosed).toBe(false);
		finish?.();
		await closing;
		await expect(call).resolves.toBe(1);
	});

	it('rejects items after close', async () => {
		const { write } = recordingWriter();
		const target = batcher(write);
		await target.close();
		await expect(target.add(1)).rejects.toThrow(QueueClosedError);
	});
});
