import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['queue'], operation: ['resume'] } },
	[optionalInstanceField],
);

/** Starts sending again for one instance or every instance. */
export const operation: ItemOperation<QueueManager, string | undefined> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string | undefined {
		return readInstanceName(this, itemIndex);
	},

	async execute(manager, instanceName) {
		await manager.resume(instanceName);
		return { instanceName: instanceName ?? null, paused: false };
	},
};
