/**
 * Parameters of the WhatsApp Queue Trigger: the events to listen for, the
 * filters, and the thresholds of the alert events.
 */

import type { INodeProperties } from 'n8n-workflow';

/** Alert events, checked on an interval instead of read from a stream. */
export const ALERT_EVENTS = ['alert.backlog', 'alert.errorRate'] as const;

/** An alert event. */
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const properties: INodeProperties[] = [
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		required: true,
		default: ['message.dead_lettered'],
		description: 'The events that start the workflow',
		options: [
			{
				name: 'Alert: Backlog Above Threshold',
				value: 'alert.backlog',
				description: 'Waiting messages rose above the threshold. Fires once per crossing.',
			},
			{
				name: 'Alert: Error Rate Above Threshold',
				value: 'alert.errorRate',
				description:
					'The share of dead-lettered messages rose above the threshold. Fires once per crossing.',
			},
			{
				name: 'Contact Replied',
				value: 'message.replied',
				description: 'A contact replied to a message (from gateway webhooks)',
			},
			{
				name: 'Instance Paused',
				value: 'instance.paused',
				description:
					'The worker paused an instance, such as after the gateway rejected its API key',
			},
			{
				name: 'Message Dead-Lettered',
				value: 'message.dead_lettered',
				description: 'A message failed for good and went to the dead-letter queue',
			},
			{
				name: 'Message Delivered',
				value: 'message.delivered',
				description: 'A delivery receipt arrived (from gateway webhooks)',
			},
			{
				name: 'Message Read',
				value: 'message.read',
				description: 'A read receipt arrived (from gateway webhooks)',
			},
			{
				name: 'Message Retrying',
				value: 'message.retrying',
				description: 'An attempt failed and the message will be tried again',
			},
			{
				name: 'Message Sent',
				value: 'message.sent',
				description: 'The gateway accepted a message',
			},
			{
				name: 'Queue Drained',
				value: 'queue.drained',
				description: 'An instance sent its last queued message',
			},
		],
	},
	{
		displayName: 'Instance Names',
		name: 'instanceNames',
		type: 'string',
		default: '',
		placeholder: 'sales, support',
		description: 'Comma-separated instances to listen to. Leave empty for every instance.',
	},
	{
		displayName: 'Campaign ID',
		name: 'campaignId',
		type: 'string',
		default: '',
		description:
			'Only message events of this campaign. Leave empty for every campaign. Alerts ignore it.',
	},
	{
		displayName: 'Backlog Threshold',
		name: 'backlogThreshold',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1000,
		displayOptions: { show: { events: ['alert.backlog'] } },
		description: 'Fire when more messages than this wait to be sent, over the instances above',
	},
	{
		displayName: 'Error Rate Threshold (%)',
		name: 'errorRateThreshold',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100, numberPrecision: 2 },
		default: 10,
		displayOptions: { show: { events: ['alert.errorRate'] } },
		description:
			'Fire when dead-lettered messages exceed this share of finished messages (sent plus dead-lettered) in the window',
	},
	{
		displayName: 'Error Rate Window (Minutes)',
		name: 'errorRateWindowMinutes',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1440 },
		default: 15,
		displayOptions: { show: { events: ['alert.errorRate'] } },
	},
	{
		displayName: 'Minimum Finished Messages',
		name: 'errorRateMinMessages',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 20,
		displayOptions: { show: { events: ['alert.errorRate'] } },
		description: 'Fire only when at least this many messages finished in the window',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Alert Check Interval (Seconds)',
				name: 'checkIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 86400 },
				default: 60,
				description: 'How often the alert thresholds are checked',
			},
			{
				displayName: 'Reclaim After (Seconds)',
				name: 'reclaimAfterSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 86400 },
				default: 60,
				description:
					'Events that another n8n process took but did not confirm, because it stopped, are started here after this long',
			},
		],
	},
];
