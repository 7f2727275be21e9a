import {
	NodeOperationError,
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type { AnalyticsManager, SeriesMetric, TimeRange } from '../../../shared';
import type { ItemOperation } from '../../common/itemRunner';
import { readOptionalText, readText, toInstant } from './parameters';

const RANGE_METRICS = ['campaign', 'conversation', 'conversion', 'message', 'performance'];

/** Counters a time series can show, with their labels; the shared API's `SERIES_METRICS`. */
const SERIES_OPTIONS: Array<{ name: string; value: SeriesMetric }> = [
	{ name: 'Cancelled', value: 'cancelled' },
	{ name: 'Conversations Started', value: 'conversationsStarted' },
	{ name: 'Conversions', value: 'conversions' },
	{ name: 'Cost', value: 'cost' },
	{ name: 'Delivered', value: 'delivered' },
	{ name: 'Failed', value: 'failed' },
	{ name: 'Handoffs', value: 'handoffs' },
	{ name: 'Queued', value: 'queued' },
	{ name: 'Read', value: 'read' },
	{ name: 'Received', value: 'received' },
	{ name: 'Responses', value: 'responses' },
	{ name: 'Retries', value: 'retries' },
	{ name: 'Revenue', value: 'revenue' },
	{ name: 'Sent', value: 'sent' },
];

const show = (...metrics: string[]) => ({ show: { metric: metrics } });

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { operation: ['get'] } },
	[
		{
			displayName: 'Metric',
			name: 'metric',
			type: 'options',
			default: 'report',
			options: [
				{
					name: 'Campaign',
					value: 'campaign',
					description: 'Counts, rates, cost and ROI of one campaign',
				},
				{
					name: 'Conversations',
					value: 'conversation',
					description: 'Conversations, responses, handoffs, intents',
				},
				{
					name: 'Conversions',
					value: 'conversion',
					description: 'Leads, appointments, sales and revenue',
				},
				{
					name: 'Messages',
					value: 'message',
					description: 'Queued, sent, delivered, read and failed, with rates',
				},
				{
					name: 'Performance',
					value: 'performance',
					description: 'Throughput, processing time and error rate',
				},
				{
					name: 'Report',
					value: 'report',
					description: 'Every section over a calendar day, week or month',
				},
				{
					name: 'Time Series',
					value: 'timeSeries',
					description: 'One counter per day or hour, one item per point',
				},
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
			displayName: 'Start',
			name: 'start',
			type: 'dateTime',
			default: '',
			displayOptions: show(...RANGE_METRICS),
			description:
				"Start of the range, included. Leave empty for the oldest kept data. A time without an offset is read in the workflow's time zone.",
		},
		{
			displayName: 'End',
			name: 'end',
			type: 'dateTime',
			default: '',
			displayOptions: show(...RANGE_METRICS),
			description: 'End of the range, excluded. Leave empty for now.',
		},
		{
			displayName: 'Period',
			name: 'period',
			type: 'options',
			default: 'day',
			displayOptions: show('report'),
			options: [
				{ name: 'Day', value: 'day' },
				{ name: 'Month', value: 'month' },
				{ name: 'Week', value: 'week', description: 'Monday to Sunday' },
			],
		},
		{
			displayName: 'Previous Period',
			name: 'previous',
			type: 'boolean',
			default: false,
			displayOptions: show('report'),
			description:
				'Whether to report the previous whole period, such as yesterday, instead of the current one so far',
		},
		{
			displayName: 'Top Conversations',
			name: 'topLimit',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 100 },
			default: 10,
			displayOptions: show('report'),
			description: 'Number of busiest contacts to list',
		},
		{
			displayName: 'Counter',
			name: 'seriesMetric',
			type: 'options',
			default: 'sent',
			displayOptions: show('timeSeries'),
			options: SERIES_OPTIONS,
		},
		{
			displayName: 'Days',
			name: 'days',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 366 },
			default: 7,
			displayOptions: show('timeSeries'),
			description: 'Number of days, ending today',
		},
		{
			displayName: 'Interval',
			name: 'interval',
			type: 'options',
			default: 'day',
			displayOptions: show('timeSeries'),
			options: [
				{ name: 'Day', value: 'day' },
				{ name: 'Hour', value: 'hour', description: 'One point per UTC hour' },
			],
		},
		{
			displayName: 'Campaign ID',
			name: 'seriesCampaignId',
			type: 'string',
			default: '',
			displayOptions: show('timeSeries'),
			description: 'Only this campaign. Leave empty for every message.',
		},
		{
			displayName: 'Time Zone',
			name: 'timeZone',
			type: 'string',
			default: '',
			placeholder: 'America/Sao_Paulo',
			displayOptions: show('report', 'timeSeries'),
			description:
				'IANA time zone of the days. Leave empty for the analytics time zone of the credential.',
		},
	],
);

