import type { AnalyticsManager, QueueEvent } from '../../../shared/analytics';
import { ValidationError } from '../../../shared/errors';
import { useAnalyticsHarness } from './harness';

const API_KEY = 'B6D711FCDE4D4FD5936544120E713976';
const MESSAGE_ID = 'BAE58DA6CBC941BC';

const message: QueueEvent = {
	jobId: 'acme:101',
	instanceName: 'acme',
	phone: '34600000001',
	messageType: 'text',
	campaignId: 'C-1',
};

function envelope(event: string, data: unknown): Record<string, unknown> {
	return {
		event,
		instance: 'acme',
		data,
		destination: 'http://127.0.0.1:5678/webhook/evolution',
		date_time: new Date().toISOString(),
		sender: '34699999999@s.whatsapp.net',
		server_url: 'http://127.0.0.1:8080',
		apikey: API_KEY,
	};
}

function receipt(status: string, keyId = MESSAGE_ID): Record<string, unknown> {
	return envelope('messages.update', {
		keyId,
		remoteJid: '34600000001@s.whatsapp.net',
		fromMe: true,
		status,
		instanceId: '0b5a1c53-2f2e-4a0c-9a55-5a2e6f4f1c11',
	});
}

function inbound(id: string, sentAtMs: number, fromMe = false): Record<string, unknown> {
	return envelope('messages.upsert', {
		key: { remoteJid: '34600000001@s.whatsapp.net', fromMe, id },
		pushName: 'Ana',
		message: { conversation: 'Sounds good' },
		messageType: 'conversation',
		messageTimestamp: Math.floor(sentAtMs / 1000),
		source: 'ios',
	});
}

/** Evolution sends `messageTimestamp` in whole seconds. */
function wholeSeconds(ms: number): number {
	return Math.floor(ms / 1000) * 1000;
}

async function sendMessage(manager: AnalyticsManager, atMs = Date.now()): Promise<void> {
	await manager.recordQueued([{ ...message, timestamp: atMs }]);
	await manager.recordSent({
		...message,
		timestamp: atMs,
		messageId: MESSAGE_ID,
		processingTimeMs: 180,
		attempts: 1,
	});
}

describe('AnalyticsManager.handleEvolutionWebhook', () => {
	const harness = useAnalyticsHarness();

	it('adds nothing for SERVER_ACK', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		const [outcome] = await manager.handleEvolutionWebhook(receipt('SERVER_ACK'));
		expect(outcome).toMatchObject({ type: 'duplicate', status: 'SERVER_ACK', jobId: 'acme:101' });
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(1);
	});

	it('counts DELIVERY_ACK as delivered', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		const [outcome] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(outcome).toEqual({
			type: 'delivered',
			event: 'messages.update',
			instanceName: 'acme',
			messageId: MESSAGE_ID,
			phone: '34600000001',
			status: 'DELIVERY_ACK',
			jobId: 'acme:101',
			campaignId: 'C-1',
		});
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.delivered).toBe(1);
		expect(campaign.deliveryRate).toBe(100);
	});

	it('counts a repeated receipt once', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		const [outcome] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(outcome.type).toBe('duplicate');
		expect((await manager.getCampaignMetrics('C-1')).delivered).toBe(1);
	});

	it('counts READ as delivered and read', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		const [outcome] = await manager.handleEvolutionWebhook(receipt('READ'));
		expect(outcome.type).toBe('read');
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.delivered).toBe(1);
		expect(campaign.read).toBe(1);
	});

	it('counts PLAYED as read', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		const [outcome] = await manager.handleEvolutionWebhook(receipt('PLAYED'));
		expect(outcome.type).toBe('read');
		expect((await manager.getCampaignMetrics('C-1')).read).toBe(1);
	});

	it('never moves status backwards', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		await manager.handleEvolutionWebhook(receipt('READ'));
		const [outcome] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(outcome.type).toBe('duplicate');
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.delivered).toBe(1);
		expect(campaign.read).toBe(1);
	});

	it('counts delivery in the send bucket', async () => {
		const manager = harness.manager();
		const sentAt = Date.now() - 2 * 24 * 3_600_000;
		await sendMessage(manager, sentAt);
		await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		const series = await manager.getMessageTimeSeries(3, { metric: 'delivered' });
		expect(series.map((point) => point.value)).toEqual([1, 0, 0]);
	});

	it('counts split text parts once', async () => {
		const manager = harness.manager();
		await manager.recordSent({
			...message,
			messageId: MESSAGE_ID,
			messageIds: [MESSAGE_ID, 'BAE5PART00000002'],
			processingTimeMs: 300,
			attempts: 1,
		});
		const [read] = await manager.handleEvolutionWebhook(receipt('READ', 'BAE5PART00000002'));
		expect(read).toMatchObject({ type: 'read', jobId: 'acme:101' });
		const [delivered] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(delivered.type).toBe('duplicate');
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.read).toBe(1);
	});

	it('ignores an unknown message id', async () => {
		const manager = harness.manager();
		await sendMessage(manager);
		const [outcome] = await manager.handleEvolutionWebhook(receipt('READ', 'BAE5UNKNOWN00001'));
		expect(outcome).toMatchObject({ type: 'ignored', reason: 'unknown_message' });
		expect((await manager.getCampaignMetrics('C-1')).read).toBe(0);
	});

	it('counts receipt arriving before send', async () => {
		const manager = harness.manager();
		const [early] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(early).toMatchObject({ type: 'ignored', reason: 'unknown_message' });
		await sendMessage(manager);
		expect((await manager.getCampaignMetrics('C-1')).delivered).toBe(1);
		const [late] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(late.type).toBe('duplicate');
	});

	it('ignores a receipt for expired state', async () => {
		const manager = harness.manager({ prefix: 'expiry' });
		await sendMessage(manager);
		await harness.inspector().del('{expiry}:m:acme:101');
		const [outcome] = await manager.handleEvolutionWebhook(receipt('READ'));
		expect(outcome).toMatchObject({ type: 'ignored', reason: 'expired_message' });
	});

	it('counts reply with response time', async () => {
		const manager = harness.manager();
		const sentAt = wholeSeconds(Date.now() - 300_000);
		await sendMessage(manager, sentAt);
		const [outcome] = await manager.handleEvolutionWebhook(inbound('3EB0A1', sentAt + 90_000));
		expect(outcome).toMatchObject({ type: 'reply', campaignId: 'C-1', responseTimeSeconds: 90 });

		const conversations = await manager.getConversationMetrics();
		expect(conversations.responses).toBe(1);
		expect(conversations.averageResponseTime).toBe(90);
		expect(conversations.responseRate).toBe(100);
		expect((await manager.getCampaignMetrics('C-1')).responses).toBe(1);
		expect((await manager.getMessageMetrics()).received).toBe(1);
	});

	it('counts a retried inbound webhook once', async () => {
		const manager = harness.manager();
		await manager.handleEvolutionWebhook(inbound('3EB0A2', Date.now()));
		const [outcome] = await manager.handleEvolutionWebhook(inbound('3EB0A2', Date.now()));
		expect(outcome.type).toBe('duplicate');
		expect((await manager.getMessageMetrics()).received).toBe(1);
	});

	it('counts only the first reply as a response', async () => {
		const manager = harness.manager();
		const sentAt = wholeSeconds(Date.now() - 300_000);
		await sendMessage(manager, sentAt);
		await manager.handleEvolutionWebhook(inbound('3EB0A3', sentAt + 60_000));
		const [second] = await manager.handleEvolutionWebhook(inbound('3EB0A4', sentAt + 120_000));
		expect(second.responseTimeSeconds).toBeUndefined();
		expect((await manager.getCampaignMetrics('C-1')).responses).toBe(1);
	});

	it('ignores messages sent from the phone', async () => {
		const manager = harness.manager();
		const [outcome] = await manager.handleEvolutionWebhook(inbound('3EB0A5', Date.now(), true));
		expect(outcome).toMatchObject({ type: 'ignored', reason: 'from_me' });
		expect((await manager.getMessageMetrics()).received).toBe(0);
	});

	it('ignores other events', async () => {
		const manager = harness.manager();
		const body = envelope('connection.update', {
			instance: 'acme',
			state: 'open',
			statusReason: 200,
		});
		const [outcome] = await manager.handleEvolutionWebhook(body);
		expect(outcome).toMatchObject({ type: 'ignored', reason: 'other_event' });
	});

	it('rejects a body without event', async () => {
		const manager = harness.manager();
		await expect(manager.handleEvolutionWebhook({ data: {} })).rejects.toThrow(ValidationError);
	});

	it('never stores or returns the apikey', async () => {
		const manager = harness.manager({ prefix: 'secrets' });
		await sendMessage(manager);
		const outcomes = [
			...(await manager.handleEvolutionWebhook(receipt('READ'))),
			...(await manager.handleEvolutionWebhook(inbound('3EB0A6', Date.now()))),
		];
		expect(JSON.stringify(outcomes)).not.toContain(API_KEY);
		const stored = await dumpPrefix(harness.inspector(), '{secrets}:*');
		expect(stored).not.toContain(API_KEY);
	});
});

