/**
 * Filtering of stream events by instance and campaign, and their shape as
 * trigger output items.
 */

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { StoredEvent } from '../../shared';
import type { TriggerSettings } from './settings';

/** Returns whether an event passes the instance and campaign filters. */
export function matchesFilters(event: StoredEvent, settings: TriggerSettings): boolean {
	if (settings.instanceNames.length > 0 && !settings.instanceNames.includes(event.instanceName)) {
		return false;
	}
	if (settings.campaignId !== undefined && event.type.startsWith('message.')) {
		return event.campaignId === settings.campaignId;
	}
	return true;
}

/**
 * Builds the output item of an event. Message events always carry the job
 * ID, attempts, last error, gateway response and message, as null when the
 * event has none, so later nodes can map them without checks.
 */
export function toEventItem(event: StoredEvent): INodeExecutionData {
	const { id, type, ...fields } = event;
	const json: IDataObject = { event: type, eventId: id };
	if (type.startsWith('message.')) {
		Object.assign(json, {
			jobId: null,
			attempts: null,
			error: null,
			gatewayResponse: null,
			message: null,
		});
	}
	Object.assign(json, fields);
	return { json };
}
