/**
 * Reads and checks the trigger's parameters before anything connects.
 */

import { NodeOperationError, type ITriggerFunctions } from 'n8n-workflow';

import { EVENT_TYPES, type EventType, checkInstanceName } from '../../shared';
import { ALERT_EVENTS, type AlertEvent } from './properties';

/** Thresholds of the error-rate alert. */
export interface ErrorRateAlert {
	/** Percentage of finished messages that were dead-lettered, 0 to 100. */
	thresholdPercent: number;
	windowMs: number;
	/** Finished messages needed in the window before the rate counts. */
	minMessages: number;
}

/** The trigger's checked settings. */
export interface TriggerSettings {
	/** Stream events to read. */
	eventTypes: EventType[];
	/** Waiting-message threshold of the backlog alert, when it is on. */
	backlogThreshold?: number;
	errorRate?: ErrorRateAlert;
	/** Instances to listen to; empty for every instance. */
	instanceNames: string[];
	campaignId?: string;
	checkIntervalMs: number;
	reclaimAfterMs: number;
}

function fail(context: ITriggerFunctions, message: string, description?: string): never {
	throw new NodeOperationError(context.getNode(), message, { description });
}

function readNumber(
	context: ITriggerFunctions,
	name: string,
	label: string,
	range: { min: number; max: number; fallback: number },
): number {
	const raw = context.getNodeParameter(name, range.fallback);
	const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (
		typeof value !== 'number' ||
		!Number.isFinite(value) ||
		value < range.min ||
		value > range.max
	) {
		fail(
			context,
			`Invalid ${label} ${JSON.stringify(raw)}.`,
			`Use a number from ${range.min} to ${range.max}.`,
		);
	}
	return value;
}

function readInstanceNames(context: ITriggerFunctions): string[] {
	const raw = String(context.getNodeParameter('instanceNames', '') ?? '');
	const names = raw
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '');
	for (const name of names) {
		const problem = checkInstanceName(name);
		if (problem) {
			fail(context, `Instance Names: ${problem}`);
		}
	}
	return names;
}

function readEvents(context: ITriggerFunctions): { streams: EventType[]; alerts: AlertEvent[] } {
	const selected = context.getNodeParameter('events', []) as string[];
	if (!Array.isArray(selected) || selected.length === 0) {
		fail(context, 'No events selected.', 'Choose at least one event that starts the workflow.');
	}
	const streams = EVENT_TYPES.filter((type) => selected.includes(type));
	const alerts = ALERT_EVENTS.filter((type) => selected.includes(type));
	const unknown = selected.filter(
		(value) => !streams.includes(value as EventType) && !alerts.includes(value as AlertEvent),
	);
	if (unknown.length > 0) {
		fail(context, `Unknown event "${unknown[0]}".`, 'Choose the events from the list.');
	}
	return { streams, alerts };
}

/** Reads every parameter; throws a `NodeOperationError` naming the first invalid one. */
export function readTriggerSettings(context: ITriggerFunctions): TriggerSettings {
	const { streams, alerts } = readEvents(context);
	const campaignId = String(context.getNodeParameter('campaignId', '') ?? '').trim();

	const settings: TriggerSettings = {
		eventTypes: streams,
		instanceNames: readInstanceNames(context),
		campaignId: campaignId === '' ? undefined : campaignId,
		checkIntervalMs:
			1000 *
			readNumber(context, 'options.checkIntervalSeconds', 'Alert Check Interval (Seconds)', {
				min: 1,
				max: 86_400,
				fallback: 60,
			}),
		reclaimAfterMs:
			1000 *
			readNumber(context, 'options.reclaimAfterSeconds', 'Reclaim After (Seconds)', {
				min: 1,
				max: 86_400,
				fallback: 60,
			}),
	};
	if (alerts.includes('alert.backlog')) {
		settings.backlogThreshold = readNumber(context, 'backlogThreshold', 'Backlog Threshold', {
			min: 1,
			max: Number.MAX_SAFE_INTEGER,
			fallback: 1000,
		});
	}
	if (alerts.includes('alert.errorRate')) {
		settings.errorRate = {
			thresholdPercent: readNumber(context, 'errorRateThreshold', 'Error Rate Threshold (%)', {
				min: 0,
				max: 100,
				fallback: 10,
			}),
			windowMs:
				60_000 *
				readNumber(context, 'errorRateWindowMinutes', 'Error Rate Window (Minutes)', {
					min: 1,
					max: 1440,
					fallback: 15,
				}),
			minMessages: readNumber(context, 'errorRateMinMessages', 'Minimum Finished Messages', {
				min: 1,
				max: Number.MAX_SAFE_INTEGER,
				fallback: 20,
			}),
		};
	}
	return settings;
}
