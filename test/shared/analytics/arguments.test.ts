import {
	createAnalyticsManager,
	DEFAULT_ANALYTICS_DB,
	readAnalyticsEnv,
	type AnalyticsManager,
	type QueueEvent,
} from '../../../shared/analytics';
import { normalizePhone } from '../../../shared/analytics/arguments';
import { resolveAnalyticsOptions } from '../../../shared/analytics/config';
import { ConfigError, ValidationError } from '../../../shared/errors';

const event: QueueEvent = {
	jobId: 'acme:1',
	instanceName: 'acme',
	phone: '34600000001',
	messageType: 'text',
	campaignId: 'C-1',
};

/** Calls run before any connection, so these managers point at a port nothing listens on. */
function offlineManager(): AnalyticsManager {
	return createAnalyticsManager({ host: '127.0.0.1', port: 1 });
}

async function rejection(call: Promise<unknown>): Promise<ValidationError> {
	const error = await call.then(
		() => undefined,
		(reason: unknown) => reason,
	);
	expect(error).toBeInstanceOf(ValidationError);
	return error as ValidationError;
}

describe('AnalyticsManager arguments', () => {
	let manager: AnalyticsManager;

	beforeEach(() => {
		manager = offlineManager();
	});

	afterEach(async () => {
		await manager.close();
	});

	it('rejects an invalid phone', async () => {
		const error = await rejection(manager.trackMessageSent('abc', 'text'));
		expect(error.message).toMatch(
			/^phone: Invalid phone "abc"\. Pass digits with the country code/,
		);
	});

	it.each([
		['+34 600-000-001', '34600000001'],
		['34600000001@s.whatsapp.net', '34600000001'],
		['120363000000000000@g.us', '120363000000000000@g.us'],
	])('normalizes the phone %s', (input, expected) => {
		expect(normalizePhone(input)).toBe(expected);
	});

	it('rejects an unknown message type', async () => {
		const error = await rejection(manager.trackMessageSent('34600000001', 'fax' as never));
		expect(error.message).toMatch(/^type: Invalid type "fax"\. Use one of: text, image/);
	});

	it('rejects an unparsable timestamp', async () => {
		const error = await rejection(
			manager.trackMessageSent('34600000001', 'text', { timestamp: 'tomorrow 9am' }),
		);
		expect(error.issues[0].path).toBe('meta.timestamp');
	});

	it('rejects epoch seconds', async () => {
		const error = await rejection(
			manager.trackMessageSent('34600000001', 'text', { timestamp: 1_743_500_000 }),
		);
		expect(error.message).toMatch(/may be epoch seconds/);
	});

	it('rejects a far future timestamp', async () => {
		const future = Date.now() + 3 * 24 * 3_600_000;
		const error = await rejection(
			manager.trackMessageSent('34600000001', 'text', { timestamp: future }),
		);
		expect(error.message).toMatch(/more than a day in the future/);
	});

	it('rejects a negative conversion value', async () => {
		const error = await rejection(manager.trackConversion('34600000001', 'sale', -5));
		expect(error.issues[0].path).toBe('value');
	});

	it('rejects an unknown conversion type', async () => {
		const error = await rejection(manager.trackConversion('34600000001', 'refund' as never));
		expect(error.message).toMatch(/Use one of: lead, qualified_lead, appointment, sale/);
	});

	it('rejects an unknown end reason', async () => {
		const error = await rejection(
			manager.trackConversationEnded('34600000001', 'abandoned' as never),
		);
		expect(error.issues[0].path).toBe('reason');
	});

	it('rejects an unknown campaign event', async () => {
		const error = await rejection(manager.trackCampaign('C-1', '34600000001', 'clicked' as never));
		expect(error.issues[0].path).toBe('event');
	});

	it('rejects an empty campaign id', async () => {
		const error = await rejection(manager.getCampaignMetrics('  '));
		expect(error.message).toBe('campaignId: Missing campaignId. Pass a non-empty string.');
	});

	it('names every invalid batch event', async () => {
		const batch = [event, { ...event, phone: 'n/a' }, { ...event, jobId: '' }];
		const error = await rejection(manager.recordQueued(batch));
		expect(error.issues.map((issue) => issue.path)).toEqual(['[1].phone', '[2].jobId']);
	});

	it('requires the gateway message id', async () => {
		const sent = { ...event, processingTimeMs: 100, attempts: 1 } as never;
		const error = await rejection(manager.recordSent(sent));
		expect(error.issues[0].path).toBe('messageId');
	});

	it('rejects zero attempts', async () => {
		const sent = { ...event, messageId: 'BAE1', processingTimeMs: 100, attempts: 0 };
		const error = await rejection(manager.recordSent(sent));
		expect(error.message).toMatch(/^attempts: Invalid attempts 0\. Pass a whole number from 1/);
	});

	it('rejects a reversed range', async () => {
		const error = await rejection(
			manager.getMessageMetrics({ start: '2025-04-02', end: '2025-04-01' }),
		);
		expect(error.message).toMatch(/is before start/);
	});

	it('rejects an unknown report period', async () => {
		const error = await rejection(manager.generateReport('year' as never));
		expect(error.issues[0].path).toBe('period');
	});

	it('rejects an invalid report zone', async () => {
		const error = await rejection(manager.generateReport('day', { timeZone: 'Mars/Olympus' }));
		expect(error.message).toMatch(/Use an IANA time zone name/);
	});

	it('rejects more days than retained', async () => {
		const error = await rejection(manager.getMessageTimeSeries(91));
		expect(error.message).toMatch(/^days: Invalid days 91\. Pass a whole number from 1 to 90/);
	});

	it('rejects an unknown series metric', async () => {
		const error = await rejection(manager.getMessageTimeSeries(7, { metric: 'clicks' as never }));
		expect(error.issues[0].path).toBe('options.metric');
	});

	it('rejects zero cleanup days', async () => {
		const error = await rejection(manager.cleanup(0));
		expect(error.issues[0].path).toBe('days');
	});

	it('rejects an overlong intent', async () => {
		const meta = { intent: 'x'.repeat(65) };
		const error = await rejection(manager.trackMessageReceived('34600000001', 'text', meta));
		expect(error.issues[0].path).toBe('meta.intent');
	});
});

