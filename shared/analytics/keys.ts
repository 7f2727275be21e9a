/**
 * Every Redis key name of analytics. All keys start with `{<prefix>}:`, one
 * hash tag, so on Redis Cluster they live in one slot: the Lua scripts may
 * then touch several of them, and analytics as a whole lives on one shard.
 *
 * The scripts build the names of buckets they read from per-message state,
 * so the same segments are also emitted as Lua functions by `luaKeyBuilders`.
 */

import { DEFAULT_ANALYTICS_PREFIX } from './config';

/**
 * Key segments. A free-form id (campaign, job, message id, phone) is always
 * the last part of a key, after fixed-format parts, so two ids never produce
 * the same key.
 */
const SEGMENTS = {
	hour: 'h',
	day: 'd',
	campaignHour: 'ch',
	campaignDay: 'cd',
	campaignBuckets: 'cb',
	messagedContacts: 'um',
	repliedContacts: 'ur',
	busiestContacts: 'top',
	message: 'm',
	gatewayState: 'mg',
	gatewayMessage: 'g',
	inboundMessage: 'i',
	contact: 'p',
} as const;

const CAMPAIGN_BUCKET_PATTERN = new RegExp(
	`^(${SEGMENTS.campaignHour}|${SEGMENTS.campaignDay}):(\\d+):`,
);

/** Builds the analytics key names for one prefix. */
export class AnalyticsKeys {
	/** The hash tag that starts every key, such as `{waa}`. */
	readonly base: string;

	constructor(readonly prefix: string = DEFAULT_ANALYTICS_PREFIX) {
		this.base = `{${prefix}}`;
	}

	/** Hash of counters for one UTC hour; `hourId` is `YYYYMMDDHH` in UTC. */
	hour(hourId: string): string {
		return `${this.base}:${SEGMENTS.hour}:${hourId}`;
	}

	/** Hash of counters for one day; `dayId` is `YYYYMMDD` in the configured zone. */
	day(dayId: string): string {
		return `${this.base}:${SEGMENTS.day}:${dayId}`;
	}

	/** Hash of one campaign's counters for one UTC hour. */
	campaignHour(hourId: string, campaignId: string): string {
		return `${this.base}:${SEGMENTS.campaignHour}:${hourId}:${campaignId}`;
	}

	/** Hash of one campaign's counters for one day in the configured zone. */
	campaignDay(dayId: string, campaignId: string): string {
		return `${this.base}:${SEGMENTS.campaignDay}:${dayId}:${campaignId}`;
	}

	/** Set of the names of a campaign's hour and day buckets, for totals and `cleanup`. */
	campaignBuckets(campaignId: string): string {
		return `${this.base}:${SEGMENTS.campaignBuckets}:${campaignId}`;
	}

	/**
	 * Returns the kind and bucket id of a campaign bucket key read from
	 * `campaignBuckets`, or undefined for any other key.
	 */
	parseCampaignBucket(key: string): { kind: 'hour' | 'day'; bucketId: string } | undefined {
		const match = CAMPAIGN_BUCKET_PATTERN.exec(key.slice(this.base.length + 1));
		if (!key.startsWith(`${this.base}:`) || !match) {
			return undefined;
		}
		return { kind: match[1] === SEGMENTS.campaignHour ? 'hour' : 'day', bucketId: match[2] };
	}

	/** Sorted set of campaign ids scored by when they last got a new bucket, in epoch ms. */
	campaigns(): string {
		return `${this.base}:campaigns`;
	}

	/**
	 * HyperLogLog of the contacts messaged on one day. The response rate
	 * divides distinct contacts, and a HyperLogLog counts them in at most
	 * 12 KB a day whatever their number, with a standard error of 0.81 %.
	 */
	messagedContacts(dayId: string): string {
		return `${this.base}:${SEGMENTS.messagedContacts}:${dayId}`;
	}

	/** HyperLogLog of the contacts who replied to a message sent on one day. */
	repliedContacts(dayId: string): string {
		return `${this.base}:${SEGMENTS.repliedContacts}:${dayId}`;
	}

	/** Sorted set of the day's busiest contacts scored by messages in and out. */
	busiestContacts(dayId: string): string {
		return `${this.base}:${SEGMENTS.busiestContacts}:${dayId}`;
	}

	/** Hash of one queued message's state, by job id. */
	message(jobId: string): string {
		return `${this.base}:${SEGMENTS.message}:${jobId}`;
	}

	/** Returns the job id of a `message` key, or undefined for another key. */
	jobIdOf(messageKey: string): string | undefined {
		const start = `${this.base}:${SEGMENTS.message}:`;
		return messageKey.startsWith(start) ? messageKey.slice(start.length) : undefined;
	}

	/** Hash of the state of a message tracked by gateway message id, without a job id. */
	gatewayState(messageId: string): string {
		return `${this.base}:${SEGMENTS.gatewayState}:${messageId}`;
	}

	/**
	 * String of one gateway message id: the name of the message's state key,
	 * or `#<level>` for a receipt that came before the send was recorded.
	 */
	gatewayMessage(messageId: string): string {
		return `${this.base}:${SEGMENTS.gatewayMessage}:${messageId}`;
	}

	/** Marker of an inbound message id already counted, for webhook retries. */
	inboundMessage(messageId: string): string {
		return `${this.base}:${SEGMENTS.inboundMessage}:${messageId}`;
	}

	/** Hash of one contact's conversation and reply-tracking state. */
	contact(phone: string): string {
		return `${this.base}:${SEGMENTS.contact}:${phone}`;
	}

	/** Sorted set of contacts in a conversation, scored by last activity in epoch ms. */
	activeConversations(): string {
		return `${this.base}:conversations`;
	}

	/** Hash of costs per message: `c:<campaignId>` and `i:<instanceName>`, in millionths. */
	costs(): string {
		return `${this.base}:costs`;
	}

	/** Hash of settings stored with the data, such as the zone of the day buckets. */
	meta(): string {
		return `${this.base}:meta`;
	}
}

/**
 * Lua functions that build the key names the scripts derive from stored
 * state. They expect a local `base` holding `AnalyticsKeys.base`.
 */
export function luaKeyBuilders(): string {
	const s = SEGMENTS;
	return `
local function hourKey(id) return base .. ':${s.hour}:' .. id end
local function dayKey(id) return base .. ':${s.day}:' .. id end
local function campaignHourKey(id, c) return base .. ':${s.campaignHour}:' .. id .. ':' .. c end
local function campaignDayKey(id, c) return base .. ':${s.campaignDay}:' .. id .. ':' .. c end
local function campaignBucketsKey(c) return base .. ':${s.campaignBuckets}:' .. c end
local function messagedKey(id) return base .. ':${s.messagedContacts}:' .. id end
local function repliedKey(id) return base .. ':${s.repliedContacts}:' .. id end
local function busiestKey(id) return base .. ':${s.busiestContacts}:' .. id end
local function messageKey(id) return base .. ':${s.message}:' .. id end
local function gatewayStateKey(id) return base .. ':${s.gatewayState}:' .. id end
local function gatewayKey(id) return base .. ':${s.gatewayMessage}:' .. id end
local function inboundKey(id) return base .. ':${s.inboundMessage}:' .. id end
local function contactKey(p) return base .. ':${s.contact}:' .. p end
local campaignsKey = base .. ':campaigns'
local conversationsKey = base .. ':conversations'
local costsKey = base .. ':costs'
`;
}
