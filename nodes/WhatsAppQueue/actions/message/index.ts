import type { INodeProperties } from 'n8n-workflow';

import * as cancel from './cancel.operation';
import * as getStatus from './getStatus.operation';
import * as send from './send.operation';
import * as sendMany from './sendMany.operation';

export { cancel, getStatus, send, sendMany };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Cancel',
				value: 'cancel',
				description: 'Remove a waiting or scheduled message, or every unsent message of a campaign',
				action: 'Cancel a message',
			},
			{
				name: 'Get Status',
				value: 'getStatus',
				description: 'Get the state, attempts, gateway message ID and error of a message',
				action: 'Get the status of a message',
			},
			{
				name: 'Send',
				value: 'send',
				description: 'Queue a message, now or at a scheduled time',
				action: 'Send a message',
			},
			{
				name: 'Send Many',
				value: 'sendMany',
				description: 'Queue one message per input item in one bulk call',
				action: 'Send many messages',
			},
		],
		default: 'send',
	},
	...send.description,
	...sendMany.description,
	...getStatus.description,
	...cancel.description,
];
