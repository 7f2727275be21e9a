/**
 * Analytics: events per second through the worker path (`recordSent`) and
 * the public API (`trackMessageSent`), against a naive pipeline of six
 * HINCRBY/INCR per event. Also the time to build a week report and a 30-day
 * hourly series with 10,000, 100,000 and 1,000,000 events stored.
 */

import type { Redis } from 'ioredis';

import { createAnalyticsManager, type AnalyticsManager } from '../../shared/analytics';
import type { SentEvent } from '../../shared/delivery/observer';
import {
	repeatPairs,
	type BenchContext,
	type Benchmark,
	type BenchmarkResult,
} from '../lib/results';
import type { BenchRedis } from '../lib/redisServer';
import { readRedisCost, redisCpuUsec } from '../lib/redisStats';
import { median, summarize } from '../lib/stats';
import { nowMs } from '../lib/timing';

/** Events per batch: calls in flight together, or events per naive pipeline. */
const BATCH = 100;
const ANALYTICS_DB = 1;
const CAMPAIGNS = 20;
const CONTACTS = 50_000;
const DAY_MS = 86_400_000;
const QUERY_REPEATS = 5;

/** Sent event `index`, at `atMs`; each index is its own job and gateway message. */
function sentEvent(index: number, atMs: number): SentEvent {
	return {
		jobId: `bench-1:a${index}`,
		instanceName: 'bench-1',
		phone: `3460${String(index % CONTACTS).padStart(7, '0')}`,
		messageType: 'text',
		campaignId: `campaign-${index % CAMPAIGNS}`,
		timestamp: atMs,
		messageId: `BAE5${index.toString(16).toUpperCase().padStart(12, '0')}`,
		processingTimeMs: 120,
		attempts: 1,
	};
}

function newManager(redis: BenchRedis): AnalyticsManager {
	return createAnalyticsManager({
		host: redis.host,
		port: redis.port,
		db: ANALYTICS_DB,
		prefix: 'waa',
	});
}

/** Runs `record(index)` for `count` indexes in batches of `BATCH` calls in flight. */
async function inBatches(
	first: number,
	count: number,
	record: (index: number) => Promise<unknown>,
) {
	for (let start = first; start < first + count; start += BATCH) {
		const end = Math.min(first + count, start + BATCH);
		const calls: Promise<unknown>[] = [];
		for (let index = start; index < end; index++) {
			calls.push(record(index));
		}
		await Promise.all(calls);
	}
}

/** Times `body` over `count` events after a flush; returns events per second. */
async function eventsPerSecond(
	redis: BenchRedis,
	count: number,
	body: () => Promise<void>,
	costs: Record<string, number[]>,
	label: string,
): Promise<number> {
	await redis.flush();
	const cpu = await redisCpuUsec(redis);
	const start = nowMs();
	await body();
	const rate = (count * 1000) / (nowMs() - start);
	(costs[label] ??= []).push((await readRedisCost(redis, count, cpu)).cpuUsecPerMessage);
	return rate;
}

/**
 * Records events the naive way: per event, HINCRBY on the hour and day
 * buckets and on the campaign's hour and day buckets, and INCR of a total
 * and an instance counter. The six commands of a batch go in one pipeline.
 */
async function naivePipeline(client: Redis, first: number, count: number): Promise<void> {
	for (let start = first; start < first + count; start += BATCH) {
		const pipeline = client.pipeline();
		for (let index = start; index < Math.min(first + count, start + BATCH); index++) {
			const event = sentEvent(index, Date.now());
			const hour = Math.floor(event.timestamp / 3_600_000);
			const day = Math.floor(event.timestamp / DAY_MS);
			pipeline
				.hincrby(`naive:h:${hour}`, 'sent', 1)
				.hincrby(`naive:d:${day}`, 'sent', 1)
				.hincrby(`naive:c:${event.campaignId}:h:${hour}`, 'sent', 1)
				.hincrby(`naive:c:${event.campaignId}:d:${day}`, 'sent', 1)
				.incr('naive:total:sent')
				.incr(`naive:i:${event.instanceName}:sent`);
		}
		await pipeline.exec();
	}
}

export const analyticsBenchmark: Benchmark = {
	name: 'analytics',
	title: 'Analytics',
	method:
		`Recording: each run flushes Redis and records N sent events in batches of ${BATCH} calls in ` +
		'flight, each event a new job and gateway message, spread over 20 campaigns and 50,000 ' +
		"contacts. The worker path calls `recordSent` as the worker's observer does; the API path " +
		'calls `trackMessageSent` with a job id. The anchor is a pipeline of six HINCRBY/INCR per event ' +
		`(hour, day, campaign hour, campaign day, total, instance), ${BATCH} events per pipeline. ` +
		'Queries: events are recorded at times spread over the last 30 days. Then ' +
		"`generateReport('week')` and `getMessageTimeSeries(30, { interval: 'hour' })` each run " +
		`${QUERY_REPEATS} times, and the median is reported. The store grows from 10,000 to ` +
		'100,000 to 1,000,000 events (1,000,000 only in a full run).',
	async run(context: BenchContext, result: BenchmarkResult) {
		await measureRecording(context, result);
		await measureQueries(context, result);
	},
};

