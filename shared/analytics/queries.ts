/**
 * Reads of the analytics counters. Each read costs one pipeline whose length
 * grows with the number of buckets in the range (at most the retained days
 * plus two days of hours), never with the number of events.
 */

import type { Redis } from 'ioredis';

import { parseRange, type TimeRange } from './arguments';
import {
	DAY_MS,
	dayIdAt,
	HOUR_MS,
	nextDayStartMs,
	planBuckets,
	type BucketPlan,
	type MillisRange,
} from './buckets';
import type { ResolvedAnalyticsOptions } from './config';
import { addCounters, type Counters } from './counters';
import type { AnalyticsKeys } from './keys';
import type { TopConversation } from './types';

/** Counters summed over a range, with the buckets that were read. */
export interface RangeCounters {
	counters: Counters;
	plan: BucketPlan;
}

/** How many busiest contacts are read per day to build a report's top list. */
const BUSIEST_READ_PER_DAY = 50;

/** Reads and sums counters. */
export class Queries {
	constructor(
		private readonly client: Redis,
		private readonly keys: AnalyticsKeys,
		private readonly options: ResolvedAnalyticsOptions,
		private readonly now: () => number,
	) {}

	/** Start of the oldest retained data, epoch ms. */
	oldestMs(): number {
		return this.now() - (this.options.retentionDays + 1) * DAY_MS;
	}

	/** Validates a caller's range; a missing start means all retained data. */
	parseRange(range: TimeRange | undefined): MillisRange {
		return parseRange(range, this.options.timeZone, this.now(), this.oldestMs());
	}

	/** Picks the buckets of `range` (see `planBuckets`). */
	plan(range: MillisRange): BucketPlan {
		return planBuckets(range, this.options.timeZone, this.now(), this.oldestMs());
	}

	/** Sums every counter of the buckets of `range`, globally or for one campaign. */
	async sumRange(range: MillisRange, campaignId?: string): Promise<RangeCounters> {
		const plan = this.plan(range);
		const keys = this.bucketKeys(plan, campaignId);
		return { counters: await this.sumHashes(keys), plan };
	}

	/**
	 * Returns a campaign's counters over all its retained days: the sum of
	 * the day buckets listed for the campaign.
	 */
	async campaignTotals(campaignId: string): Promise<Counters> {
		const bucketKeys = await this.client.smembers(this.keys.campaignBuckets(campaignId));
		const dayKeys = bucketKeys.filter((key) => this.keys.parseCampaignBucket(key)?.kind === 'day');
		return await this.sumHashes(dayKeys);
	}

	/**
	 * Returns one counter summed per range, for daily time series: `ranges[i]`
	 * becomes `values[i]`. All ranges share one pipeline.
	 */
	async sumFieldPerRange(
		ranges: MillisRange[],
		field: string,
		campaignId?: string,
	): Promise<number[]> {
		const keyLists = ranges.map((range) => this.bucketKeys(this.plan(range), campaignId));
		return await this.sumFieldPerKeyList(keyLists, field);
	}

	/** Returns one counter of each UTC hour bucket, for hourly time series. */
	async sumFieldPerHour(hourIds: string[], field: string, campaignId?: string): Promise<number[]> {
		const keyLists = hourIds.map((id) => [
			campaignId ? this.keys.campaignHour(id, campaignId) : this.keys.hour(id),
		]);
		return await this.sumFieldPerKeyList(keyLists, field);
	}

	/**
	 * Estimates the distinct contacts messaged, and those who replied to a
	 * message sent, on the configured-zone days that overlap `range`. These
	 * sets are kept per day only, so a range that cuts a day counts the whole day.
	 */
	async contactCounts(range: MillisRange): Promise<{ messaged: number; replied: number }> {
		const dayIds = this.overlappingDayIds(range);
		if (dayIds.length === 0) {
			return { messaged: 0, replied: 0 };
		}
		const pipeline = this.client.pipeline();
		pipeline.pfcount(...dayIds.map((id) => this.keys.messagedContacts(id)));
		pipeline.pfcount(...dayIds.map((id) => this.keys.repliedContacts(id)));
		const [messaged, replied] = checkReplies(await pipeline.exec()) as [number, number];
		return { messaged, replied };
	}

