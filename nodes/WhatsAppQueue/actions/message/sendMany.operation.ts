import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { BulkEntry, QueueManager } from '../../../../shared';
import type { BatchOperation } from '../../../common/itemRunner';
import { messageFields, messageOptions, retryOptions } from '../../descriptions';
import { toEnqueueOutput } from './enqueueOutput';
import { readEnqueueEntry } from './enqueueEntry';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['sendMany'] } },
	[
		{
			displayName:
				'Every item is checked first. Without "continue on fail" nothing is queued when any item is invalid; with it, invalid items become error items and the valid ones are queued together.',
			name: 'sendManyNotice',
			type: 'notice',
			default: '',
		},
		...messageFields,
		messageOptions,
		retryOptions,
	],
);

/**
 * Queues one message per item in one bulk call, after every item was
 * validated. Each item may have its own schedule time and retry policy. The runner leaves out invalid items, or stops on the first one.
 */
export const operation: BatchOperation<QueueManager, BulkEntry> = {
	kind: 'batch',

	async prepare(this: IExecuteFunctions, itemIndex: number): Promise<BulkEntry> {
		return await readEnqueueEntry(this, itemIndex);
	},

	async executeBatch(manager, entries) {
		const results = await manager.enqueueBulk(entries);
		return results.map((result, i) => toEnqueueOutput(result, entries[i].message.recipientPhone));
	},
};
