/**
 * Removal of analytics data older than a number of days, without KEYS or a
 * SCAN of the database. Global buckets have names computed from their time,
 * so they are deleted by name. Campaign buckets are listed in a set per
 * campaign, and campaigns in one sorted set. Deletes use UNLINK, in batches.
 */

import type { Redis } from 'ioredis';

import {
	DAY_MS,
	dayEndMs,
	dayIdAt,
	HOUR_MS,
	hourIdAt,
	hourStartMs,
	nextDayStartMs,
} from './buckets';
import type { ResolvedAnalyticsOptions } from './config';
import type { AnalyticsKeys } from './keys';
import type { Recorder } from './recorder';

/** Counts of the data `cleanup` removed. */
export interface CleanupResult {
	/** Keys deleted: buckets, contact sets and campaign bucket lists. */
	deletedKeys: number;
	/** Campaigns whose every bucket was older than the cutoff, removed from the campaign list. */
	removedCampaigns: number;
	/** Conversations that had timed out and were ended and counted. */
	endedConversations: number;
}

const BATCH_SIZE = 500;
/** Bounds the sweep of timed-out conversations to 100 batches per call. */
const MAX_SWEEP_BATCHES = 100;

/** Deletes the data older than `days` days before now; see the file header. */
export async function cleanupOlderThan(
	days: number,
	deps: {
		client: Redis;
		keys: AnalyticsKeys;
		options: ResolvedAnalyticsOptions;
		recorder: Recorder;
		nowMs: number;
	},
): Promise<CleanupResult> {
	const { client, keys, options, nowMs } = deps;
	const cutoffMs = nowMs - days * DAY_MS;
	// Buckets older than the retention window have expired already.
	const oldestMs = nowMs - (Math.max(options.retentionDays, days) + 2) * DAY_MS;

	const globalKeys: string[] = [];
	for (
		let hour = Math.floor(oldestMs / HOUR_MS) * HOUR_MS;
		hour + HOUR_MS <= cutoffMs;
		hour += HOUR_MS
	) {
		globalKeys.push(keys.hour(hourIdAt(hour)));
	}
	const zone = options.timeZone;
	for (let day = oldestMs; nextDayStartMs(day, zone) <= cutoffMs; day = nextDayStartMs(day, zone)) {
		const id = dayIdAt(day, zone);
		globalKeys.push(
			keys.day(id),
			keys.messagedContacts(id),
			keys.repliedContacts(id),
			keys.busiestContacts(id),
		);
	}
	let deletedKeys = await unlinkInBatches(client, globalKeys);

	const campaigns = await cleanupCampaigns(client, keys, zone, cutoffMs);
	deletedKeys += campaigns.deletedKeys;

	let endedConversations = 0;
	for (let batch = 0; batch < MAX_SWEEP_BATCHES; batch++) {
		const seen = await deps.recorder.sweepConversations(BATCH_SIZE);
		endedConversations += seen;
		if (seen < BATCH_SIZE) {
			break;
		}
	}
	return { deletedKeys, removedCampaigns: campaigns.removedCampaigns, endedConversations };
}

async function cleanupCampaigns(
	client: Redis,
	keys: AnalyticsKeys,
	zone: string,
	cutoffMs: number,
): Promise<{ deletedKeys: number; removedCampaigns: number }> {
	let deletedKeys = 0;
	let removedCampaigns = 0;
	const total = await client.zcard(keys.campaigns());
	for (let offset = total - 1; offset >= 0; offset -= BATCH_SIZE) {
		// From the end, so removing members does not shift the pages still to read.
		const campaignIds = await client.zrange(
			keys.campaigns(),
			Math.max(0, offset - BATCH_SIZE + 1),
			offset,
		);
		for (const campaignId of campaignIds) {
			const result = await cleanupCampaign(client, keys, zone, cutoffMs, campaignId);
			deletedKeys += result.deletedKeys;
			removedCampaigns += result.isRemoved ? 1 : 0;
		}
	}
	return { deletedKeys, removedCampaigns };
}

async function cleanupCampaign(
	client: Redis,
	keys: AnalyticsKeys,
	zone: string,
	cutoffMs: number,
	campaignId: string,
): Promise<{ deletedKeys: number; isRemoved: boolean }> {
	const setKey = keys.campaignBuckets(campaignId);
	const bucketKeys = await client.smembers(setKey);
	const oldKeys = bucketKeys.filter((key) => {
		const bucket = keys.parseCampaignBucket(key);
		if (!bucket) {
			return false;
		}
		const endMs =
			bucket.kind === 'hour'
				? hourStartMs(bucket.bucketId) + HOUR_MS
				: dayEndMs(bucket.bucketId, zone);
		return endMs <= cutoffMs;
	});
	let deletedKeys = await unlinkInBatches(client, oldKeys);
	for (let i = 0; i < oldKeys.length; i += BATCH_SIZE) {
		await client.srem(setKey, ...oldKeys.slice(i, i + BATCH_SIZE));
	}
	if (oldKeys.length < bucketKeys.length) {
		return { deletedKeys, isRemoved: false };
	}
	deletedKeys += await client.unlink(setKey);
	await client.zrem(keys.campaigns(), campaignId);
	return { deletedKeys, isRemoved: true };
}

async function unlinkInBatches(client: Redis, keys: string[]): Promise<number> {
	let deleted = 0;
	for (let i = 0; i < keys.length; i += BATCH_SIZE) {
		deleted += await client.unlink(...keys.slice(i, i + BATCH_SIZE));
	}
	return deleted;
}
