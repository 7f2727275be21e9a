import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { optionalInstanceField } from '../../descriptions';
import { readInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['queue'], operation: ['getMetrics'] } },
	[optionalInstanceField],
);

/**
 * Reads message counts per state: of one instance, or totals with each
 * instance's counts under `instances`. `sentPerMinute` is the rate of the
 * last five minutes.
 */
export const operation: ItemOperation<QueueManager, string | undefined> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string | undefined {
		return readInstanceName(this, itemIndex);
	},

	async execute(manager, instanceName) {
		const [metrics, sentPerMinute] = await Promise.all([
			manager.getMetrics(instanceName),
			manager.getProcessingRate(instanceName),
		]);
		return { instanceName: instanceName ?? null, ...metrics, sentPerMinute } as IDataObject;
	},
};
