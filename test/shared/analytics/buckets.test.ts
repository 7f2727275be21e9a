import {
	eventBucketsAt,
	periodRange,
	planBuckets,
	type MillisRange,
} from '../../../shared/analytics/buckets';

const NOW = Date.parse('2025-04-10T12:34:00Z');
const OLDEST = Date.parse('2024-01-01T00:00:00Z');

function range(start: string, end: string): MillisRange {
	return { startMs: Date.parse(start), endMs: Date.parse(end) };
}

describe('planBuckets', () => {
	it('reads whole days from day buckets', () => {
		const plan = planBuckets(
			range('2025-04-01T00:00:00Z', '2025-04-08T00:00:00Z'),
			'UTC',
			NOW,
			OLDEST,
		);
		expect(plan.dayIds).toEqual([
			'20250401',
			'20250402',
			'20250403',
			'20250404',
			'20250405',
			'20250406',
			'20250407',
		]);
		expect(plan.hourIds).toEqual([]);
		expect(plan.isExact).toBe(true);
	});

	it('reads partial days from hour buckets', () => {
		const plan = planBuckets(
			range('2025-04-01T22:00:00Z', '2025-04-03T02:00:00Z'),
			'UTC',
			NOW,
			OLDEST,
		);
		expect(plan.dayIds).toEqual(['20250402']);
		expect(plan.hourIds).toEqual(['2025040122', '2025040123', '2025040300', '2025040301']);
		expect(plan.isExact).toBe(true);
	});

	it('uses local days of the zone', () => {
		const plan = planBuckets(
			range('2025-04-01T03:00:00Z', '2025-04-02T03:00:00Z'),
			'America/Sao_Paulo',
			NOW,
			OLDEST,
		);
		expect(plan.dayIds).toEqual(['20250401']);
		expect(plan.hourIds).toEqual([]);
	});

	it('counts today whole when open-ended', () => {
		const plan = planBuckets(
			range('2025-04-10T00:00:00Z', '2025-04-10T12:34:00Z'),
			'UTC',
			NOW,
			OLDEST,
		);
		expect(plan.dayIds).toEqual(['20250410']);
		expect(plan.isExact).toBe(true);
	});

	it('shifts half-hour zone days', () => {
		// 2025-04-02 in Asia/Kolkata (UTC+05:30) is 2025-04-01T18:30Z to 2025-04-02T18:30Z.
		const plan = planBuckets(
			range('2025-04-01T18:30:00Z', '2025-04-02T18:30:00Z'),
			'UTC',
			NOW,
			OLDEST,
		);
		expect(plan.hourIds[0]).toBe('2025040119');
		expect(plan.hourIds).toHaveLength(24);
		expect(new Date(plan.coveredStartMs).toISOString()).toBe('2025-04-01T19:00:00.000Z');
		expect(plan.isExact).toBe(false);
	});

	it('clips the range to retained data', () => {
		const oldest = Date.parse('2025-04-09T00:00:00Z');
		const plan = planBuckets(
			range('2020-01-01T00:00:00Z', '2025-04-10T00:00:00Z'),
			'UTC',
			NOW,
			oldest,
		);
		expect(plan.dayIds).toEqual(['20250409']);
	});
});

describe('eventBucketsAt', () => {
	it('names UTC hour and local day', () => {
		const buckets = eventBucketsAt(
			Date.parse('2025-04-01T02:30:00Z'),
			'America/Sao_Paulo',
			90,
			NOW,
		);
		expect(buckets.hourId).toBe('2025040102');
		expect(buckets.dayId).toBe('20250331');
	});

	it('expires buckets retentionDays after they end', () => {
		const buckets = eventBucketsAt(Date.parse('2025-04-01T02:30:00Z'), 'UTC', 90, NOW);
		expect(buckets.dayExpireAt).toBe(Date.parse('2025-07-01T00:00:00Z') / 1000);
		expect(buckets.hourExpireAt).toBe(Date.parse('2025-06-30T03:00:00Z') / 1000);
	});

	it('skips buckets already past retention', () => {
		const buckets = eventBucketsAt(Date.parse('2024-01-01T00:00:00Z'), 'UTC', 90, NOW);
		expect(buckets.dayExpireAt).toBe(0);
		expect(buckets.hourExpireAt).toBe(0);
	});
});

describe('periodRange', () => {
	const wednesday = Date.parse('2025-04-09T15:00:00Z');

	it('starts weeks on Monday', () => {
		const week = periodRange('week', 'UTC', wednesday, false);
		expect(new Date(week.startMs).toISOString()).toBe('2025-04-07T00:00:00.000Z');
		expect(week.endMs).toBe(wednesday);
	});

	it('returns the whole previous week', () => {
		const week = periodRange('week', 'UTC', wednesday, true);
		expect(new Date(week.startMs).toISOString()).toBe('2025-03-31T00:00:00.000Z');
		expect(new Date(week.endMs).toISOString()).toBe('2025-04-07T00:00:00.000Z');
	});

	it('follows the zone for months', () => {
		const month = periodRange(
			'month',
			'America/Sao_Paulo',
			Date.parse('2025-04-01T01:00:00Z'),
			false,
		);
		expect(new Date(month.startMs).toISOString()).toBe('2025-03-01T03:00:00.000Z');
	});
});
