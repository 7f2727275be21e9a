import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { instanceNameField } from '../../descriptions';
import { readInteger, readRequiredInstanceName } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['queue'], operation: ['setRateLimit'] } },
	[
		instanceNameField,
		{
			displayName: 'Max Messages',
			name: 'maxMessages',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 100000 },
			default: 80,
			description: 'Max number of messages started per window; 0 turns pacing off',
		},
		{
			displayName: 'Window (Seconds)',
			name: 'windowSeconds',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 86400 },
			default: 60,
			description: 'Length of the window, in seconds. Sends are spread evenly across it.',
		},
	],
);

interface RateLimitParams {
	instanceName: string;
	max: number;
	windowSeconds: number;
}

/** Stores a rate limit for one instance, which every worker honours over its default. */
export const operation: ItemOperation<QueueManager, RateLimitParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): RateLimitParams {
		return {
			instanceName: readRequiredInstanceName(this, itemIndex),
			max: readInteger(this, itemIndex, 'maxMessages', 'Max Messages', {
				min: 0,
				max: 100_000,
				fallback: 80,
			}),
			windowSeconds: readInteger(this, itemIndex, 'windowSeconds', 'Window (Seconds)', {
				min: 1,
				max: 86_400,
				fallback: 60,
			}),
		};
	},

	async execute(manager, { instanceName, max, windowSeconds }) {
		const limit = await manager.setRateLimit(instanceName, { max, duration: windowSeconds * 1000 });
		return { instanceName, maxMessages: limit.max, windowSeconds: limit.duration / 1000 };
	},
};
