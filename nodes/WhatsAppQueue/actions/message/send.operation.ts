import {
	NodeOperationError,
	updateDisplayOptions,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import { type QueueManager, type WhatsAppMessage, parseScheduleTime } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { messageFields, messageOptions, retryOptions } from '../../descriptions';
import { toEnqueueOutput } from './enqueueOutput';
import { readMessage } from './messageInput';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['send'] } },
	[...messageFields, messageOptions, retryOptions],
);

interface SendParams {
	message: WhatsAppMessage;
	/** Schedule time as given, with the zone to read it in. */
	schedule?: { at: string | number | Date; timeZone: string };
}

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

function readSchedule(context: IExecuteFunctions, itemIndex: number): SendParams['schedule'] {
	const at = toScheduleInput(context.getNodeParameter('options.scheduleTime', itemIndex, ''));
	if (at === undefined) {
		return undefined;
	}
	const zoneParameter = context.getNodeParameter('options.timeZone', itemIndex, '') as string;
	const timeZone = zoneParameter.trim() || context.getTimezone();

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

/** Queues one message per item, or schedules it when a schedule time is set. */
export const operation: ItemOperation<QueueManager, SendParams> = {
	kind: 'item',

	async prepare(this: IExecuteFunctions, itemIndex: number): Promise<SendParams> {
		const message = await readMessage(this, itemIndex);
		return { message, schedule: readSchedule(this, itemIndex) };
	},

	async execute(manager, { message, schedule }) {
		const result = schedule
			? await manager.scheduleMessage(message, schedule.at, { timeZone: schedule.timeZone })
			: await manager.addMessage(message);
		return toEnqueueOutput(result, message.recipientPhone);
	},
};