describe('AnalyticsManager manual receipts', () => {
	const harness = useAnalyticsHarness();

	it('counts delivery once per id', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', {
			messageId: 'wamid.A1',
			campaignId: 'C-1',
		});
		await manager.trackMessageDelivered('34600000001', 'wamid.A1');
		await manager.trackMessageDelivered('34600000001', 'wamid.A1');
		await manager.trackMessageRead('34600000001', 'wamid.A1');
		await manager.trackMessageRead('34600000001', 'wamid.A1');
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.delivered).toBe(1);
		expect(campaign.read).toBe(1);
	});

	it('counts a send tracked twice once', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', { messageId: 'wamid.A2' });
		await manager.trackMessageSent('34600000001', 'text', { messageId: 'wamid.A2' });
		expect((await manager.getMessageMetrics()).sent).toBe(1);
	});

	it('counts read of untracked message', async () => {
		const manager = harness.manager();
		await manager.trackMessageRead('34600000001', 'wamid.A3', {
			timestamp: '2025-04-01T10:00:00Z',
		});
		const metrics = await manager.getMessageMetrics({ start: '2025-04-01', end: '2025-04-02' });
		expect(metrics.delivered).toBe(1);
		expect(metrics.read).toBe(1);
	});

	it('links manual sends to webhooks', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', { messageId: MESSAGE_ID });
		const [outcome] = await manager.handleEvolutionWebhook(receipt('DELIVERY_ACK'));
		expect(outcome.type).toBe('delivered');
	});
});

/** Returns every key and value under `pattern`, read with SCAN and MATCH on the test's own prefix. */
async function dumpPrefix(client: import('ioredis').Redis, pattern: string): Promise<string> {
	const parts: string[] = [];
	let cursor = '0';
	do {
		const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
		cursor = next;
		for (const key of keys) {
			const type = await client.type(key);
			parts.push(key);
			if (type === 'hash') {
				parts.push(JSON.stringify(await client.hgetall(key)));
			} else if (type === 'string') {
				parts.push(String(await client.get(key)));
			} else if (type === 'set') {
				parts.push(JSON.stringify(await client.smembers(key)));
			} else if (type === 'zset') {
				parts.push(JSON.stringify(await client.zrange(key, 0, -1)));
			}
		}
	} while (cursor !== '0');
	return parts.join('\n');
}
