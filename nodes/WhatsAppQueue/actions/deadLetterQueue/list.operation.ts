import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName, readInteger } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['deadLetterQueue'], operation: ['list'] } },
	[
		optionalInstanceField,
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10000 },
			default: 50,
			description: 'Max number of results to return',
		},
	],
);

interface ListParams {
	instanceName?: string;
	limit: number;
}

/** Lists dead-lettered messages, newest first, one output item each. */
export const operation: ItemOperation<QueueManager, ListParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): ListParams {
		return {
			instanceName: readInstanceName(this, itemIndex),
			limit: readInteger(this, itemIndex, 'limit', 'Limit', { min: 1, max: 10_000, fallback: 50 }),
		};
	},

	async execute(manager, { instanceName, limit }) {
		const entries = await manager.getDLQMessages(limit, instanceName);
		return entries.map((entry) => ({ ...entry }) as unknown as IDataObject);
	},
};
