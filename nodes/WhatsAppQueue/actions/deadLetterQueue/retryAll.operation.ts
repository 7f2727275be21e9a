import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { toEnqueueOutput } from '../message/enqueueOutput';
import { readInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['deadLetterQueue'], operation: ['retryAll'] } },
	[optionalInstanceField],
);

/** Queues every dead-lettered message again, oldest first; one output item per message. */
export const operation: ItemOperation<QueueManager, string | undefined> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string | undefined {
		return readInstanceName(this, itemIndex);
	},

	async execute(manager, instanceName) {
		const results = await manager.retryAllDLQMessages(instanceName);
		return results.map((result) => toEnqueueOutput(result));
	},
};
