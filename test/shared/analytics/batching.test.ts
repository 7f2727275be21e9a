import type { AnalyticsManager, QueueEvent, SentEvent } from '../../../shared/analytics';
import { uniquePrefix } from '../../helpers/redisServer';
import { useAnalyticsHarness } from './harness';

const AT = '2025-04-01T10:00:00Z';
const AT_MS = Date.parse(AT);
/** UTC hour and day ids of `AT`, as the scripts store them. */
const AT_BUCKETS = '2025040110:20250401';
const DAY = { start: '2025-04-01', end: '2025-04-02' };

function job(id: string, campaignId = 'C-1'): QueueEvent {
	return {
		jobId: `acme:${id}`,
		instanceName: 'acme',
		phone: `346000${id.padStart(5, '0')}`,
		messageType: 'text',
		campaignId,
		timestamp: AT,
	};
}

function sent(id: string, messageId = `BAE-${id}`): SentEvent {
	return { ...job(id), timestamp: AT_MS, messageId, processingTimeMs: 150, attempts: 1 };
}

function receipt(messageId: string, status = 'DELIVERY_ACK'): Record<string, unknown> {
	return {
		event: 'messages.update',
		instance: 'acme',
		data: { keyId: messageId, remoteJid: '34600000001@s.whatsapp.net', fromMe: true, status },
		date_time: new Date().toISOString(),
		apikey: 'B6D711FCDE4D4FD5936544120E713976',
	};
}

async function failure(call: Promise<unknown>): Promise<unknown> {
	return await call.then(
		() => undefined,
		(error: unknown) => error,
	);
}

describe('AnalyticsManager batches', () => {
	const harness = useAnalyticsHarness();

	it('counts a duplicate send once', async () => {
		const manager = harness.manager();
		const [first, second] = await Promise.all([
			manager.recordSent(sent('1', 'BAE-FIRST')),
			manager.recordSent(sent('1', 'BAE-SECOND')),
		]);
		expect(first).toBe(true);
		expect(second).toBe(false);
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.queued).toBe(1);
	});

	it('counts repeated enqueues once', async () => {
		const manager = harness.manager();
		const counts = await Promise.all([
			manager.recordQueued([job('1'), job('2')]),
			manager.recordQueued([job('2'), job('1')]),
		]);
		expect(counts).toEqual([2, 0]);
		expect((await manager.getCampaignMetrics('C-1')).queued).toBe(2);
	});

	it('counts a receipt before its send', async () => {
		const manager = harness.manager();
		const [outcomes, isCounted] = await Promise.all([
			manager.handleEvolutionWebhook(receipt('BAE-1', 'READ')),
			manager.recordSent(sent('1')),
		]);
		expect(outcomes[0]).toMatchObject({ type: 'ignored', reason: 'unknown_message' });
		expect(isCounted).toBe(true);
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.delivered).toBe(1);
		expect(campaign.read).toBe(1);
	});

	it('counts a receipt after its send', async () => {
		const manager = harness.manager();
		const [, outcomes] = await Promise.all([
			manager.recordSent(sent('1')),
			manager.handleEvolutionWebhook(receipt('BAE-1')),
		]);
		expect(outcomes[0]).toMatchObject({ type: 'delivered', jobId: 'acme:1', campaignId: 'C-1' });
		const series = await manager.getMessageTimeSeries(1, { end: AT, metric: 'delivered' });
		expect(series[0].value).toBe(1);
	});

	it('counts receipts of one webhook once', async () => {
		const manager = harness.manager();
		await manager.recordSent(sent('1'));
		await manager.recordSent(sent('2'));
		const single = receipt('BAE-1');
		const data = single.data as Record<string, unknown>;
		const body = { ...single, data: [data, { ...data, keyId: 'BAE-2' }, data] };
		const outcomes = await manager.handleEvolutionWebhook(body);
		expect(outcomes.map((outcome) => outcome.type)).toEqual([
			'delivered',
			'delivered',
			'duplicate',
		]);
		expect((await manager.getCampaignMetrics('C-1')).delivered).toBe(2);
	});

	it('applies events in call order', async () => {
		const manager = harness.manager();
		const deadLetter = { ...job('1'), error: 'HTTP 503', reason: 'server_error', attempts: 3 };
		const [isSent, isDeadLettered] = await Promise.all([
			manager.recordSent(sent('1')),
			manager.recordDeadLettered(deadLetter),
			manager.recordDeadLettered({ ...deadLetter, jobId: 'acme:2' }),
			manager.recordSent(sent('2')),
		]);
		expect(isSent).toBe(true);
		expect(isDeadLettered).toBe(false);
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(2);
		expect(campaign.failed).toBe(0);
		expect(campaign.queued).toBe(2);
	});

	it('orders conversation events', async () => {
		const manager = harness.manager();
		const phone = '34600000001';
		const at = (seconds: number) => ({ timestamp: AT_MS + seconds * 1000 });
		await Promise.all([
			manager.trackConversationStarted(phone, 'inbound', at(0)),
			manager.trackHandoff(phone, 'asked for a person', at(10)),
			manager.trackHandoff(phone, 'asked again', at(20)),
			manager.trackConversationEnded(phone, 'handoff', at(30)),
			manager.trackConversationStarted(phone, 'outbound', at(40)),
		]);
		const conversations = await manager.getConversationMetrics(DAY);
		expect(conversations.started).toBe(2);
		expect(conversations.handoffs).toBe(1);
		expect(conversations.endedBy).toEqual({ completed: 0, timeout: 0, handoff: 1 });
	});

	it('measures a response in one batch', async () => {
		const manager = harness.manager();
		const phone = '34600000001';
		await Promise.all([
			manager.trackMessageSent(phone, 'text', { campaignId: 'C-1', timestamp: AT_MS }),
			manager.trackMessageReceived(phone, 'text', { timestamp: AT_MS + 45_000 }),
		]);
		const conversations = await manager.getConversationMetrics(DAY);
		expect(conversations.responses).toBe(1);
		expect(conversations.averageResponseTime).toBe(45);
		expect(conversations.contactsReplied).toBe(1);
	});

	it('splits calls into batches of batchSize', async () => {
		const manager = harness.manager({ batchSize: 2 });
		const inspector = harness.inspector();
		await manager.getMessageMetrics();
		await inspector.config('RESETSTAT');
		const results = await Promise.all(
			['1', '2', '3', '4', '5'].map((id) => manager.recordSent(sent(id))),
		);
		expect(results).toEqual([true, true, true, true, true]);
		// ioredis sends the script text with its first call, by hash afterwards.
		const stats = await inspector.info('commandstats');
		const scriptCalls = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+),/g)];
		expect(scriptCalls.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(3);
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(5);
	});

	it('writes pending events on close', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix, batchDelayMs: 1000 });
		await manager.getMessageMetrics();
		const call = manager.recordSent(sent('1'));
		await manager.close();
		await expect(call).resolves.toBe(true);
		const reader = harness.manager({ prefix });
		expect((await reader.getCampaignMetrics('C-1')).sent).toBe(1);
	});

	it('rejects every caller of a failed batch', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		await manager.getMessageMetrics();
		// A string where the hour bucket belongs fails the merged increments.
		await harness.inspector().set(`{${prefix}}:h:2025040110`, 'not a hash');
		const errors = await Promise.all([
			failure(manager.recordSent(sent('1'))),
			failure(manager.recordSent(sent('2'))),
		]);
		expect(errors[0]).toBeInstanceOf(Error);
		expect((errors[0] as Error).message).toMatch(/WRONGTYPE/);
		expect(errors[1]).toBe(errors[0]);
	});

	it('rejects only the failing event', async () => {
		const prefix = uniquePrefix();
		const manager = harness.manager({ prefix });
		await manager.getMessageMetrics();
		await harness.inspector().rpush(`{${prefix}}:m:acme:2`, 'not a state');
		const [first, second] = await Promise.all([
			manager.recordSent(sent('1')),
			failure(manager.recordSent(sent('2'))),
		]);
		expect(first).toBe(true);
		expect((second as Error).message).toMatch(/Recording an analytics event failed: .*WRONGTYPE/);
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(1);
	});
});

