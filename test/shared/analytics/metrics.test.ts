import type { AnalyticsManager } from '../../../shared/analytics';
import { useAnalyticsHarness } from './harness';

const APRIL = { start: '2025-04-01T00:00:00Z', end: '2025-04-08T00:00:00Z' };
const HOUR_MS = 3_600_000;

/** Sends one message of campaign C-1 on a day, and optionally its delivery. */
async function sendOn(
	manager: AnalyticsManager,
	day: string,
	id: string,
	options: { delivered?: boolean; campaignId?: string } = {},
): Promise<void> {
	const timestamp = `${day}T10:00:00Z`;
	const messageId = `wamid.${id}`;
	const campaignId = options.campaignId ?? 'C-1';
	await manager.trackMessageSent(`3460000${id.padStart(4, '0')}`, 'text', {
		messageId,
		campaignId,
		timestamp,
	});
	if (options.delivered) {
		await manager.trackMessageDelivered(`3460000${id.padStart(4, '0')}`, messageId, { timestamp });
	}
}

describe('AnalyticsManager rates', () => {
	const harness = useAnalyticsHarness();

	it('returns null rates without data', async () => {
		const manager = harness.manager();
		const metrics = await manager.getMessageMetrics(APRIL);
		expect(metrics.sent).toBe(0);
		expect(metrics.deliveryRate).toBeNull();
		expect(metrics.readRate).toBeNull();
		expect(metrics.failureRate).toBeNull();
	});

	it('reports a campaign without sends', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-01', '1');
		const campaign = await manager.getCampaignMetrics('C-2');
		expect(campaign).toMatchObject({ queued: 0, sent: 0, delivered: 0, revenue: 0, cost: 0 });
		expect(campaign.deliveryRate).toBeNull();
		expect(campaign.conversionRate).toBeNull();
		expect(campaign.roi).toBeNull();
		expect(campaign.anomalies).toEqual([]);
	});

	it('computes overall rates from totals', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-01', '1', { delivered: true });
		await sendOn(manager, '2025-04-02', '2');
		await sendOn(manager, '2025-04-02', '3');
		await sendOn(manager, '2025-04-02', '4');
		// Daily rates are 100 % and 0 %; their average would be 50 %.
		expect((await manager.getMessageMetrics(APRIL)).deliveryRate).toBe(25);
		expect((await manager.getCampaignMetrics('C-1', APRIL)).deliveryRate).toBe(25);
	});

	it('flags conversion rate above 100 %', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-03', '1', { delivered: true });
		const meta = { campaignId: 'C-1', timestamp: '2025-04-03T12:00:00Z' };
		await manager.trackConversion('34600000001', 'sale', 40, meta);
		await manager.trackConversion('34600000001', 'sale', 60, meta);

		const conversions = await manager.getConversionMetrics({
			start: '2025-04-03',
			end: '2025-04-04',
		});
		expect(conversions.conversions).toBe(2);
		expect(conversions.delivered).toBe(1);
		expect(conversions.conversionRate).toBe(200);
		expect(conversions.anomalies).toEqual([
			expect.objectContaining({ metric: 'conversionRate', value: 200 }),
		]);
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.conversionRate).toBe(200);
		expect(campaign.anomalies.map((anomaly) => anomaly.metric)).toEqual(['conversionRate']);
	});

	it('rounds rates to two decimals', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-01', '1', { delivered: true });
		await sendOn(manager, '2025-04-01', '2');
		await sendOn(manager, '2025-04-01', '3');
		expect((await manager.getMessageMetrics(APRIL)).deliveryRate).toBe(33.33);
	});

	it('counts conversion types and revenue', async () => {
		const manager = harness.manager();
		const meta = { timestamp: '2025-04-02T09:00:00Z' };
		await manager.trackConversion('34600000001', 'lead', undefined, meta);
		await manager.trackConversion('34600000001', 'qualified_lead', undefined, meta);
		await manager.trackConversion('34600000001', 'appointment', undefined, meta);
		await manager.trackConversion('34600000001', 'sale', 99.9, meta);
		const conversions = await manager.getConversionMetrics(APRIL);
		expect(conversions).toMatchObject({ leads: 1, qualifiedLeads: 1, appointments: 1, sales: 1 });
		expect(conversions.revenue).toBe(99.9);
		expect(conversions.conversionRate).toBeNull();
	});
});

