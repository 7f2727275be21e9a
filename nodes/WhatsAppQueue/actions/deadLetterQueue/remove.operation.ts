import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { jobIdField } from '../../descriptions';
import { readJobId } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['deadLetterQueue'], operation: ['remove'] } },
	[jobIdField],
);

/**
 * Removes one dead-letter entry and its failed job, which frees its
 * idempotency key for a corrected message.
 */
export const operation: ItemOperation<QueueManager, string> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string {
		return readJobId(this, itemIndex);
	},

	async execute(manager, jobId) {
		return { jobId, removed: await manager.removeDLQMessage(jobId) };
	},
};
