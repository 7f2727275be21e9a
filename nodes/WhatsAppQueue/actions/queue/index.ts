import type { INodeProperties } from 'n8n-workflow';

import * as clean from './clean.operation';
import * as drain from './drain.operation';
import * as getMetrics from './getMetrics.operation';
import * as pause from './pause.operation';
import * as resume from './resume.operation';
import * as setRateLimit from './setRateLimit.operation';

export { clean, drain, getMetrics, pause, resume, setRateLimit };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['queue'] } },
		options: [
			{
				name: 'Clean',
				value: 'clean',
				description: 'Remove old completed and failed jobs',
				action: 'Clean old jobs',
			},
			{
				name: 'Drain',
				value: 'drain',
				description: 'Remove waiting and scheduled messages without sending them',
				action: 'Drain the queue',
			},
			{
				name: 'Get Metrics',
				value: 'getMetrics',
				description: 'Get message counts per state, per instance and in total',
				action: 'Get queue metrics',
			},
			{
				name: 'Pause',
				value: 'pause',
				description: 'Stop sending; queued messages stay queued',
				action: 'Pause the queue',
			},
			{
				name: 'Resume',
				value: 'resume',
				description: 'Start sending again',
				action: 'Resume the queue',
			},
			{
				name: 'Set Rate Limit',
				value: 'setRateLimit',
				description: 'Set the pace of one instance for every worker',
				action: 'Set the rate limit of an instance',
			},
		],
		default: 'getMetrics',
	},
	...getMetrics.description,
	...pause.description,
	...resume.description,
	...drain.description,
	...clean.description,
	...setRateLimit.description,
];
