import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['queue'], operation: ['drain'] } },
	[
		{
			displayName: 'Drain removes waiting and scheduled messages without sending them',
			name: 'drainNotice',
			type: 'notice',
			default: '',
		},
		optionalInstanceField,
	],
);

/** Removes waiting and scheduled messages unsent; messages being sent are left alone. */
export const operation: ItemOperation<QueueManager, string | undefined> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string | undefined {
		return readInstanceName(this, itemIndex);
	},

	async execute(manager, instanceName) {
		const removed = await manager.drain(instanceName);
		return { instanceName: instanceName ?? null, removed };
	},
};