async function measureRecording(context: BenchContext, result: BenchmarkResult): Promise<void> {
	const { redis } = context;
	const count = context.isQuick ? 10_000 : 50_000;
	const costs: Record<string, number[]> = {};
	const manager = newManager(redis);
	const naive = redis.client(ANALYTICS_DB);
	try {
		await manager.getMessageMetrics();
		const workerPath = async () =>
			await eventsPerSecond(
				redis,
				count,
				() => inBatches(0, count, (index) => manager.recordSent(sentEvent(index, Date.now()))),
				costs,
				'recordSent',
			);
		const apiPath = async () =>
			await eventsPerSecond(
				redis,
				count,
				() =>
					inBatches(0, count, (index) => {
						const event = sentEvent(index, Date.now());
						return manager.trackMessageSent(event.phone, 'text', {
							campaignId: event.campaignId,
							instanceName: event.instanceName,
							jobId: event.jobId,
							messageId: event.messageId,
						});
					}),
				costs,
				'trackMessageSent',
			);
		const anchor = async () =>
			await eventsPerSecond(redis, count, () => naivePipeline(naive, 0, count), costs, 'naive');

		for (const [label, measure] of [
			['worker path, recordSent', workerPath],
			['API, trackMessageSent', apiPath],
		] as const) {
			const pairs = await repeatPairs(context.repetitions, async (productFirst) => {
				const first = productFirst ? await measure() : await anchor();
				const second = productFirst ? await anchor() : await measure();
				return productFirst
					? { product: first, anchor: second }
					: { product: second, anchor: first };
			});
			context.log(
				`  ${label}: ${Math.round(pairs.product.median)} events/s, ratio ${pairs.ratio?.median.toFixed(2)}`,
			);
			result.rows.push({
				label: `${label}, ${count.toLocaleString('en-US')} sent events`,
				unit: 'events/s',
				...pairs,
				anchorLabel: `naive pipeline, 6 HINCRBY/INCR per event, ${BATCH} events per pipeline`,
				target: 'ratio ≥ 1.5',
				isMet: (pairs.ratio?.median ?? 0) >= 1.5,
			});
		}
		result.tables.push({
			title: 'Redis CPU per event (median of the runs)',
			columns: ['Recorder', 'Redis CPU µs/event'],
			rows: Object.entries(costs).map(([label, runs]) => [label, median(runs).toFixed(1)]),
		});
	} finally {
		await manager.close();
		naive.disconnect();
	}
}

async function timeQuery(query: () => Promise<unknown>): Promise<number> {
	const times: number[] = [];
	for (let repeat = 0; repeat < QUERY_REPEATS; repeat++) {
		const start = nowMs();
		await query();
		times.push(nowMs() - start);
	}
	return median(times);
}

async function measureQueries(context: BenchContext, result: BenchmarkResult): Promise<void> {
	const { redis } = context;
	const sizes = context.isQuick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
	const manager = newManager(redis);
	const reportMs: number[] = [];
	const seriesMs: number[] = [];
	try {
		await redis.flush();
		const end = Date.now();
		const span = 30 * DAY_MS;
		let stored = 0;
		for (const size of sizes) {
			const recordStart = nowMs();
			const added = size - stored;
			await inBatches(stored, added, (index) =>
				manager.recordSent(sentEvent(index, end - span + ((index * 7919) % size) * (span / size))),
			);
			const recordSeconds = (nowMs() - recordStart) / 1000;
			stored = size;
			const report = await timeQuery(() => manager.generateReport('week'));
			const series = await timeQuery(() => manager.getMessageTimeSeries(30, { interval: 'hour' }));
			reportMs.push(report);
			seriesMs.push(series);
			context.log(
				`  ${size.toLocaleString('en-US')} events (${Math.round(added / recordSeconds)} events/s to store): ` +
					`week report ${report.toFixed(1)} ms, 30-day hourly series ${series.toFixed(1)} ms`,
			);
		}
	} finally {
		await manager.close();
	}
	const rows = sizes.map((size, index) => [
		size.toLocaleString('en-US'),
		reportMs[index].toFixed(1),
		seriesMs[index].toFixed(1),
	]);
	result.tables.push({
		title: `Query time by events stored (median of ${QUERY_REPEATS} calls, ms)`,
		columns: ['Events stored', 'Week report', '30-day hourly series'],
		rows,
	});
	const largest = sizes[sizes.length - 1].toLocaleString('en-US');
	for (const [label, times] of [
		['week report', reportMs],
		['30-day hourly time series', seriesMs],
	] as const) {
		const last = times[times.length - 1];
		result.rows.push({
			label: `${label} with ${largest} events stored`,
			unit: 'ms',
			product: summarize([last]),
			target: '< 20 ms, flat as events grow',
			isMet: Math.max(...times) < 20 && last <= times[0] * 2,
			load: [],
		});
	}
}