describe('AnalyticsManager.getMessageTimeSeries', () => {
	const harness = useAnalyticsHarness();

	it('fills days without sends with zeros', async () => {
		const manager = harness.manager();
		for (const [index, day] of ['01', '02', '04', '06', '07'].entries()) {
			await sendOn(manager, `2025-04-${day}`, String(index));
		}
		const series = await manager.getMessageTimeSeries(7, { end: '2025-04-07T20:00:00Z' });
		expect(series).toHaveLength(7);
		expect(series.map((point) => point.timestamp.slice(0, 10))).toEqual([
			'2025-04-01',
			'2025-04-02',
			'2025-04-03',
			'2025-04-04',
			'2025-04-05',
			'2025-04-06',
			'2025-04-07',
		]);
		expect(series.map((point) => point.value)).toEqual([1, 1, 0, 1, 0, 1, 1]);
	});

	it('filters by campaign', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-01', '1');
		await sendOn(manager, '2025-04-01', '2', { campaignId: 'C-2' });
		const series = await manager.getMessageTimeSeries(1, { end: '2025-04-01', campaignId: 'C-2' });
		expect(series).toEqual([{ timestamp: '2025-04-01T00:00:00.000Z', value: 1 }]);
	});

	it('shows another metric', async () => {
		const manager = harness.manager();
		await sendOn(manager, '2025-04-02', '1', { delivered: true });
		const series = await manager.getMessageTimeSeries(2, {
			end: '2025-04-02',
			metric: 'delivered',
		});
		expect(series.map((point) => point.value)).toEqual([0, 1]);
	});

	it('returns hourly points', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', { timestamp: '2025-04-01T00:10:00Z' });
		await manager.trackMessageSent('34600000002', 'text', { timestamp: '2025-04-01T13:59:00Z' });
		const series = await manager.getMessageTimeSeries(1, { end: '2025-04-01', interval: 'hour' });
		expect(series).toHaveLength(24);
		expect(series[0]).toEqual({ timestamp: '2025-04-01T00:00:00.000Z', value: 1 });
		expect(series[13]).toEqual({ timestamp: '2025-04-01T13:00:00.000Z', value: 1 });
		expect(series.reduce((sum, point) => sum + point.value, 0)).toBe(2);
	});

	it('reports money in currency units', async () => {
		const manager = harness.manager({ costPerMessage: 0.0085 });
		await sendOn(manager, '2025-04-01', '1');
		await sendOn(manager, '2025-04-01', '2');
		const series = await manager.getMessageTimeSeries(1, { end: '2025-04-01', metric: 'cost' });
		expect(series[0].value).toBe(0.017);
	});
});

describe('AnalyticsManager costs', () => {
	const harness = useAnalyticsHarness();

	it('prefers campaign over instance cost', async () => {
		const manager = harness.manager({ costPerMessage: 0.01 });
		await manager.setInstanceCost('acme', 0.02);
		await manager.setCampaignCost('C-1', 0.05);
		await manager.trackMessageSent('34600000001', 'text', {
			campaignId: 'C-1',
			instanceName: 'acme',
		});
		await manager.trackMessageSent('34600000002', 'text', {
			campaignId: 'C-2',
			instanceName: 'acme',
		});
		await manager.trackMessageSent('34600000003', 'text', {
			campaignId: 'C-3',
			instanceName: 'other',
		});
		expect((await manager.getCampaignMetrics('C-1')).cost).toBe(0.05);
		expect((await manager.getCampaignMetrics('C-2')).cost).toBe(0.02);
		expect((await manager.getCampaignMetrics('C-3')).cost).toBe(0.01);
	});

	it('computes return on investment', async () => {
		const manager = harness.manager({ costPerMessage: 0.5 });
		await manager.trackMessageSent('34600000001', 'text', { campaignId: 'C-1' });
		await manager.trackMessageSent('34600000002', 'text', { campaignId: 'C-1' });
		await manager.trackConversion('34600000001', 'sale', 3, { campaignId: 'C-1' });
		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.cost).toBe(1);
		expect(campaign.revenue).toBe(3);
		expect(campaign.roi).toBe(200);
	});

	it('returns null return without cost', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', { campaignId: 'C-1' });
		await manager.trackConversion('34600000001', 'sale', 3, { campaignId: 'C-1' });
		expect((await manager.getCampaignMetrics('C-1')).roi).toBeNull();
	});

	it('removes a cost with null', async () => {
		const manager = harness.manager({ costPerMessage: 0.01 });
		await manager.setCampaignCost('C-1', 0.05);
		await manager.setCampaignCost('C-1', null);
		await manager.trackMessageSent('34600000001', 'text', { campaignId: 'C-1' });
		expect((await manager.getCampaignMetrics('C-1')).cost).toBe(0.01);
	});
});

