import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { jobIdField, optionalInstanceField } from '../../descriptions';
import { readInstanceName, readJobId, readRequiredString } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['cancel'] } },
	[
		{
			displayName: 'Cancel By',
			name: 'cancelBy',
			type: 'options',
			default: 'jobId',
			options: [
				{
					name: 'Job ID',
					value: 'jobId',
					description: 'One waiting or scheduled message',
				},
				{
					name: 'Campaign',
					value: 'campaign',
					description: 'Every message of a campaign that was not sent yet',
				},
			],
		},
		{ ...jobIdField, displayOptions: { show: { cancelBy: ['jobId'] } } },
		{
			displayName: 'Campaign ID',
			name: 'campaignId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { cancelBy: ['campaign'] } },
		},
		{ ...optionalInstanceField, displayOptions: { show: { cancelBy: ['campaign'] } } },
	],
);

type CancelParams =
	| { by: 'jobId'; jobId: string }
	| { by: 'campaign'; campaignId: string; instanceName?: string };

/**
 * Removes one message, or every unsent message of a campaign, before it is
 * sent. A message being sent or already sent stays; the output says so.
 */
export const operation: ItemOperation<QueueManager, CancelParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): CancelParams {
		if (this.getNodeParameter('cancelBy', itemIndex) === 'campaign') {
			return {
				by: 'campaign',
				campaignId: readRequiredString(this, itemIndex, 'campaignId', 'Campaign ID'),
				instanceName: readInstanceName(this, itemIndex),
			};
		}
		return { by: 'jobId', jobId: readJobId(this, itemIndex) };
	},

	async execute(manager, params) {
		if (params.by === 'campaign') {
			const result = await manager.cancelCampaign(params.campaignId, params.instanceName);
			return { ...result };
		}
		const result = await manager.cancelMessage(params.jobId);
		return { jobId: result.id, cancelled: result.cancelled, state: result.state };
	},
};
