/**
 * Per-instance pacing shared by every worker process through Redis. See
 * `CLAIM_SLOTS_LUA` for the algorithm.
 */

import type { Redis } from 'ioredis';

import type { RateLimitConfig } from '../config';
import type { QueueKeys } from '../redis/keys';
import { CLAIM_SLOTS_LUA, RELEASE_SLOTS_LUA, THROTTLE_LUA } from './pacingScripts';

/**
 * How late a worker may claim a slot and still get it, in ms. It covers timer
 * and round-trip lateness; the sliding-window cap still holds.
 */
const CATCH_UP_MS = 50;

/** Reason a claim granted fewer slots than requested. */
export type ClaimState = 'ok' | 'paused' | 'throttled' | 'empty' | 'limited';

/** Result of `RateLimiter.claim`. */
export interface SlotClaim {
	granted: number;
	/** When nothing was granted: ms until trying again is useful; -1 when unknown. */
	waitMs: number;
	state: ClaimState;
	/** Pacer state after the claim, for `release`. */
	tat: string;
	base: string;
	interval: string;
}

type PacingCommands = Redis & {
	waqClaimSlots(...args: (string | number)[]): Promise<[number, number, string, string, string, string]>;
	waqReleaseSlots(...args: (string | number)[]): Promise<number>;
	waqThrottle(...args: (string | number)[]): Promise<number>;
};

/** Registers the pacing scripts on a client once; ioredis then calls them by SHA. */
function withPacingCommands(client: Redis): PacingCommands {
	const commands = client as PacingCommands;
	if (typeof commands.waqClaimSlots !== 'function') {
		client.defineCommand('waqClaimSlots', { numberOfKeys: 7, lua: CLAIM_SLOTS_LUA });
		client.defineCommand('waqReleaseSlots', { numberOfKeys: 2, lua: RELEASE_SLOTS_LUA });
		client.defineCommand('waqThrottle', { numberOfKeys: 1, lua: THROTTLE_LUA });
	}
	return commands;
}

/** Claims and returns send slots of instances, and throttles instances. */
export class RateLimiter {
	private readonly client: PacingCommands;

	constructor(
		client: Redis,
		private readonly keys: QueueKeys,
		private readonly defaults: RateLimitConfig & { jitter: number },
	) {
		this.client = withPacingCommands(client);
	}

	/**
	 * Claims up to `want` slots to start sends on `instanceName` now. Unless
	 * `ignoreBacklog` is set, no more slots are granted than jobs are due.
	 * `now` defaults to Redis's clock; tests pass their own. `lagMs` is the
	 * caller's recent largest delay from claim to send start, which widens the
	 * pacer's guard. The granted slots count in the pacer's window as if they
	 * started `allowanceMs` later.
	 */
	async claim(
		instanceName: string,
		want: number,
		now?: number,
		ignoreBacklog = false,
		lagMs = 0,
		allowanceMs = 0,
	): Promise<SlotClaim> {
		const k = this.keys;
		const [granted, waitMs, state, tat, base, interval] = await this.client.waqClaimSlots(
			k.limiter(instanceName),
			k.sendWindow(instanceName),
			k.settings(instanceName),
			k.bullKey(instanceName, 'meta'),
			k.bullKey(instanceName, 'wait'),
			k.bullKey(instanceName, 'prioritized'),
			k.bullKey(instanceName, 'delayed'),
			now ?? '',
			want,
			this.defaults.max,
			this.defaults.duration,
			this.defaults.jitter,
			CATCH_UP_MS,
			Math.random(),
			ignoreBacklog ? '1' : '0',
			Math.max(0, Math.round(lagMs)),
			Math.max(0, Math.round(allowanceMs)),
		);
		return { granted, waitMs, state: state as ClaimState, tat, base, interval };
	}

	/** Returns `unused` slots of `claim` when no other worker has claimed since. */
	async release(instanceName: string, claim: SlotClaim, unused: number): Promise<boolean> {
		if (unused <= 0 || !claim.tat) {
			return false;
		}
		const used = claim.granted - unused;
		const restored = Number(claim.base) + used * Number(claim.interval);
		const released = await this.client.waqReleaseSlots(
			this.keys.limiter(instanceName),
			this.keys.sendWindow(instanceName),
			claim.tat,
			restored.toFixed(3),
			unused,
		);
		return released === 1;
	}

	/** Holds every send of `instanceName` for `delayMs`, for all workers; `now` defaults to Redis's clock. */
	async throttle(instanceName: string, delayMs: number, now?: number): Promise<number> {
		return await this.client.waqThrottle(this.keys.limiter(instanceName), delayMs, now ?? '');
	}
}