describe('AnalyticsManager state of earlier versions', () => {
	const harness = useAnalyticsHarness();

	async function manager(): Promise<{ manager: AnalyticsManager; prefix: string }> {
		const prefix = uniquePrefix();
		const created = harness.manager({ prefix });
		await created.getMessageMetrics();
		return { manager: created, prefix };
	}

	it('reads a message state hash', async () => {
		const { manager: target, prefix } = await manager();
		const client = harness.inspector();
		const key = `{${prefix}}:m:acme:1`;
		await client.hset(key, 'q', 1, 'c', 'C-1', 'p', '34600000001', 'n', 'acme');
		await client.expire(key, 3600);
		await client.hset(`{${prefix}}:m:acme:2`, 's', 1, 'q', 1, 'c', 'C-1');
		expect(await target.recordSent(sent('1'))).toBe(true);
		expect(await target.recordSent(sent('2'))).toBe(false);
		const campaign = await target.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.queued).toBe(0);
		expect(await client.type(key)).toBe('string');
	});

	it('reads a contact state hash', async () => {
		const { manager: target, prefix } = await manager();
		const client = harness.inspector();
		await target.trackMessageSent('34600000002', 'text', { campaignId: 'C-1', timestamp: AT_MS });
		await client.hset(
			`{${prefix}}:p:34600000001`,
			...['cs', AT_MS, 'la', AT_MS, 'cb', AT_BUCKETS],
			...['aw', AT_MS, 'ab', AT_BUCKETS, 'ac', 'C-1'],
		);
		await target.trackMessageReceived('34600000001', 'text', { timestamp: AT_MS + 60_000 });
		const conversations = await target.getConversationMetrics(DAY);
		expect(conversations.responses).toBe(1);
		expect(conversations.averageResponseTime).toBe(60);
		expect((await target.getCampaignMetrics('C-1')).responses).toBe(1);
	});
});
