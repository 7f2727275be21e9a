/**
 * Every Redis key and channel name of the queue. Each WhatsApp instance has its
 * own BullMQ queue named `{<instance>}`, so BullMQ's keys and ours for that
 * instance share one hash tag and live in one Redis Cluster slot.
 */

import { ValidationError } from '../errors';

/** Default key prefix. n8n's own queue mode uses `bull`, so ours differs. */
export const DEFAULT_PREFIX = 'waq';

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_INSTANCE_NAME_LENGTH = 128;

/** Throws a `ValidationError` unless `prefix` is a usable key prefix. */
export function assertValidPrefix(prefix: string): void {
	if (!PREFIX_PATTERN.test(prefix)) {
		throw new ValidationError([
			{
				path: 'prefix',
				message: `Invalid key prefix "${prefix}". Use 1 to 64 letters, digits, "_", ".", ":" or "-", without braces.`,
			},
		]);
	}
}

/**
 * Returns the reason an instance name is unusable, or undefined when it is fine.
 * Names are used as gateway URL path segments and in Redis keys.
 */
export function checkInstanceName(name: unknown): string | undefined {
	if (typeof name !== 'string' || name.length === 0) {
		return 'Missing instance name. Set instanceName to the name of the gateway instance.';
	}
	if (name.length > MAX_INSTANCE_NAME_LENGTH) {
		return `Instance name is ${name.length} characters long; the maximum is ${MAX_INSTANCE_NAME_LENGTH}.`;
	}
	if (name.trim() !== name) {
		return `Invalid instance name "${name}": remove the leading or trailing whitespace.`;
	}
	// eslint-disable-next-line no-control-regex -- control characters are what this rejects
	if (/[\u0000-\u001f\u007f]/.test(name)) {
		return `Invalid instance name ${JSON.stringify(name)}: it contains control characters.`;
	}
	return undefined;
}

/**
 * Encodes an instance name for use inside a queue name and hash tag: letters,
 * digits, `_`, `.` and `-` stay, every other UTF-8 byte becomes `%XX`. The
 * result never contains `:`, `{` or `}`, which BullMQ and hash tags forbid.
 */
export function encodeInstance(name: string): string {
	let encoded = '';
	for (const byte of Buffer.from(name, 'utf8')) {
		const char = String.fromCharCode(byte);
		encoded += /[A-Za-z0-9_.-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return encoded;
}

/** Reverses `encodeInstance`. */
export function decodeInstance(encoded: string): string {
	const bytes: number[] = [];
	for (let i = 0; i < encoded.length; i++) {
		if (encoded[i] === '%') {
			bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			bytes.push(encoded.charCodeAt(i));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

/**
 * Public job ids are `<instance>:<BullMQ job id>`. BullMQ job ids never contain
 * `:`, so the last `:` separates the two and instance names may contain `:`.
 */
export function toPublicJobId(instanceName: string, internalId: string): string {
	return `${instanceName}:${internalId}`;
}

/** Splits a public job id, or returns undefined when it has no instance part. */
export function parsePublicJobId(
	jobId: string,
): { instanceName: string; internalId: string } | undefined {
	if (typeof jobId !== 'string') {
		return undefined;
	}
	const separator = jobId.lastIndexOf(':');
	if (separator <= 0 || separator === jobId.length - 1) {
		return undefined;
	}
	return { instanceName: jobId.slice(0, separator), internalId: jobId.slice(separator + 1) };
}

/** Builds the key names for one prefix. */
export class QueueKeys {
	readonly prefix: string;

	constructor(prefix: string = DEFAULT_PREFIX) {
		assertValidPrefix(prefix);
		this.prefix = prefix;
	}

	/** BullMQ queue name of an instance, which is also its hash tag. */
	queueName(instanceName: string): string {
		return `{${encodeInstance(instanceName)}}`;
	}

	/** Instance name of a BullMQ queue name made by `queueName`. */
	instanceFromQueueName(queueName: string): string {
		return decodeInstance(queueName.slice(1, -1));
	}

	/** Set of every instance name that has ever had a message queued. */
	registry(): string {
		return `${this.prefix}:instances`;
	}

	/** Pub/sub channel where producers publish an instance name after enqueueing. */
	wakeChannel(): string {
		return `${this.prefix}:wake`;
	}

	/** A BullMQ key of an instance's queue, such as `wait`, `meta` or `delayed`. */
	bullKey(instanceName: string, type: string): string {
		return `${this.prefix}:${this.queueName(instanceName)}:${type}`;
	}

	/** The BullMQ hash that stores one job. */
	jobKey(instanceName: string, internalId: string): string {
		return this.bullKey(instanceName, internalId);
	}

	/** Our keys of an instance share its hash tag and sit under `:wa:`. */
	private ownKey(instanceName: string, type: string): string {
		return `${this.prefix}:${this.queueName(instanceName)}:wa:${type}`;
	}

	/** Hash with the pacing state: next slot time and throttle deadline. */
	limiter(instanceName: string): string {
		return this.ownKey(instanceName, 'limiter');
	}

	/** List of recent send start times, newest first, for the sliding-window cap. */
	sendWindow(instanceName: string): string {
		return this.ownKey(instanceName, 'window');
	}

	/** Hash of stored per-instance settings: rate limit override, pause reason. */
	settings(instanceName: string): string {
		return this.ownKey(instanceName, 'settings');
	}

	/** Sorted set of dead-lettered job ids scored by failure time in ms. */
	deadLetterIndex(instanceName: string): string {
		return this.ownKey(instanceName, 'dlq');
	}

	/** Hash of dead-letter entries by BullMQ job id, as JSON. */
	deadLetterEntries(instanceName: string): string {
		return this.ownKey(instanceName, 'dlq:entries');
	}

	/** Set of job ids of one campaign on one instance, for `cancelCampaign`. */
	campaignJobs(instanceName: string, campaignId: string): string {
		return this.ownKey(instanceName, `campaign:${campaignId}`);
	}
}
