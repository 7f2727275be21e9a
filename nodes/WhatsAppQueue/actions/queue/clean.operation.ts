import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName, readInteger } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['queue'], operation: ['clean'] } },
	[
		optionalInstanceField,
		{
			displayName: 'Older Than (Seconds)',
			name: 'olderThanSeconds',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 3600,
			description: 'Remove only jobs that finished at least this many seconds ago',
		},
		{
			displayName: 'Max Jobs',
			name: 'maxJobs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description: 'Max number of jobs to remove per state and instance; 0 removes all',
		},
	],
);

interface CleanParams {
	instanceName?: string;
	olderThanSeconds: number;
	maxJobs: number;
}

/**
 * Removes completed and failed jobs. Dead-letter entries are kept; remove
 * them with the Dead-Letter Queue operations.
 */
export const operation: ItemOperation<QueueManager, CleanParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): CleanParams {
		const range = { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 };
		return {
			instanceName: readInstanceName(this, itemIndex),
			olderThanSeconds: readInteger(this, itemIndex, 'olderThanSeconds', 'Older Than (Seconds)', {
				...range,
				max: 10 * 365 * 86_400,
				fallback: 3600,
			}),
			maxJobs: readInteger(this, itemIndex, 'maxJobs', 'Max Jobs', range),
		};
	},

	async execute(manager, { instanceName, olderThanSeconds, maxJobs }) {
		const removed = await manager.clean(olderThanSeconds * 1000, maxJobs, instanceName);
		return { instanceName: instanceName ?? null, removed };
	},
};
