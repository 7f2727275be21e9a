import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['deadLetterQueue'], operation: ['clear'] } },
	[optionalInstanceField],
);

/** Removes every dead-letter entry of one instance or of all. */
export const operation: ItemOperation<QueueManager, string | undefined> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string | undefined {
		return readInstanceName(this, itemIndex);
	},

	async execute(manager, instanceName) {
		const removed = await manager.clearDLQ(instanceName);
		return { instanceName: instanceName ?? null, removed };
	},
};
