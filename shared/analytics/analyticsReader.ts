/**
 * The read side of the analytics manager: metrics over a range, campaign
 * figures, reports and time series. Each `prepare*` method validates the
 * caller's arguments without touching Redis, so bad input fails before any
 * connection is made. The matching read method then queries Redis.
 */

import {
	checkChoice,
	checkId,
	checkMeta,
	checkOptionalId,
	checkWholeNumber,
	checkZone,
	parseMoment,
	type TimeRange,
} from './arguments';
import {
	dayStartsEndingAt,
	formatInZone,
	HOUR_MS,
	hourIdAt,
	hourStartsBetween,
	nextDayStartMs,
	periodRange,
	type MillisRange,
	type ReportPeriod,
} from './buckets';
import type { ResolvedAnalyticsOptions } from './config';
import { fromMicros } from './counters';
import type { Queries } from './queries';
import {
	MONEY_METRICS,
	SERIES_FIELDS,
	toCampaignMetrics,
	toConversationMetrics,
	toConversionMetrics,
	toMessageMetrics,
	toPerformanceMetrics,
} from './reports';
import {
	SERIES_METRICS,
	type AnalyticsReport,
	type CampaignMetrics,
	type ConversationMetrics,
	type ConversionMetrics,
	type MessageMetrics,
	type PerformanceMetrics,
	type ReportOptions,
	type SeriesMetric,
	type TimeSeriesOptions,
	type TimeSeriesPoint,
} from './types';

const REPORT_PERIODS: readonly ReportPeriod[] = ['day', 'week', 'month'];
const DEFAULT_TOP_LIMIT = 10;
const MAX_TOP_LIMIT = 100;

/** A validated report request. */
export interface ReportRequest {
	period: ReportPeriod;
	timeZone: string;
	range: MillisRange;
	topLimit: number;
}

/** A validated time-series request. */
export interface SeriesRequest {
	metric: SeriesMetric;
	interval: 'day' | 'hour';
	timeZone: string;
	campaignId: string;
	/** Start of each point, epoch ms. */
	pointStarts: number[];
}

/** Reads metrics through `Queries` and shapes them. */
export class AnalyticsReader {
	constructor(
		private readonly queries: Queries,
		private readonly options: ResolvedAnalyticsOptions,
		private readonly now: () => number,
	) {}

	/** Validates a range; a missing start means all retained data, a missing end now. */
	prepareRange(range: TimeRange | undefined): MillisRange {
		return this.queries.parseRange(range);
	}

	async messageMetrics(range: MillisRange): Promise<MessageMetrics> {
		return toMessageMetrics((await this.queries.sumRange(range)).counters);
	}

	async conversationMetrics(range: MillisRange): Promise<ConversationMetrics> {
		const [{ counters }, contacts, active] = await Promise.all([
			this.queries.sumRange(range),
			this.queries.contactCounts(range),
			this.queries.activeConversations(),
		]);
		return toConversationMetrics(counters, { ...contacts, active });
	}

	async conversionMetrics(range: MillisRange): Promise<ConversionMetrics> {
		return toConversionMetrics((await this.queries.sumRange(range)).counters);
	}

	async performanceMetrics(range: MillisRange): Promise<PerformanceMetrics> {
		const { counters } = await this.queries.sumRange(range);
		return toPerformanceMetrics(counters, this.hoursSoFar(range));
	}

	/** Validates the arguments of `getCampaignMetrics`. */
	prepareCampaign(
		campaignId: unknown,
		range: TimeRange | undefined,
	): { campaignId: string; range?: MillisRange } {
		const id = checkId(campaignId, 'campaignId');
		return { campaignId: id, range: range === undefined ? undefined : this.prepareRange(range) };
	}

	/** Returns campaign figures over all retained days, or over the buckets in `range`. */
	async campaignMetrics(request: {
		campaignId: string;
		range?: MillisRange;
	}): Promise<CampaignMetrics> {
		const counters = request.range
			? (await this.queries.sumRange(request.range, request.campaignId)).counters
			: await this.queries.campaignTotals(request.campaignId);
		return toCampaignMetrics(request.campaignId, counters);
	}

	/** Validates the arguments of `generateReport`. */
	prepareReport(period: unknown, options: ReportOptions | undefined): ReportRequest {
		const checkedPeriod = checkChoice(period, REPORT_PERIODS, 'period');
		const fields = checkMeta(options, 'options');
		const timeZone =
			fields.timeZone === undefined
				? this.options.timeZone
				: checkZone(fields.timeZone, 'options.timeZone');
		const atMs =
			fields.at === undefined ? this.now() : parseMoment(fields.at, 'options.at', timeZone);
		const isNow = fields.at === undefined;
		return {
			period: checkedPeriod,
			timeZone,
			range: periodRange(checkedPeriod, timeZone, atMs, fields.previous === true, isNow),
			topLimit: checkWholeNumber(
				fields.topLimit ?? DEFAULT_TOP_LIMIT,
				'options.topLimit',
				0,
				MAX_TOP_LIMIT,
			),
		};
	}

