/**
 * The alert events: checks the backlog and the error rate on an interval and
 * fires once per crossing of a threshold. The crossing state lives in Redis,
 * so two n8n processes that run the same active workflow fire once between
 * them.
 */

import type { Redis } from 'ioredis';
import type { IDataObject } from 'n8n-workflow';

import { type QueueManager, type EventType, type TriggerEvent, eventStreamKey } from '../../shared';
import { alertStateKey } from './keys';
import type { ErrorRateAlert, TriggerSettings } from './settings';

/**
 * Records one observation and returns 1 when it crosses from below to above.
 * An observation older than the stored one is ignored, so a slow check of
 * another process cannot undo a newer one. KEYS[1]: state hash. ARGV: the
 * observed state (`above` or `below`), its time in ms, the key's TTL in s.
 */
const RECORD_CROSSING = `
local previous = redis.call('HGET', KEYS[1], 'state')
local previousAt = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
if tonumber(ARGV[2]) <= previousAt then
	return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'at', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
if ARGV[1] == 'above' and previous ~= 'above' then
	return 1
end
return 0
`;

/** Crossing states expire a week after the last check, so deleted workflows leave nothing behind. */
const STATE_TTL_SECONDS = 7 * 86_400;

/** Stream entries read per XRANGE call when counting the error rate. */
const RANGE_PAGE_SIZE = 1000;

/** Settings and clients of one alert check. */
export interface AlertContext {
	settings: TriggerSettings;
	manager: QueueManager;
	/** A client for the crossing state and the event streams. */
	client: Redis;
	prefix: string;
	workflowId: string;
	nodeId: string;
	/**
	 * In manual mode ("listen for test event") an alert fires whenever a check
	 * finds its value above the threshold, and the shared crossing state is
	 * left alone, so a test takes nothing from the active workflow.
	 */
	isManual: boolean;
}

/** Sums the waiting messages of the filtered instances, or of all. */
async function readWaiting(context: AlertContext): Promise<number> {
	const { instanceNames } = context.settings;
	if (instanceNames.length === 0) {
		return (await context.manager.getMetrics()).waiting;
	}
	const metrics = await Promise.all(instanceNames.map((name) => context.manager.getMetrics(name)));
	return metrics.reduce((sum, instance) => sum + instance.waiting, 0);
}

/**
 * Counts the events of one type in `[sinceMs, now]` that pass the instance
 * filter.
 * NOTE: this reads every entry of the window on each check. That is about
 * 1,200 entries per instance for 15 minutes at 80 messages a minute, and
 * long windows on busy queues cost more.
 */
async function countEvents(
	context: AlertContext,
	type: EventType,
	sinceMs: number,
): Promise<number> {
	const key = eventStreamKey(context.prefix, type);
	const { instanceNames } = context.settings;
	let start = String(sinceMs);
	let count = 0;
	for (;;) {
		const entries = (await context.client.xrange(
			key,
			start,
			'+',
			'COUNT',
			RANGE_PAGE_SIZE,
		)) as Array<[string, string[]]>;
		for (const [, fields] of entries) {
			if (instanceNames.length === 0) {
				count += 1;
				continue;
			}
			const event = JSON.parse(fields[fields.indexOf('event') + 1]) as TriggerEvent;
			if (instanceNames.includes(event.instanceName)) {
				count += 1;
			}
		}
		if (entries.length < RANGE_PAGE_SIZE) {
			return count;
		}
		start = `(${entries[entries.length - 1][0]}`;
	}
}

async function readErrorRate(
	context: AlertContext,
	alert: ErrorRateAlert,
): Promise<{ sent: number; deadLettered: number; errorRate: number | null }> {
	const since = Date.now() - alert.windowMs;
	const [sent, deadLettered] = await Promise.all([
		countEvents(context, 'message.sent', since),
		countEvents(context, 'message.dead_lettered', since),
	]);
	const finished = sent + deadLettered;
	const errorRate = finished === 0 ? null : Math.round((deadLettered / finished) * 10_000) / 100;
	return { sent, deadLettered, errorRate };
}

/** Records an observation and returns whether the alert should fire now. */
async function shouldFire(
	context: AlertContext,
	alert: string,
	isAbove: boolean,
	at: number,
): Promise<boolean> {
	if (context.isManual) {
		return isAbove;
	}
	const key = alertStateKey(context.prefix, context.workflowId, context.nodeId, alert);
	const crossed = await context.client.eval(
		RECORD_CROSSING,
		1,
		key,
		isAbove ? 'above' : 'below',
		String(at),
		String(STATE_TTL_SECONDS),
	);
	return crossed === 1;
}

function scopeOf(settings: TriggerSettings): string[] | null {
	return settings.instanceNames.length > 0 ? settings.instanceNames : null;
}

/** Runs one check of every alert that is on; resolves to the alert items to emit. */
export async function checkAlerts(context: AlertContext): Promise<IDataObject[]> {
	const fired: IDataObject[] = [];
	const { settings } = context;
	const checkedAt = Date.now();

	if (settings.backlogThreshold !== undefined) {
		const waiting = await readWaiting(context);
		const isAbove = waiting > settings.backlogThreshold;
		if (await shouldFire(context, 'backlog', isAbove, checkedAt)) {
			fired.push({
				event: 'alert.backlog',
				instanceNames: scopeOf(settings),
				waiting,
				threshold: settings.backlogThreshold,
				checkedAt: new Date(checkedAt).toISOString(),
			});
		}
	}

	if (settings.errorRate !== undefined) {
		const alert = settings.errorRate;
		const { sent, deadLettered, errorRate } = await readErrorRate(context, alert);
		const isAbove =
			errorRate !== null &&
			sent + deadLettered >= alert.minMessages &&
			errorRate > alert.thresholdPercent;
		if (await shouldFire(context, 'errorRate', isAbove, checkedAt)) {
			fired.push({
				event: 'alert.errorRate',
				instanceNames: scopeOf(settings),
				errorRate,
				threshold: alert.thresholdPercent,
				windowMinutes: alert.windowMs / 60_000,
				sent,
				deadLettered,
				checkedAt: new Date(checkedAt).toISOString(),
			});
		}
	}
	return fired;
}
