/**
 * Parameter fragments that several operations of the WhatsApp Queue node
 * share. Each operation file adds its own display options to them.
 */

import type { INodeProperties } from 'n8n-workflow';

/** Name of the gateway instance that a message is sent from. */
export const instanceNameField: INodeProperties = {
	displayName: 'Instance Name',
	name: 'instanceName',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'sales',
	description: 'Name of the Evolution API instance, that is the WhatsApp number that sends',
};

/** An instance name that may be left empty to mean every instance. */
export const optionalInstanceField: INodeProperties = {
	displayName: 'Instance Name',
	name: 'instanceName',
	type: 'string',
	default: '',
	placeholder: 'sales',
	description: 'Name of the Evolution API instance. Leave empty for every instance.',
};

/** The public job id that Send and Send Many return. */
export const jobIdField: INodeProperties = {
	displayName: 'Job ID',
	name: 'jobId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'sales:m1x2abc',
	description: 'ID of the queued message, as Send or Send Many returned it in "jobId"',
};

const MEDIA_TYPES = ['image', 'video', 'audio', 'document'];

/** Fields of one message: instance, recipient, type and the content of that type. */
export const messageFields: INodeProperties[] = [
	instanceNameField,
	{
		displayName: 'Recipient Phone',
		name: 'phone',
		type: 'string',
		default: '',
		required: true,
		placeholder: '+34 600 000 001',
		description:
			'Phone number with country code, or a WhatsApp JID such as a group ID. Spaces, dashes, brackets, "+" and a "00" prefix are removed.',
	},
	{
		displayName: 'Message Type',
		name: 'messageType',
		type: 'options',
		default: 'text',
		options: [
			{ name: 'Audio', value: 'audio' },
			{ name: 'Contact', value: 'contact' },
			{ name: 'Document', value: 'document' },
			{ name: 'Image', value: 'image' },
			{ name: 'Location', value: 'location' },
			{ name: 'Text', value: 'text' },
			{ name: 'Video', value: 'video' },
		],
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		displayOptions: { show: { messageType: ['text'] } },
		description: 'Message text, at most 4,096 characters',
	},
	{
		displayName: 'Media Source',
		name: 'mediaSource',
		type: 'options',
		default: 'url',
		displayOptions: { show: { messageType: MEDIA_TYPES } },
		options: [
			{
				name: 'URL',
				value: 'url',
				description: 'A public http or https URL that the gateway downloads',
			},
			{
				name: 'Binary File',
				value: 'binary',
				description: 'A file of the input item, sent as base64 (at most 5 MiB)',
			},
		],
	},
	{
		displayName: 'Media URL',
		name: 'mediaUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/invoice.pdf',
		displayOptions: { show: { messageType: MEDIA_TYPES, mediaSource: ['url'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { messageType: MEDIA_TYPES, mediaSource: ['binary'] } },
		hint: 'The name of the input binary field containing the file to be sent',
	},
	{
		displayName: 'Caption',
		name: 'caption',
		type: 'string',
		default: '',
		displayOptions: { show: { messageType: ['image', 'video', 'document'] } },
		description: 'Text shown under the media, at most 1,024 characters',
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		placeholder: 'invoice.pdf',
		displayOptions: { show: { messageType: ['document'] } },
		description: 'File name shown to the recipient',
	},
	{
		displayName: 'Latitude',
		name: 'latitude',
		type: 'number',
		typeOptions: { minValue: -90, maxValue: 90, numberPrecision: 6 },
		default: 0,
		required: true,
		displayOptions: { show: { messageType: ['location'] } },
		description: 'Latitude in degrees, from -90 to 90',
	},
	{
		displayName: 'Longitude',
		name: 'longitude',
		type: 'number',
		typeOptions: { minValue: -180, maxValue: 180, numberPrecision: 6 },
		default: 0,
		required: true,
		displayOptions: { show: { messageType: ['location'] } },
		description: 'Longitude in degrees, from -180 to 180',
	},
	{
		displayName: 'Location Name',
		name: 'locationName',
		type: 'string',
		default: '',
		displayOptions: { show: { messageType: ['location'] } },
	},
	{
		displayName: 'Address',
		name: 'address',
		type: 'string',
		default: '',
		displayOptions: { show: { messageType: ['location'] } },
	},
	{
		displayName: 'Contacts',
		name: 'contacts',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Contact',
		displayOptions: { show: { messageType: ['contact'] } },
		options: [
			{
				displayName: 'Contact',
				name: 'contact',
				values: [
					{
						displayName: 'Full Name',
						name: 'fullName',
						type: 'string',
						default: '',
						required: true,
					},
					{
						displayName: 'Phone Number',
						name: 'phoneNumber',
						type: 'string',
						default: '',
						required: true,
						description: 'Phone number of the contact, with country code',
					},
					{
						displayName: 'Organization',
						name: 'organization',
						type: 'string',
						default: '',
					},
					{
						displayName: 'Email',
						name: 'email',
						type: 'string',
						placeholder: 'name@email.com',
						default: '',
					},
				],
			},
		],
	},
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'options',
		default: 'normal',
		description: 'Messages of a higher priority are sent first; equal priorities keep their order',
		options: [
			{ name: 'Critical', value: 'critical', description: 'Sent next, such as one-time codes' },
			{ name: 'High', value: 'high' },
			{ name: 'Low', value: 'low' },
			{ name: 'Normal', value: 'normal' },
		],
	},
];

/** Per-message options of Send and Send Many; the schedule fields are for Send only. */
export const messageOptions: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Campaign ID',
			name: 'campaignId',
			type: 'string',
			default: '',
			description: 'Campaign the message belongs to, for analytics and for cancelling a campaign',
		},
		{
			displayName: 'Contact ID',
			name: 'contactId',
			type: 'string',
			default: '',
			description: 'Your ID of the contact, kept on the job and in trigger events',
		},
		{
			displayName: 'Extra Metadata',
			name: 'metadata',
			type: 'json',
			default: '{}',
			description: 'A JSON object kept on the job and in dead-letter entries, at most 16 KiB',
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			description:
				'While a message with this key exists on the instance, sending again queues nothing and returns status "duplicate" with the existing message\'s state',
		},
		{
			displayName: 'Long Text',
			name: 'longText',
			type: 'options',
			default: 'reject',
			description: 'What to do with a text over 4,096 characters',
			options: [
				{ name: 'Reject', value: 'reject', description: 'Fail the item' },
				{
					name: 'Split',
					value: 'split',
					description: 'Send several messages, split at word boundaries, in order',
				},
			],
		},
		{
			displayName: 'Schedule Time',
			name: 'scheduleTime',
			type: 'dateTime',
			default: '',
			description:
				'When to send. A time without a UTC offset is read in the time zone below. A time up to 60 seconds past sends now.',
		},
		{
			displayName: 'Time Zone',
			name: 'timeZone',
			type: 'string',
			default: '',
			placeholder: 'America/Sao_Paulo',
			description:
				"IANA time zone of a schedule time without an offset. Leave empty for the workflow's time zone.",
		},
	],
};

/**
 * Retry policy stored on the queued messages. Without it the worker's own
 * policy (RETRY_ATTEMPTS and RETRY_BACKOFF_* variables) applies.
 */
export const retryOptions: INodeProperties = {
	displayName: 'Retry',
	name: 'retry',
	type: 'collection',
	placeholder: 'Add Retry Option',
	default: {},
	description:
		"Retries of failed sends, read from the first item and used for every item of the run. When empty, the worker's policy applies.",
	options: [
		{
			displayName: 'Attempts',
			name: 'attempts',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100 },
			default: 3,
			description: 'Attempts per message, the first one included. Leave out for 3.',
		},
		{
			displayName: 'Backoff Type',
			name: 'backoffType',
			type: 'options',
			default: 'exponential',
			options: [
				{
					name: 'Exponential',
					value: 'exponential',
					description: 'Wait the delay, then twice as long, and so on',
				},
				{ name: 'Fixed', value: 'fixed', description: 'Wait the delay every time' },
			],
		},
		{
			displayName: 'Backoff Delay (Ms)',
			name: 'backoffDelayMs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 2000,
			description: 'First wait before a retry, in milliseconds',
		},
	],
};
