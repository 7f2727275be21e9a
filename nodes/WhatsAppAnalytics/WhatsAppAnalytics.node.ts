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
import * as get from './actions/get.operation';
import { router } from './actions/router';
import * as track from './actions/track.operation';

/** Tracks WhatsApp analytics events and reads metrics, reports and time series. */
export class WhatsAppAnalytics implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Analytics',
		name: 'whatsAppAnalytics',
		icon: { light: 'file:whatsAppAnalytics.svg', dark: 'file:whatsAppAnalytics.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{$parameter["operation"] === "track" ? "Track " + $parameter["event"] : "Get " + $parameter["metric"]}}',
		description:
			'Track WhatsApp conversations, conversions and receipts, and get delivery, read and conversion rates, campaign results and reports',
		defaults: { name: 'WhatsApp Analytics' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'whatsAppQueueRedisApi', required: true, testedBy: 'whatsAppQueueRedisApiTest' },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Get',
						value: 'get',
						description:
							'Get message, conversation, conversion, performance or campaign metrics, a report or a time series',
						action: 'Get analytics',
					},
					{
						name: 'Track',
						value: 'track',
						description: 'Record a message, conversation, conversion or campaign event',
						action: 'Track an event',
					},
				],
				default: 'get',
			},
			...track.description,
			...get.description,
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
