import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { BulkEntry, QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { messageFields, messageOptions, retryOptions } from '../../descriptions';
import { readEnqueueEntry } from './enqueueEntry';
import { toEnqueueOutput } from './enqueueOutput';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['send'] } },
	[...messageFields, messageOptions, retryOptions],
);

/** Queues one message per item, or schedules it when a schedule time is set. */
export const operation: ItemOperation<QueueManager, BulkEntry> = {
	kind: 'item',

	async prepare(this: IExecuteFunctions, itemIndex: number): Promise<BulkEntry> {
		return await readEnqueueEntry(this, itemIndex);
	},

	async execute(manager, entry) {
		const { message, at, ...options } = entry;
		const result =
			at === undefined
				? await manager.addMessage(message, options)
				: await manager.scheduleMessage(message, at, options);
		return toEnqueueOutput(result, message.recipientPhone);
	},
};