describe('createAnalyticsManager options', () => {
	it.each([
		[{ timeZone: 'Mars/Olympus' }, 'timeZone'],
		[{ costPerMessage: -1 }, 'costPerMessage'],
		[{ retentionDays: 0 }, 'retentionDays'],
		[{ retentionDays: 1.5 }, 'retentionDays'],
		[{ prefix: '{waa}' }, 'prefix'],
		[{ messageTtlSeconds: 10 }, 'messageTtlSeconds'],
	])('rejects %j', (options, option) => {
		expect(() => createAnalyticsManager(options)).toThrow(ConfigError);
		expect(() => createAnalyticsManager(options)).toThrow(expect.objectContaining({ option }));
	});

	it('names the value and the range', () => {
		expect(() => createAnalyticsManager({ retentionDays: 0 })).toThrow(
			'Invalid retentionDays 0. Use a whole number from 1 to 3650.',
		);
	});

	it('applies the documented defaults', () => {
		const options = resolveAnalyticsOptions({});
		expect(options.redis.db).toBe(DEFAULT_ANALYTICS_DB);
		expect(options).toMatchObject({
			prefix: 'waa',
			timeZone: 'UTC',
			costPerMessage: 0,
			retentionDays: 90,
			messageTtlSeconds: 7 * 24 * 3600,
			conversationTimeoutSeconds: 24 * 3600,
		});
	});
});

describe('readAnalyticsEnv', () => {
	it('reads the analytics variables', () => {
		const options = readAnalyticsEnv({
			REDIS_HOST: '127.0.0.1',
			REDIS_PORT: '6390',
			ANALYTICS_TIME_ZONE: 'Asia/Kolkata',
			ANALYTICS_COST_PER_MESSAGE: '0.0085',
			ANALYTICS_RETENTION_DAYS: '30',
			ANALYTICS_PREFIX: 'acme-analytics',
		});
		expect(options).toMatchObject({
			host: '127.0.0.1',
			port: 6390,
			db: 1,
			timeZone: 'Asia/Kolkata',
			costPerMessage: 0.0085,
			retentionDays: 30,
			prefix: 'acme-analytics',
		});
	});

	it('keeps database 1 despite URL', () => {
		expect(readAnalyticsEnv({ REDIS_URL: 'redis://127.0.0.1:6390/0' }).db).toBe(1);
	});

	it('reads REDIS_ANALYTICS_DB', () => {
		expect(readAnalyticsEnv({ REDIS_ANALYTICS_DB: '4' }).db).toBe(4);
	});

	it('rejects a malformed retention', () => {
		expect(() => readAnalyticsEnv({ ANALYTICS_RETENTION_DAYS: '30d' })).toThrow(
			'Invalid ANALYTICS_RETENTION_DAYS "30d". Use a whole number from 1 to 3650.',
		);
	});
});
