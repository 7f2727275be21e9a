/**
 * Settings stored in Redis for one instance, which every worker reads: a rate
 * limit that overrides the workers' default, and why the instance is paused.
 */

import type { Redis } from 'ioredis';

import { resolveRateLimit, type RateLimitConfig } from '../config';
import type { QueueKeys } from '../redis/keys';

/** The rate limit in force for an instance and where it comes from. */
export interface EffectiveRateLimit extends RateLimitConfig {
	jitter: number;
	/** `instance` when `setRateLimit` stored one, `default` otherwise. */
	source: 'instance' | 'default';
}

/** Reads and writes per-instance settings. */
export class InstanceSettings {
	constructor(
		private readonly client: Redis,
		private readonly keys: QueueKeys,
	) {}

	/** Stores a rate limit for one instance; every worker honours it over its default. */
	async setRateLimit(instanceName: string, limit: Partial<RateLimitConfig>): Promise<RateLimitConfig> {
		const resolved = resolveRateLimit(limit, 'rateLimit');
		await this.client.hset(this.keys.settings(instanceName), {
			max: resolved.max,
			duration: resolved.duration,
			jitter: resolved.jitter,
		});
		return resolved;
	}

	/** Removes the stored rate limit, so the workers' default applies again. */
	async clearRateLimit(instanceName: string): Promise<void> {
		await this.client.hdel(this.keys.settings(instanceName), 'max', 'duration', 'jitter');
	}

	/** Returns the stored rate limit, or `defaults` when there is none. */
	async getRateLimit(
		instanceName: string,
		defaults: RateLimitConfig & { jitter: number },
	): Promise<EffectiveRateLimit> {
		const [max, duration, jitter] = await this.client.hmget(
			this.keys.settings(instanceName),
			'max',
			'duration',
			'jitter',
		);
		if (max === null || duration === null) {
			return { ...defaults, source: 'default' };
		}
		return { max: Number(max), duration: Number(duration), jitter: Number(jitter ?? 0), source: 'instance' };
	}

	/** Records why an instance was paused, such as a gateway that rejects the API key. */
	async setPauseReason(instanceName: string, reason: string): Promise<void> {
		await this.client.hset(this.keys.settings(instanceName), 'pauseReason', reason);
	}

	async clearPauseReason(instanceName: string): Promise<void> {
		await this.client.hdel(this.keys.settings(instanceName), 'pauseReason');
	}

	async getPauseReason(instanceName: string): Promise<string | undefined> {
		return (await this.client.hget(this.keys.settings(instanceName), 'pauseReason')) ?? undefined;
	}
}
