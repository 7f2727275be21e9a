import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type {
	MessageType,
	AnalyticsManager,
	CampaignEvent,
	ConversationDirection,
	ConversationEndReason,
	ConversionType,
	InboundMessageType,
} from '../../../shared';
import type { ItemOperation } from '../../common/itemRunner';
import { readOptionalAmount, readOptionalText, readText, toInstant } from './parameters';

const MESSAGE_TYPE_OPTIONS = [
	{ name: 'Audio', value: 'audio' },
	{ name: 'Contact', value: 'contact' },
	{ name: 'Document', value: 'document' },
	{ name: 'Image', value: 'image' },
	{ name: 'Location', value: 'location' },
	{ name: 'Text', value: 'text' },
	{ name: 'Video', value: 'video' },
];

const show = (...events: string[]) => ({ show: { event: events } });

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { operation: ['track'] } },
	[
		{
			displayName: 'Event',
			name: 'event',
			type: 'options',
			default: 'conversion',
			options: [
				{
					name: 'Campaign Event',
					value: 'campaign',
					description: 'Count an event of a campaign run outside the queue',
				},
				{ name: 'Conversation Ended', value: 'conversationEnded' },
				{ name: 'Conversation Started', value: 'conversationStarted' },
				{
					name: 'Conversion',
					value: 'conversion',
					description: 'A lead, appointment or sale, with its value',
				},
				{ name: 'Handoff', value: 'handoff', description: 'A conversation handed to a person' },
				{ name: 'Message Delivered', value: 'messageDelivered' },
				{ name: 'Message Failed', value: 'messageFailed' },
				{ name: 'Message Read', value: 'messageRead' },
				{
					name: 'Message Received',
					value: 'messageReceived',
					description: 'A message from a contact',
				},
				{
					name: 'Message Sent',
					value: 'messageSent',
					description: 'A message sent outside the queue',
				},
			],
			description:
				'What happened. Messages sent through the queue are counted by the worker and need no tracking here.',
		},
		{
			displayName: 'Phone',
			name: 'phone',
			type: 'string',
			default: '',
			required: true,
			placeholder: '34600000001',
			description: 'Phone number of the contact with country code, or a WhatsApp JID',
		},
		{
			displayName: 'Message Type',
			name: 'messageType',
			type: 'options',
			default: 'text',
			displayOptions: show('messageSent'),
			options: MESSAGE_TYPE_OPTIONS,
		},
		{
			displayName: 'Message Type',
			name: 'inboundType',
			type: 'options',
			default: 'text',
			displayOptions: show('messageReceived'),
			options: [
				{ name: 'Audio', value: 'audio' },
				{ name: 'Contact', value: 'contact' },
				{ name: 'Document', value: 'document' },
				{ name: 'Image', value: 'image' },
				{ name: 'Location', value: 'location' },
				{ name: 'Other', value: 'other', description: 'Sticker, reaction, poll and the like' },
				{ name: 'Text', value: 'text' },
				{ name: 'Video', value: 'video' },
			],
		},
		{
			displayName: 'Message ID',
			name: 'messageId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: show('messageDelivered', 'messageRead'),
			description: 'Gateway message ID that the receipt refers to',
		},
		{
			displayName: 'Message ID',
			name: 'messageId',
			type: 'string',
			default: '',
			displayOptions: show('messageSent', 'messageReceived', 'messageFailed'),
			description: 'Gateway message ID; tracking the same ID again counts nothing',
		},
		{
			displayName: 'Error',
			name: 'error',
			type: 'string',
			default: '',
			required: true,
			displayOptions: show('messageFailed'),
			description: 'Why the message failed; it is checked but not stored',
		},
		{
			displayName: 'Direction',
			name: 'direction',
			type: 'options',
			default: 'inbound',
			displayOptions: show('conversationStarted'),
			options: [
				{ name: 'Inbound', value: 'inbound', description: 'The contact wrote first' },
				{ name: 'Outbound', value: 'outbound', description: 'You wrote first' },
			],
		},
		{
			displayName: 'End Reason',
			name: 'endReason',
			type: 'options',
			default: 'completed',
			displayOptions: show('conversationEnded'),
			options: [
				{ name: 'Completed', value: 'completed' },
				{ name: 'Handoff', value: 'handoff' },
				{ name: 'Timeout', value: 'timeout' },
			],
		},
		{
			displayName: 'Handoff Reason',
			name: 'handoffReason',
			type: 'string',
			default: '',
			required: true,
			displayOptions: show('handoff'),
			description: 'Why the conversation went to a person; it is checked but not stored',
		},
		{
			displayName: 'Conversion Type',
			name: 'conversionType',
			type: 'options',
			default: 'lead',
			displayOptions: show('conversion'),
			options: [
				{ name: 'Appointment', value: 'appointment' },
				{ name: 'Lead', value: 'lead' },
				{ name: 'Qualified Lead', value: 'qualified_lead' },
				{ name: 'Sale', value: 'sale' },
			],
		},
		{
			displayName: 'Campaign ID',
			name: 'campaignId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: show('campaign'),
		},
		{
			displayName: 'Campaign Event',
			name: 'campaignEvent',
			type: 'options',
			default: 'sent',
			displayOptions: show('campaign'),
			options: [
				{ name: 'Conversion', value: 'conversion' },
				{ name: 'Delivered', value: 'delivered' },
				{ name: 'Read', value: 'read' },
				{ name: 'Response', value: 'response' },
				{ name: 'Sent', value: 'sent' },
			],
		},
		{
			displayName: 'Value',
			name: 'value',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 2 },
			default: 0,
			displayOptions: show('conversion', 'campaign'),
			description: 'Value of the conversion in your currency, counted as revenue',
		},
		{
			displayName: 'Additional Fields',
			name: 'additionalFields',
			type: 'collection',
			placeholder: 'Add Field',
			default: {},
			options: [
				{
					displayName: 'Campaign ID',
					name: 'campaignId',
					type: 'string',
					default: '',
					displayOptions: { hide: { '/event': ['campaign'] } },
				},
				{
					displayName: 'Instance Name',
					name: 'instanceName',
					type: 'string',
					default: '',
					description: 'Gateway instance (the sending WhatsApp number)',
				},
				{
					displayName: 'Intent',
					name: 'intent',
					type: 'string',
					default: '',
					displayOptions: { show: { '/event': ['messageReceived'] } },
					description: 'Intent label of the message, such as pricing, at most 64 characters',
				},
				{
					displayName: 'Job ID',
					name: 'jobId',
					type: 'string',
					default: '',
					description: 'Queue job ID; tracking the same job again counts nothing',
				},
				{
					displayName: 'Sentiment',
					name: 'sentiment',
					type: 'options',
					default: 'neutral',
					displayOptions: { show: { '/event': ['messageReceived'] } },
					options: [
						{ name: 'Negative', value: 'negative' },
						{ name: 'Neutral', value: 'neutral' },
						{ name: 'Positive', value: 'positive' },
					],
				},
				{
					displayName: 'Template ID',
					name: 'templateId',
					type: 'string',
					default: '',
					displayOptions: { show: { '/event': ['messageSent'] } },
				},
				{
					displayName: 'Timestamp',
					name: 'timestamp',
					type: 'dateTime',
					default: '',
					description:
						"When it happened, for importing history. Leave empty for now. A time without an offset is read in the workflow's time zone.",
				},
			],
		},
	],
);

