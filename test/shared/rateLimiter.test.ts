import fc from 'fast-check';
import type { Redis } from 'ioredis';

import { createSharedQueue } from '../../shared/redis/bullmq';
import { QueueKeys } from '../../shared/redis/keys';
import { RateLimiter } from '../../shared/queue/rateLimiter';
import { maxInAnyWindow } from '../helpers/messages';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';

const defaults = { max: 5, duration: 1000, jitter: 0 };

describe('RateLimiter', () => {
	let server: RedisServer;
	let client: Redis;
	let keys: QueueKeys;
	let limiter: RateLimiter;

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		client = server.client();
		keys = new QueueKeys(uniquePrefix());
		limiter = new RateLimiter(client, keys, defaults);
	});

	afterEach(() => {
		client.disconnect();
	});

	it('grants one slot per even interval', async () => {
		const first = await limiter.claim('acme', 5, 10_000, true);
		const early = await limiter.claim('acme', 5, 10_050, true);
		const onTime = await limiter.claim('acme', 5, 10_200, true);
		expect(first.granted).toBe(1);
		expect(early.granted).toBe(0);
		expect(early.state).toBe('limited');
		expect(early.waitMs).toBe(150);
		expect(onTime.granted).toBe(1);
	});

	it('lets a late claim catch up', async () => {
		await limiter.claim('acme', 1, 10_000, true);
		const late = await limiter.claim('acme', 1, 10_240, true);
		const next = await limiter.claim('acme', 1, 10_400, true);
		expect(late.granted).toBe(1);
		expect(next.granted).toBe(1);
	});

	it('caps starts in a sliding window', async () => {
		const starts: number[] = [];
		for (const now of [10_000, 10_240, 10_400, 10_600, 10_800]) {
			const claim = await limiter.claim('acme', 1, now, true);
			expect(claim.granted).toBe(1);
			starts.push(now);
		}
		// 10,240 was 40 ms behind its slot, so 11,000 is on schedule but would be
		// the sixth start within one window plus its 10 ms guard of 10,000.
		const refused = await limiter.claim('acme', 1, 11_000, true);
		const allowed = await limiter.claim('acme', 1, 11_010, true);
		expect(refused.granted).toBe(0);
		expect(refused.waitMs).toBe(10);
		expect(allowed.granted).toBe(1);
		expect(maxInAnyWindow([...starts, 11_010], 1000)).toBe(5);
	});

	it('widens the guard by reported delays', async () => {
		const pair = new RateLimiter(client, keys, { max: 2, duration: 1000, jitter: 0 });
		// A worker reports that its sends start up to 50 ms after the claim.
		await pair.claim('acme', 1, 10_000, true, 50);
		await pair.claim('acme', 1, 10_500, true, 0);
		const refused = await pair.claim('acme', 1, 11_010, true, 0);
		const allowed = await pair.claim('acme', 1, 11_050, true, 0);
		expect(refused.granted).toBe(0);
		expect(allowed.granted).toBe(1);
	});

	it('forgets a reported delay after two periods', async () => {
		const pair = new RateLimiter(client, keys, { max: 2, duration: 1000, jitter: 0 });
		await pair.claim('acme', 1, 10_000, true, 500);
		await pair.claim('acme', 1, 30_000, true, 0);
		await pair.claim('acme', 1, 30_500, true, 0);
		const allowed = await pair.claim('acme', 1, 31_010, true, 0);
		expect(allowed.granted).toBe(1);
	});

	it('keeps a late report past the period', async () => {
		const pair = new RateLimiter(client, keys, { max: 2, duration: 1000, jitter: 0 });
		await pair.claim('acme', 1, 10_000, true, 500);
		// Reported just before the 10 s period ends, so it counts in the next one.
		await pair.claim('acme', 1, 19_900, true, 40);
		await pair.claim('acme', 1, 20_400, true, 0);
		const refused = await pair.claim('acme', 1, 20_935, true, 0);
		expect(refused.granted).toBe(0);
	});

	it('keeps a reported delay for a long window', async () => {
		const perMinute = new RateLimiter(client, keys, { max: 2, duration: 60_000, jitter: 0 });
		await perMinute.claim('acme', 1, 10_000, true, 500);
		await perMinute.claim('acme', 1, 40_000, true, 0);
		// The first send may have started 500 ms late, so it leaves the window at 70,500.
		const refused = await perMinute.claim('acme', 1, 70_100, true, 0);
		expect(refused.granted).toBe(0);
	});

	it('counts a slot with its allowance', async () => {
		await limiter.claim('acme', 1, 10_000, true, 0, 100);
		for (const now of [10_200, 10_400, 10_600, 10_800]) {
			await limiter.claim('acme', 1, now, true);
		}
		// The first slot counts as starting at 10,100, so the sixth waits until 11,110.
		const refused = await limiter.claim('acme', 1, 11_010, true);
		const allowed = await limiter.claim('acme', 1, 11_110, true);
		expect(refused.waitMs).toBe(100);
		expect(allowed.granted).toBe(1);
	});

	it('uses the Redis clock by default', async () => {
		const first = await limiter.claim('acme', 1, undefined, true);
		const second = await limiter.claim('acme', 1, undefined, true);
		expect(first.granted).toBe(1);
		expect(second.state).toBe('limited');
		expect(second.waitMs).toBeGreaterThan(150);
	});

	it('never exceeds the limit', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(
					fc.record({
						gap: fc.integer({ min: 0, max: 400 }),
						allowanceMs: fc.integer({ min: 0, max: 60 }),
						// The share of its allowance that a send used.
						used: fc.double({ min: 0, max: 1, noNaN: true }),
					}),
					{ minLength: 1, maxLength: 60 },
				),
				fc.integer({ min: 1, max: 10 }),
				async (claims, want) => {
					const instance = `i${Math.random().toString(36).slice(2)}`;
					const starts: number[] = [];
					let now = 50_000;
					for (const { gap, allowanceMs, used } of claims) {
						now += gap;
						const claim = await limiter.claim(instance, want, now, true, 0, allowanceMs);
						for (let i = 0; i < claim.granted; i++) {
							starts.push(now + Math.floor(allowanceMs * used));
						}
					}
					return maxInAnyWindow(starts, defaults.duration) <= defaults.max;
				},
			),
			{ numRuns: 60 },
		);
	});

	it('grants several slots at high rates', async () => {
		const fast = new RateLimiter(client, keys, { max: 1000, duration: 1000, jitter: 0 });
		const first = await fast.claim('acme', 100, 10_000, true);
		const behind = await fast.claim('acme', 100, 10_030, true);
		expect(first.granted).toBe(1);
		// One slot per ms: those from 10,001 to 10,030 are due.
		expect(behind.granted).toBe(30);
	});

	it('gives no credit after idling', async () => {
		await limiter.claim('acme', 1, 10_000, true);
		const afterIdle = await limiter.claim('acme', 5, 60_000, true);
		const next = await limiter.claim('acme', 1, 60_100, true);
		expect(afterIdle.granted).toBe(1);
		expect(next.waitMs).toBe(100);
	});

	it('returns unused slots', async () => {
		const claim = await limiter.claim('acme', 1, 10_000, true);
		const released = await limiter.release('acme', claim, 1);
		const again = await limiter.claim('acme', 1, 10_010, true);
		expect(released).toBe(true);
		expect(again.granted).toBe(1);
	});

	it('keeps slots another worker claimed since', async () => {
		const mine = await limiter.claim('acme', 1, 10_000, true);
		await limiter.claim('acme', 1, 10_200, true);
		expect(await limiter.release('acme', mine, 1)).toBe(false);
	});

	it('holds claims while throttled', async () => {
		await limiter.throttle('acme', 2000, 10_000);
		const held = await limiter.claim('acme', 1, 11_000, true);
		const after = await limiter.claim('acme', 1, 12_000, true);
		expect(held.state).toBe('throttled');
		expect(held.waitMs).toBe(1000);
		expect(after.granted).toBe(1);
	});

	it('uses a stored per-instance limit', async () => {
		await client.hset(keys.settings('acme'), { max: 1, duration: 5000, jitter: 0 });
		await limiter.claim('acme', 1, 10_000, true);
		const claim = await limiter.claim('acme', 1, 11_000, true);
		expect(claim.waitMs).toBe(4000);
	});

	it('reports an empty queue', async () => {
		const claim = await limiter.claim('acme', 1);
		expect(claim.state).toBe('empty');
		expect(claim.waitMs).toBe(-1);
	});

	it('reports when a delayed job is due', async () => {
		const queue = createSharedQueue(client, keys.queueName('acme'), keys.prefix);
		try {
			await queue.add('text', {}, { delay: 60_000 });
			const claim = await limiter.claim('acme', 1);
			expect(claim.state).toBe('empty');
			expect(claim.waitMs).toBeGreaterThan(55_000);
		} finally {
			await queue.close();
		}
	});

	it('grants no more slots than jobs', async () => {
		const queue = createSharedQueue(client, keys.queueName('acme'), keys.prefix);
		const fast = new RateLimiter(client, keys, { max: 1000, duration: 1000, jitter: 0 });
		try {
			await queue.addBulk([
				{ name: 'text', data: {} },
				{ name: 'text', data: {}, opts: { priority: 3 } },
				{ name: 'text', data: {}, opts: { priority: 3 } },
			]);
			const now = Date.now();
			await fast.claim('acme', 10, now);
			const claim = await fast.claim('acme', 10, now + 30);
			expect(claim.granted).toBe(3);
		} finally {
			await queue.close();
		}
	});

	it('reports a paused queue', async () => {
		const queue = createSharedQueue(client, keys.queueName('acme'), keys.prefix);
		try {
			await queue.add('text', {});
			await queue.pause();
			const claim = await limiter.claim('acme', 1);
			expect(claim.state).toBe('paused');
		} finally {
			await queue.close();
		}
	});
});
