import {
	NodeConnectionTypes,
	type ICredentialTestFunction,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { CREDENTIAL_TEST_NAME } from '../common/credentials';
import { testRedisCredential } from '../common/credentialTest';
import * as deadLetterQueue from './actions/deadLetterQueue';
import * as message from './actions/message';
import * as queue from './actions/queue';
import { router } from './actions/router';

/** Queues WhatsApp messages for the worker and manages the queues. */
export class WhatsAppQueue implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Queue',
		name: 'whatsAppQueue',
		icon: { light: 'file:whatsAppQueue.svg', dark: 'file:whatsAppQueue.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Queue WhatsApp messages in Redis for a rate-limited worker, and manage the queues and the dead-letter queue',
		defaults: { name: 'WhatsApp Queue' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'whatsAppQueueRedisApi', required: true, testedBy: 'whatsAppQueueRedisApiTest' },
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Dead-Letter Queue', value: 'deadLetterQueue' },
					{ name: 'Message', value: 'message' },
					{ name: 'Queue', value: 'queue' },
				],
				default: 'message',
			},
			...message.description,
			...deadLetterQueue.description,
			...queue.description,
		],
	};

	methods = {
		credentialTest: { [CREDENTIAL_TEST_NAME]: testRedisCredential } as Record<
			string,
			ICredentialTestFunction
		>,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