/** One tracking call, checked and ready to run. */
interface TrackParams {
	event: string;
	phone: string;
	/** The event's own arguments, by parameter name. */
	args: IDataObject;
	/** `meta` of the tracking call. */
	meta: IDataObject;
}

function readMeta(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const fields = context.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const meta: IDataObject = {};
	for (const name of ['campaignId', 'instanceName', 'jobId', 'templateId', 'intent', 'sentiment']) {
		const value = fields[name];
		if (value !== undefined && value !== '') {
			meta[name] = typeof value === 'number' ? String(value) : value;
		}
	}
	const timestamp = toInstant(context, fields.timestamp, 'Timestamp', itemIndex);
	if (timestamp !== undefined) {
		meta.timestamp = timestamp;
	}
	return meta;
}

/** Reads the arguments that the chosen event needs. */
function readArgs(context: IExecuteFunctions, event: string, itemIndex: number): IDataObject {
	const text = (name: string, label: string) => readText(context, name, label, itemIndex);
	const option = (name: string) => context.getNodeParameter(name, itemIndex) as string;
	switch (event) {
		case 'messageSent':
			return {
				type: option('messageType'),
				messageId: readOptionalText(context, 'messageId', itemIndex),
			};
		case 'messageReceived':
			return {
				type: option('inboundType'),
				messageId: readOptionalText(context, 'messageId', itemIndex),
			};
		case 'messageFailed':
			return {
				error: text('error', 'Error'),
				messageId: readOptionalText(context, 'messageId', itemIndex),
			};
		case 'messageDelivered':
		case 'messageRead':
			return { messageId: text('messageId', 'Message ID') };
		case 'conversationStarted':
			return { direction: option('direction') };
		case 'conversationEnded':
			return { reason: option('endReason') };
		case 'handoff':
			return { reason: text('handoffReason', 'Handoff Reason') };
		case 'conversion':
			return {
				type: option('conversionType'),
				value: readOptionalAmount(context, 'value', 'Value', itemIndex),
			};
		case 'campaign':
			return {
				campaignId: text('campaignId', 'Campaign ID'),
				campaignEvent: option('campaignEvent'),
				value: readOptionalAmount(context, 'value', 'Value', itemIndex),
			};
		default:
			throw new Error(`Unknown event "${event}". Choose an event from the list.`);
	}
}

