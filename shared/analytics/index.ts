/**
 * WhatsApp analytics: per-campaign sent, delivered and read rates,
 * conversations, conversions and reports, kept in Redis time buckets.
 */

export { AnalyticsManager, createAnalyticsManager, getAnalyticsManager } from './analyticsManager';
export type { TimeRange, TimestampInput } from './arguments';
export type { ReportPeriod } from './buckets';
export type { CleanupResult } from './cleanup';
export {
	DEFAULT_ANALYTICS_DB,
	DEFAULT_ANALYTICS_PREFIX,
	DEFAULT_CONVERSATION_TIMEOUT_SECONDS,
	DEFAULT_MESSAGE_TTL_SECONDS,
	DEFAULT_RETENTION_DAYS,
	readAnalyticsEnv,
	type AnalyticsManagerOptions,
} from './config';
export { parseEvolutionWebhook, type ParsedWebhookEvent } from './evolutionWebhook';
export { AnalyticsKeys } from './keys';
export * from './types';
export { analyticsObserver } from './observer';
