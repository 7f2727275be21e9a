import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { jobIdField } from '../../descriptions';
import { toEnqueueOutput } from '../message/enqueueOutput';
import { readJobId } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['deadLetterQueue'], operation: ['retry'] } },
	[jobIdField],
);

/** Queues one dead-lettered message again under its job ID, with its priority. */
export const operation: ItemOperation<QueueManager, string> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string {
		return readJobId(this, itemIndex);
	},

	async execute(manager, jobId) {
		return toEnqueueOutput(await manager.retryDLQMessage(jobId));
	},
};