	/** Builds a report over one calendar period. */
	async report(request: ReportRequest): Promise<AnalyticsReport> {
		const { range, timeZone } = request;
		const [{ counters, plan }, contacts, active, top] = await Promise.all([
			this.queries.sumRange(range),
			this.queries.contactCounts(range),
			this.queries.activeConversations(),
			this.queries.topContacts(range, request.topLimit),
		]);
		const messages = toMessageMetrics(counters);
		const conversations = toConversationMetrics(counters, { ...contacts, active });
		const conversions = toConversionMetrics(counters);
		const performance = toPerformanceMetrics(counters, this.hoursSoFar(range));
		return {
			period: request.period,
			timeZone,
			start: formatInZone(range.startMs, timeZone),
			end: formatInZone(range.endMs, timeZone),
			coverage: {
				start: formatInZone(plan.coveredStartMs, timeZone),
				end: formatInZone(this.coveredEndMs(range, plan.coveredEndMs), timeZone),
				isExact: plan.isExact,
			},
			generatedAt: formatInZone(this.now(), timeZone),
			messages,
			conversations,
			conversions,
			performance,
			topConversations: top,
			anomalies: [
				...messages.anomalies,
				...conversations.anomalies,
				...conversions.anomalies,
				...performance.anomalies,
			],
		};
	}

	/** Validates the arguments of `getMessageTimeSeries`. */
	prepareSeries(days: unknown, options: TimeSeriesOptions | undefined): SeriesRequest {
		const count = checkWholeNumber(days, 'days', 1, this.options.retentionDays);
		const fields = checkMeta(options, 'options');
		const metric =
			fields.metric === undefined
				? 'sent'
				: checkChoice(fields.metric, SERIES_METRICS, 'options.metric');
		const interval =
			fields.interval === undefined
				? 'day'
				: checkChoice(fields.interval, ['day', 'hour'] as const, 'options.interval');
		const timeZone =
			fields.timeZone === undefined
				? this.options.timeZone
				: checkZone(fields.timeZone, 'options.timeZone');
		const endMs =
			fields.end === undefined ? this.now() : parseMoment(fields.end, 'options.end', timeZone);
		const campaignId = checkOptionalId(fields.campaignId, 'options.campaignId');

		const dayStarts = dayStartsEndingAt(count, timeZone, endMs);
		if (interval === 'day') {
			return { metric, interval, timeZone, campaignId, pointStarts: dayStarts };
		}
		const lastDayEnd = nextDayStartMs(dayStarts[dayStarts.length - 1], timeZone);
		const lastHour = Math.min(lastDayEnd - 1, Math.max(this.now(), dayStarts[0]));
		return {
			metric,
			interval,
			timeZone,
			campaignId,
			pointStarts: hourStartsBetween(dayStarts[0], lastHour),
		};
	}

	/** Returns one point per bucket of the request, zeros included. */
	async timeSeries(request: SeriesRequest): Promise<TimeSeriesPoint[]> {
		const { pointStarts, timeZone } = request;
		const ranges = pointStarts.map((startMs, i) => ({
			startMs,
			endMs:
				i + 1 < pointStarts.length
					? pointStarts[i + 1]
					: request.interval === 'day'
						? nextDayStartMs(startMs, timeZone)
						: startMs + HOUR_MS,
		}));
		const field = SERIES_FIELDS[request.metric];
		const values =
			request.interval === 'hour'
				? await this.queries.sumFieldPerHour(
						ranges.map((range) => hourIdAt(range.startMs)),
						field,
						request.campaignId,
					)
				: await this.queries.sumFieldPerRange(ranges, field, request.campaignId);
		const isMoney = MONEY_METRICS.has(request.metric);
		return ranges.map((range, i) => ({
			timestamp: formatInZone(range.startMs, timeZone),
			value: isMoney ? fromMicros(values[i]) : values[i],
		}));
	}

	/** Returns the end of the covered time, which is now for a range that runs to now. */
	private coveredEndMs(range: MillisRange, bucketsEndMs: number): number {
		return range.endMs >= this.now() ? Math.min(bucketsEndMs, range.endMs) : bucketsEndMs;
	}

	/** Hours from the range's start to its end or now, whichever is first. */
	private hoursSoFar(range: MillisRange): number {
		return (Math.min(range.endMs, this.now()) - range.startMs) / HOUR_MS;
	}
}
