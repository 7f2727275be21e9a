import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { parseScheduleTime, type BulkEntry } from '../../../../shared';
import { readRetry } from '../runSettings';
import { readMessage, readTextPolicy } from './messageInput';

/**
 * Converts a dateTime parameter to a schedule input. Expressions can return a
 * string, a `Date` or a luxon `DateTime`.
 */
function toScheduleInput(value: unknown): string | number | Date | undefined {
	if (value === undefined || value === null || value === '') {
		return undefined;
	}
	const withIso = value as { toISO?: () => string | null };
	if (typeof withIso.toISO === 'function') {
		return withIso.toISO() ?? String(value);
	}
	return value as string | number | Date;
}

/** Reads the optional schedule time of an item and the zone to read it in. */
function readSchedule(
	context: IExecuteFunctions,
	itemIndex: number,
): { at?: string | number | Date; timeZone: string } {
	const zoneParameter = context.getNodeParameter('options.timeZone', itemIndex, '') as string;
	const timeZone = zoneParameter.trim() || context.getTimezone();
	const at = toScheduleInput(context.getNodeParameter('options.scheduleTime', itemIndex, ''));
	if (at === undefined) {
		return { timeZone };
	}

	const parsed = parseScheduleTime(at, { timeZone });
	if (!parsed.ok) {
		throw new NodeOperationError(context.getNode(), `Schedule Time: ${parsed.reason}`, {
			itemIndex,
			description:
				'Use an ISO 8601 time such as 2025-03-10T09:00:00, or leave Schedule Time empty to send now.',
		});
	}
	return { at, timeZone };
}

/**
 * Reads everything one item queues: the message, its schedule, retry policy
 * and long-text policy. Throws a `NodeOperationError` naming the item.
 */
export async function readEnqueueEntry(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<BulkEntry> {
	const message = await readMessage(context, itemIndex);
	const { at, timeZone } = readSchedule(context, itemIndex);
	const entry: BulkEntry = { message, timeZone, textPolicy: readTextPolicy(context, itemIndex) };
	if (at !== undefined) {
		entry.at = at;
	}
	const retry = readRetry(context, itemIndex);
	if (retry !== undefined) {
		entry.retry = retry;
	}
	return entry;
}