describe('AnalyticsManager conversations', () => {
	const harness = useAnalyticsHarness();
	const start = Date.parse('2025-04-01T09:00:00Z');
	const day = { start: '2025-04-01', end: '2025-04-02' };

	it('measures response time to reply', async () => {
		const manager = harness.manager();
		await manager.trackMessageSent('34600000001', 'text', { timestamp: start });
		await manager.trackMessageSent('34600000002', 'text', { timestamp: start });
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start + 120_000 });
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start + 600_000 });

		const conversations = await manager.getConversationMetrics(day);
		expect(conversations.responses).toBe(1);
		expect(conversations.averageResponseTime).toBe(120);
		expect(conversations.contactsMessaged).toBe(2);
		expect(conversations.contactsReplied).toBe(1);
		expect(conversations.responseRate).toBe(50);
	});

	it('ignores inbound before outbound', async () => {
		const manager = harness.manager();
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start });
		await manager.trackMessageSent('34600000001', 'text', { timestamp: start + 60_000 });
		const conversations = await manager.getConversationMetrics(day);
		expect(conversations.responses).toBe(0);
		expect(conversations.responseRate).toBe(0);
	});

	it('counts one handoff per conversation', async () => {
		const manager = harness.manager();
		await manager.trackConversationStarted('34600000001', 'inbound', { timestamp: start });
		await manager.trackHandoff('34600000001', 'asked for a person', { timestamp: start + 60_000 });
		await manager.trackHandoff('34600000001', 'asked again', { timestamp: start + 120_000 });
		await manager.trackConversationEnded('34600000001', 'handoff', { timestamp: start + 180_000 });
		await manager.trackConversationStarted('34600000002', 'outbound', { timestamp: start });
		await manager.trackConversationEnded('34600000002', 'completed', { timestamp: start + 60_000 });

		const conversations = await manager.getConversationMetrics(day);
		expect(conversations.started).toBe(2);
		expect(conversations.handoffs).toBe(1);
		expect(conversations.handoffRate).toBe(50);
		expect(conversations.endedBy).toEqual({ completed: 1, timeout: 0, handoff: 1 });
	});

	it('counts a handoff ending alone', async () => {
		const manager = harness.manager();
		await manager.trackConversationStarted('34600000001', 'inbound', { timestamp: start });
		await manager.trackConversationEnded('34600000001', 'handoff', { timestamp: start + 60_000 });
		expect((await manager.getConversationMetrics(day)).handoffs).toBe(1);
	});

	it('starts conversation with first message', async () => {
		const manager = harness.manager();
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start });
		await manager.trackMessageSent('34600000001', 'text', { timestamp: start + 60_000 });
		await manager.trackConversationStarted('34600000001', 'inbound', { timestamp: start + 90_000 });
		expect((await manager.getConversationMetrics(day)).started).toBe(1);
	});

	it('times out after 24 silent hours', async () => {
		const manager = harness.manager();
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start });
		await manager.trackMessageReceived('34600000001', 'text', { timestamp: start + 25 * HOUR_MS });
		const conversations = await manager.getConversationMetrics({
			start: '2025-04-01',
			end: '2025-04-03',
		});
		expect(conversations.started).toBe(2);
		expect(conversations.endedBy.timeout).toBe(1);
	});

	it('counts active conversations now', async () => {
		const manager = harness.manager();
		await manager.trackMessageReceived('34600000001', 'text');
		await manager.trackMessageReceived('34600000002', 'text');
		await manager.trackMessageReceived('34600000003', 'text', {
			timestamp: Date.now() - 30 * HOUR_MS,
		});
		await manager.trackConversationEnded('34600000002', 'completed');
		expect((await manager.getConversationMetrics()).activeConversations).toBe(1);
	});

	it('counts intents and sentiments', async () => {
		const manager = harness.manager();
		const meta = { timestamp: start };
		await manager.trackMessageReceived('34600000001', 'text', {
			...meta,
			intent: 'pricing',
			sentiment: 'positive',
		});
		await manager.trackMessageReceived('34600000002', 'other', {
			...meta,
			intent: 'pricing',
			sentiment: 'negative',
		});
		const conversations = await manager.getConversationMetrics(day);
		expect(conversations.intents).toEqual({ pricing: 2 });
		expect(conversations.sentiments).toEqual({ positive: 1, negative: 1 });
	});
});
