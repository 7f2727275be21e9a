/**
 * The recording script: one EVALSHA records a batch of events. It runs the
 * events in the order given, each with its idempotency check against
 * per-message or per-contact state (`scriptEvents`, `scriptState`), and
 * merges their counter updates, which it writes once at the end
 * (`scriptUpdates`). A send of a new job to a new contact makes 3 calls of
 * its own: gateway link, message state and contact state. In a batch of 100
 * sends over 20 campaigns, the merged updates add about 1 call per event.
 * ioredis sends EVAL once per connection and then EVALSHA, and reloads the
 * script after a Redis restart.
 *
 * An event that raises an error inside the script gets an error reply of its
 * own, and the other events of the batch are still recorded. Writes the
 * failed event made before its error stay, as with any Redis script.
 *
 * The script takes one key, which routes the call on Redis Cluster, and one
 * argument: the batch packed into one string by `packBatch`. Scripts build
 * key names themselves (see `luaKeyBuilders`). All names share the hash tag
 * of the prefix, so they are in the routed slot.
 *
 * Counters go to two scopes: global hour and day buckets, and the campaign's
 * hour and day buckets. Fields only the global reports use (processing time,
 * conversations, inbound messages) skip the campaign buckets.
 *
 * Requires Redis 6.2 or later (`SET ... GET`, `ZADD ... GT`). Redis 7.0 or
 * later also takes `SET ... NX GET`, which saves a call per new state.
 */

import type { Redis } from 'ioredis';

import type { EventBuckets } from './buckets';
import { EVENT_HANDLERS, type OpCode } from './scriptEvents';
import { STATE_IO } from './scriptState';
import { BATCH_PRELUDE, MERGED_UPDATES } from './scriptUpdates';

/** Arguments of a batch that are the same for every event. */
export interface BatchContext {
	/** `AnalyticsKeys.base`. */
	base: string;
	/** Real clock, epoch ms. */
	nowMs: number;
	/** Sliding expiry of a campaign's bucket list, in seconds. */
	retentionSeconds: number;
	/** Lifetime of per-message and per-contact state, in seconds. */
	stateTtlSeconds: number;
	conversationTimeoutMs: number;
	/** Cost of a message without a campaign or instance cost, in millionths. */
	defaultCostMicros: number;
}

/** One event for the recording script. */
export interface ScriptEvent {
	op: OpCode;
	/** Time of the event, epoch ms. */
	atMs: number;
	/** The operation's fields, as listed at its handler in `scriptEvents`. */
	fields: (string | number)[];
}

/**
 * Separator of the packed arguments. Ids, phones and labels are checked to
 * contain no control characters, so it never occurs inside a value.
 */
const SEPARATOR = '\x1f';

/**
 * Packs a batch into the script's only argument: the context, the distinct
 * buckets of the events, then per event its operation code, field count,
 * bucket index, time and fields. One string costs the client less to send
 * than thousands of arguments, and the buckets, which most events share,
 * are sent once.
 */
export function packBatch(
	context: BatchContext,
	events: readonly ScriptEvent[],
	bucketsAt: (atMs: number) => EventBuckets,
): string {
	const bucketValues: (string | number)[] = [];
	const bucketIndex = new Map<string, number>();
	const eventValues: (string | number)[] = [];
	let lastHourId = '';
	let lastDayId = '';
	let lastIndex = 0;
	for (const event of events) {
		const buckets = bucketsAt(event.atMs);
		if (buckets.hourId !== lastHourId || buckets.dayId !== lastDayId) {
			const id = `${buckets.hourId}:${buckets.dayId}`;
			lastIndex = bucketIndex.get(id) ?? 0;
			if (lastIndex === 0) {
				lastIndex = bucketIndex.size + 1;
				bucketIndex.set(id, lastIndex);
				bucketValues.push(buckets.hourId, buckets.dayId, buckets.hourExpireAt, buckets.dayExpireAt);
			}
			lastHourId = buckets.hourId;
			lastDayId = buckets.dayId;
		}
		eventValues.push(event.op, event.fields.length, lastIndex, event.atMs);
		for (const field of event.fields) {
			eventValues.push(field);
		}
	}
	const header = [
		context.base,
		context.nowMs,
		context.retentionSeconds,
		context.stateTtlSeconds,
		context.conversationTimeoutMs,
		context.defaultCostMicros,
		bucketIndex.size,
	];
	const parts = [header.join(SEPARATOR)];
	for (const values of [bucketValues, eventValues]) {
		if (values.length > 0) {
			parts.push(values.join(SEPARATOR));
		}
	}
	return parts.join(SEPARATOR) + SEPARATOR;
}

/**
 * `waaRecord` (key: any key of the tag). Runs the events of the batch in
 * order and returns one reply per event, or an error reply for an event that
 * failed.
 */
const RECORD = `
local results = {}
local count = 0
local p = nextArg
while p <= argCount do
  local op, fieldCount = A[p], tonumber(A[p + 1])
  bucket = buckets[A[p + 2]]
  atText = A[p + 3]
  atMs = tonumber(atText)
  local first = p + 4
  local last = first + fieldCount - 1
  local ok, reply = pcall(handlers[op], first, last)
  count = count + 1
  if ok then
    results[count] = reply
  else
    if type(reply) == 'table' then reply = reply.err end
    results[count] = {err = 'ERR Recording an analytics event failed: ' .. tostring(reply)}
  end
  p = last + 1
end
applyUpdates()
return results
`;

/**
 * `waaSweep` (key: any key of the tag). The packed context has no buckets
 * and is followed by a batch size. Ends the conversations that timed out
 * before now and returns how many it looked at.
 */
const SWEEP = `
local seen = sweepConversations(tonumber(A[nextArg]), atMs)
applyUpdates()
return seen
`;

const SCRIPT_BODIES = {
	waaRecord: EVENT_HANDLERS + RECORD,
	waaSweep: SWEEP,
} as const;

type ScriptName = keyof typeof SCRIPT_BODIES;
type ScriptCall = (key: string, packed: string) => Promise<unknown>;

/** Defines the scripts as ioredis commands on `client`. */
export function defineScripts(client: Redis): void {
	for (const [name, body] of Object.entries(SCRIPT_BODIES)) {
		client.defineCommand(name, {
			numberOfKeys: 1,
			lua: BATCH_PRELUDE + STATE_IO + MERGED_UPDATES + body,
		});
	}
}

function runScript(client: Redis, name: ScriptName, key: string, packed: string): Promise<unknown> {
	const call = (client as unknown as Record<ScriptName, ScriptCall>)[name];
	return call.call(client, key, packed);
}

/**
 * Records a batch packed by `packBatch`, with `key` routing the call.
 * Returns one reply per event, and an `Error` for an event that failed.
 */
export async function runRecordScript(
	client: Redis,
	key: string,
	packed: string,
): Promise<unknown[]> {
	return (await runScript(client, 'waaRecord', key, packed)) as unknown[];
}

/** Ends up to `limit` timed-out conversations and returns how many it looked at. */
export async function runSweepScript(
	client: Redis,
	key: string,
	context: BatchContext,
	limit: number,
): Promise<number> {
	const packed = packBatch(context, [], () => {
		throw new Error('A sweep has no events.');
	});
	return (await runScript(client, 'waaSweep', key, `${packed}${limit}${SEPARATOR}`)) as number;
}
