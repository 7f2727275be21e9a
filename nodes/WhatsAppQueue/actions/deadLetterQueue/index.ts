import type { INodeProperties } from 'n8n-workflow';

import * as clear from './clear.operation';
import * as list from './list.operation';
import * as remove from './remove.operation';
import * as retry from './retry.operation';
import * as retryAll from './retryAll.operation';

export { clear, list, remove, retry, retryAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['deadLetterQueue'] } },
		options: [
			{
				name: 'Clear',
				value: 'clear',
				description: 'Remove every dead-letter entry',
				action: 'Clear the dead letter queue',
			},
			{
				name: 'List',
				value: 'list',
				description: 'List messages that failed for good, newest first',
				action: 'List dead lettered messages',
			},
			{
				name: 'Remove',
				value: 'remove',
				description: 'Remove one dead-letter entry, freeing its idempotency key',
				action: 'Remove a dead lettered message',
			},
			{
				name: 'Retry',
				value: 'retry',
				description: 'Queue one dead-lettered message again',
				action: 'Retry a dead lettered message',
			},
			{
				name: 'Retry All',
				value: 'retryAll',
				description: 'Queue every dead-lettered message again',
				action: 'Retry all dead lettered messages',
			},
		],
		default: 'list',
	},
	...list.description,
	...retry.description,
	...retryAll.description,
	...remove.description,
	...clear.description,
];