type GetParams =
	| { metric: 'campaign'; campaignId: string; range: TimeRange }
	| { metric: 'conversation' | 'conversion' | 'message' | 'performance'; range: TimeRange }
	| {
			metric: 'report';
			period: 'day' | 'week' | 'month';
			previous: boolean;
			topLimit: number;
			timeZone?: string;
	  }
	| {
			metric: 'timeSeries';
			days: number;
			seriesMetric: SeriesMetric;
			interval: 'day' | 'hour';
			campaignId?: string;
			timeZone?: string;
	  };

function readRange(context: IExecuteFunctions, itemIndex: number): TimeRange {
	const range: TimeRange = {};
	const start = toInstant(
		context,
		context.getNodeParameter('start', itemIndex, ''),
		'Start',
		itemIndex,
	);
	const end = toInstant(context, context.getNodeParameter('end', itemIndex, ''), 'End', itemIndex);
	if (start !== undefined) {
		range.start = start;
	}
	if (end !== undefined) {
		range.end = end;
	}
	return range;
}

function readWholeNumber(
	context: IExecuteFunctions,
	name: string,
	label: string,
	itemIndex: number,
	range: { min: number; max: number; fallback: number },
): number {
	const raw = context.getNodeParameter(name, itemIndex, range.fallback);
	const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (
		typeof value !== 'number' ||
		!Number.isInteger(value) ||
		value < range.min ||
		value > range.max
	) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(raw)}.`, {
			itemIndex,
			description: `Use a whole number from ${range.min} to ${range.max}.`,
		});
	}
	return value;
}

function readParams(context: IExecuteFunctions, itemIndex: number): GetParams {
	const metric = context.getNodeParameter('metric', itemIndex) as GetParams['metric'];
	switch (metric) {
		case 'campaign':
			return {
				metric,
				campaignId: readText(context, 'campaignId', 'Campaign ID', itemIndex),
				range: readRange(context, itemIndex),
			};
		case 'report':
			return {
				metric,
				period: context.getNodeParameter('period', itemIndex) as 'day' | 'week' | 'month',
				previous: context.getNodeParameter('previous', itemIndex, false) === true,
				topLimit: readWholeNumber(context, 'topLimit', 'Top Conversations', itemIndex, {
					min: 0,
					max: 100,
					fallback: 10,
				}),
				timeZone: readOptionalText(context, 'timeZone', itemIndex),
			};
		case 'timeSeries':
			return {
				metric,
				days: readWholeNumber(context, 'days', 'Days', itemIndex, {
					min: 1,
					max: 366,
					fallback: 7,
				}),
				seriesMetric: context.getNodeParameter('seriesMetric', itemIndex) as SeriesMetric,
				interval: context.getNodeParameter('interval', itemIndex) === 'hour' ? 'hour' : 'day',
				campaignId: readOptionalText(context, 'seriesCampaignId', itemIndex),
				timeZone: readOptionalText(context, 'timeZone', itemIndex),
			};
		default:
			return { metric, range: readRange(context, itemIndex) };
	}
}

async function read(
	analytics: AnalyticsManager,
	params: GetParams,
): Promise<IDataObject | IDataObject[]> {
	switch (params.metric) {
		case 'campaign':
			return { ...(await analytics.getCampaignMetrics(params.campaignId, params.range)) };
		case 'conversation':
			return { ...(await analytics.getConversationMetrics(params.range)) };
		case 'conversion':
			return { ...(await analytics.getConversionMetrics(params.range)) };
		case 'message':
			return { ...(await analytics.getMessageMetrics(params.range)) };
		case 'performance':
			return { ...(await analytics.getPerformanceMetrics(params.range)) };
		case 'report': {
			const report = await analytics.generateReport(params.period, {
				previous: params.previous,
				topLimit: params.topLimit,
				timeZone: params.timeZone,
			});
			return report as unknown as IDataObject;
		}
		case 'timeSeries': {
			const points = await analytics.getMessageTimeSeries(params.days, {
				metric: params.seriesMetric,
				interval: params.interval,
				campaignId: params.campaignId,
				timeZone: params.timeZone,
			});
			return points.map((point) => ({ metric: params.seriesMetric, ...point }));
		}
	}
}

/** Reads metrics, a report or a time series once per item. */
export const operation: ItemOperation<AnalyticsManager, GetParams> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): GetParams {
		return readParams(this, itemIndex);
	},

	async execute(analytics, params) {
		return await read(analytics, params);
	},
};