/** Calls the analytics manager's tracking method of the event. */
async function track(
	analytics: AnalyticsManager,
	{ event, phone, args, meta }: TrackParams,
): Promise<void> {
	const withMessageId = {
		...meta,
		...(args.messageId ? { messageId: args.messageId as string } : {}),
	};
	switch (event) {
		case 'messageSent':
			return await analytics.trackMessageSent(phone, args.type as MessageType, withMessageId);
		case 'messageReceived':
			return await analytics.trackMessageReceived(
				phone,
				args.type as InboundMessageType,
				withMessageId,
			);
		case 'messageFailed':
			return await analytics.trackMessageFailed(phone, args.error as string, withMessageId);
		case 'messageDelivered':
			return await analytics.trackMessageDelivered(phone, args.messageId as string, meta);
		case 'messageRead':
			return await analytics.trackMessageRead(phone, args.messageId as string, meta);
		case 'conversationStarted':
			return await analytics.trackConversationStarted(
				phone,
				args.direction as ConversationDirection,
				meta,
			);
		case 'conversationEnded':
			return await analytics.trackConversationEnded(
				phone,
				args.reason as ConversationEndReason,
				meta,
			);
		case 'handoff':
			return await analytics.trackHandoff(phone, args.reason as string, meta);
		case 'conversion':
			return await analytics.trackConversion(
				phone,
				args.type as ConversionType,
				args.value as number | undefined,
				meta,
			);
		default:
			return await analytics.trackCampaign(
				args.campaignId as string,
				phone,
				args.campaignEvent as CampaignEvent,
				args.value as number | undefined,
				meta,
			);
	}
}

/** Tracks one analytics event per item. */
export const operation: ItemOperation<AnalyticsManager, TrackParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): TrackParams {
		const event = this.getNodeParameter('event', itemIndex) as string;
		return {
			event,
			phone: readText(this, 'phone', 'Phone', itemIndex),
			args: readArgs(this, event, itemIndex),
			meta: readMeta(this, itemIndex),
		};
	},

	async execute(analytics, params) {
		await track(analytics, params);
		return { tracked: true, event: params.event, phone: params.phone, ...params.meta };
	},
};
