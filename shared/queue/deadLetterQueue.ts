/**
 * The dead-letter queue: messages that failed for good, kept with the reason
 * and the gateway's response until someone retries or removes them. It is a
 * store of its own, not BullMQ's failed set, so `clean()` never touches it.
 *
 * Per instance: a sorted set of job ids scored by failure time in ms, and a
 * hash of the entries as JSON. Both share the instance's hash tag.
 */

import type { Redis } from 'ioredis';

import type { NormalizedMessage } from '../message';
import { toPublicJobId, type QueueKeys } from '../redis/keys';

/** Category of the failure that dead-lettered a message. */
export type DeadLetterReason =
	| 'not_on_whatsapp'
	| 'rejected'
	| 'attempts_exhausted'
	| 'rate_limited'
	| 'stalled'
	| string;

/** One dead-lettered message. */
export interface DeadLetterEntry {
	/** Public id of the job that failed, `<instance>:<id>`. */
	jobId: string;
	instanceName: string;
	/** The message as it was queued, normalised. */
	message: NormalizedMessage;
	/** The last error, as a sentence. */
	error: string;
	/** Category of the failure. */
	reason: DeadLetterReason;
	/** HTTP status of the gateway's last response; absent for network errors. */
	statusCode?: number;
	/** Body of the gateway's last response, truncated to 4 KiB. */
	gatewayResponse?: unknown;
	/** Attempts made, the last one included. */
	attempts: number;
	/** When the message was dead-lettered, ISO 8601. */
	failedAt: string;
}

/** Reads and writes dead-letter entries. */
export class DeadLetterQueue {
	constructor(
		private readonly client: Redis,
		private readonly keys: QueueKeys,
	) {}

	/** Adds or replaces the entry of a job. */
	async add(internalId: string, entry: DeadLetterEntry): Promise<void> {
		const score = Date.parse(entry.failedAt);
		await this.client
			.multi()
			.zadd(this.keys.deadLetterIndex(entry.instanceName), score, internalId)
			.hset(this.keys.deadLetterEntries(entry.instanceName), internalId, JSON.stringify(entry))
			.exec();
	}

	async get(instanceName: string, internalId: string): Promise<DeadLetterEntry | undefined> {
		const raw = await this.client.hget(this.keys.deadLetterEntries(instanceName), internalId);
		return raw ? (JSON.parse(raw) as DeadLetterEntry) : undefined;
	}

	/** Whether a job has an entry. */
	async has(instanceName: string, internalId: string): Promise<boolean> {
		return (await this.client.hexists(this.keys.deadLetterEntries(instanceName), internalId)) === 1;
	}

	/** Removes the entry of a job; resolves to whether there was one. */
	async remove(instanceName: string, internalId: string): Promise<boolean> {
		const results = await this.client
			.multi()
			.zrem(this.keys.deadLetterIndex(instanceName), internalId)
			.hdel(this.keys.deadLetterEntries(instanceName), internalId)
			.exec();
		return Number(results?.[1]?.[1] ?? 0) > 0;
	}

	async count(instanceName: string): Promise<number> {
		return await this.client.zcard(this.keys.deadLetterIndex(instanceName));
	}

	/**
	 * Returns up to `limit` entries of the given instances, newest first. Each
	 * instance is read on its own, so no command spans two hash tags.
	 */
	async list(instanceNames: string[], limit: number): Promise<DeadLetterEntry[]> {
		const newestPerInstance = await Promise.all(
			instanceNames.map(async (instanceName) => {
				const flat = await this.client.zrevrange(
					this.keys.deadLetterIndex(instanceName),
					0,
					limit - 1,
					'WITHSCORES',
				);
				const rows: Array<{ instanceName: string; internalId: string; score: number }> = [];
				for (let i = 0; i < flat.length; i += 2) {
					rows.push({ instanceName, internalId: flat[i], score: Number(flat[i + 1]) });
				}
				return rows;
			}),
		);
		const newest = newestPerInstance
			.flat()
			.sort((a, b) => b.score - a.score)
			.slice(0, limit);

		const entries = await Promise.all(
			newest.map(async (row) => {
				const entry = await this.get(row.instanceName, row.internalId);
				return entry ?? this.placeholder(row.instanceName, row.internalId, row.score);
			}),
		);
		return entries;
	}

	/** An index member without its entry (a write cut short) still shows up. */
	private placeholder(instanceName: string, internalId: string, score: number): DeadLetterEntry {
		return {
			jobId: toPublicJobId(instanceName, internalId),
			instanceName,
			message: undefined as unknown as NormalizedMessage,
			error: 'The dead-letter entry is incomplete; its message could not be read.',
			reason: 'unknown',
			attempts: 0,
			failedAt: new Date(score).toISOString(),
		};
	}

	/** Ids of the oldest `count` entries of an instance. */
	async oldestIds(instanceName: string, count: number): Promise<string[]> {
		return await this.client.zrange(this.keys.deadLetterIndex(instanceName), 0, count - 1);
	}

	/** Removes the entries of the given job ids of one instance. */
	async removeMany(instanceName: string, internalIds: string[]): Promise<void> {
		if (internalIds.length === 0) {
			return;
		}
		await this.client
			.multi()
			.zrem(this.keys.deadLetterIndex(instanceName), ...internalIds)
			.hdel(this.keys.deadLetterEntries(instanceName), ...internalIds)
			.exec();
	}
}
