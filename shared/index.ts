/**
 * The public API of the package for code outside n8n, such as a script or a
 * web route, and the one entry that the n8n nodes and the worker import.
 */

export { createQueueManager, getQueueManager, QueueManager } from './queue';
export type {
	CampaignCancelResult,
	CancelResult,
	DeadLetterEntry,
	DeadLetterReason,
	BulkEntry,
	EffectiveRateLimit,
	EnqueueOptions,
	EnqueuedMessage,
	MessageState,
	MessageStatus,
	QueueCounts,
	QueueMetrics,
	ScheduleOptions,
} from './queue';
export { DeliveryWorker } from './delivery/deliveryWorker';
export type { DeliveryWorkerOptions, DeliveryWorkerStatus } from './delivery/deliveryWorker';
export type {
	AttemptFailedEvent,
	DeadLetteredEvent,
	DeliveryObserver,
	MessageEvent,
	SentEvent,
} from './delivery/observer';
export { DEFAULTS, resolveQueueConfig, toBullPriority } from './config';
export type {
	BackoffConfig,
	QueueManagerConfig,
	RateLimitConfig,
	ResolvedQueueConfig,
	RetryConfig,
	TextPolicy,
} from './config';
export {
	ConfigError,
	GatewayError,
	JobNotFoundError,
	QueueClosedError,
	RedisUnavailableError,
	ValidationError,
} from './errors';
export type { GatewayErrorKind, ValidationIssue } from './errors';
export { describeError, maskPhone, silentLogger } from './logger';
export type { Logger, LogMetadata } from './logger';
export { MESSAGE_TYPES, PRIORITIES } from './message';
export {
	normalizeRecipient,
	parseScheduleTime,
	validateMessage,
	validateMessages,
	MAX_TEXT_CHARACTERS,
	MAX_CAPTION_CHARACTERS,
	MAX_BASE64_BYTES,
} from './validation';
export type {
	ContactCard,
	ContactContent,
	LocationContent,
	MediaContent,
	MessageContent,
	MessageMetadata,
	MessageType,
	NormalizedMessage,
	Priority,
	TextContent,
	WhatsAppMessage,
} from './message';
export {
	connectRedis,
	createRedisClient,
	describeRedisTarget,
	resolveRedisConfig,
	toRedisUnavailableError,
} from './redis/connection';
export type {
	ConnectionProfile,
	RedisConnectionConfig,
	RedisTlsOptions,
	ResolvedRedisConfig,
} from './redis/connection';
export { checkInstanceName, parsePublicJobId, toPublicJobId } from './redis/keys';
export {
	AnalyticsManager,
	analyticsObserver,
	createAnalyticsManager,
	getAnalyticsManager,
	parseEvolutionWebhook,
} from './analytics';
export type {
	AnalyticsManagerOptions,
	AnalyticsReport,
	CampaignEvent,
	ConversationDirection,
	ConversationEndReason,
	ConversionType,
	InboundMessageType,
	SeriesMetric,
	CampaignMetrics,
	ConversationMetrics,
	ConversionMetrics,
	MessageMetrics,
	PerformanceMetrics,
	ReportPeriod,
	TimeRange,
	TimeSeriesPoint,
	WebhookOutcome,
} from './analytics';
export {
	DEFAULT_EVENT_MAX_LENGTH,
	EVENT_TYPES,
	EventGroupReader,
	EventPublisher,
	EventTailReader,
	eventStreamKey,
} from './events/eventStream';
export type { EventType, StoredEvent, TriggerEvent } from './events/eventStream';
export type { GatewayClient, SendOptions, SendResult } from './gateways/types';
export { EvolutionClient } from './gateways/evolution/client';
export type { EvolutionClientOptions } from './gateways/evolution/client';