	/** Counts conversations with activity within the timeout, as of now. */
	async activeConversations(): Promise<number> {
		const since = this.now() - this.options.conversationTimeoutSeconds * 1000;
		return await this.client.zcount(this.keys.activeConversations(), since, '+inf');
	}

	/**
	 * Returns the contacts with the most messages in and out on the days that
	 * overlap `range`. Each day keeps at least its busiest 500 contacts, and
	 * this reads its top 50. The list is exact for contacts that lead on their
	 * days. Below that it is an estimate, because a contact trimmed from a
	 * day's set is missing from it until its next message that day.
	 */
	async topContacts(range: MillisRange, limit: number): Promise<TopConversation[]> {
		const dayIds = this.overlappingDayIds(range);
		if (dayIds.length === 0 || limit === 0) {
			return [];
		}
		const pipeline = this.client.pipeline();
		for (const id of dayIds) {
			pipeline.zrevrange(this.keys.busiestContacts(id), 0, BUSIEST_READ_PER_DAY - 1, 'WITHSCORES');
		}
		const totals = new Map<string, number>();
		for (const reply of checkReplies(await pipeline.exec()) as string[][]) {
			for (let i = 0; i < reply.length; i += 2) {
				// The empty member only keeps the set in existence; see the scripts.
				if (reply[i] !== '') {
					totals.set(reply[i], (totals.get(reply[i]) ?? 0) + Number(reply[i + 1]));
				}
			}
		}
		return [...totals.entries()]
			.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
			.slice(0, limit)
			.map(([phone, messages]) => ({ phone, messages }));
	}

	private bucketKeys(plan: BucketPlan, campaignId?: string): string[] {
		if (campaignId) {
			return [
				...plan.dayIds.map((id) => this.keys.campaignDay(id, campaignId)),
				...plan.hourIds.map((id) => this.keys.campaignHour(id, campaignId)),
			];
		}
		return [
			...plan.dayIds.map((id) => this.keys.day(id)),
			...plan.hourIds.map((id) => this.keys.hour(id)),
		];
	}

	private async sumFieldPerKeyList(keyLists: string[][], field: string): Promise<number[]> {
		const pipeline = this.client.pipeline();
		for (const key of keyLists.flat()) {
			pipeline.hget(key, field);
		}
		const replies = checkReplies(await pipeline.exec());
		let index = 0;
		return keyLists.map((keys) => {
			let total = 0;
			for (let i = 0; i < keys.length; i++) {
				total += Number(replies[index++] ?? 0) || 0;
			}
			return total;
		});
	}

	private async sumHashes(keys: string[]): Promise<Counters> {
		if (keys.length === 0) {
			return {};
		}
		const pipeline = this.client.pipeline();
		for (const key of keys) {
			pipeline.hgetall(key);
		}
		const total: Counters = {};
		for (const hash of checkReplies(await pipeline.exec()) as Record<string, string>[]) {
			addCounters(total, hash);
		}
		return total;
	}

	/** Configured-zone day ids from the day of the range's start to the day of its last moment. */
	private overlappingDayIds(range: MillisRange): string[] {
		const zone = this.options.timeZone;
		const startMs = Math.max(range.startMs, this.oldestMs());
		const lastMs = Math.min(range.endMs, this.now() + HOUR_MS) - 1;
		const ids: string[] = [];
		for (let dayMs = startMs; dayMs <= lastMs; dayMs = nextDayStartMs(dayMs, zone)) {
			ids.push(dayIdAt(dayMs, zone));
		}
		return ids;
	}
}

/** Returns the results of a pipeline, throwing its first error. */
function checkReplies(replies: [Error | null, unknown][] | null): unknown[] {
	return (replies ?? []).map(([error, result]) => {
		if (error) {
			throw error;
		}
		return result;
	});
}
