import type { AnalyticsManager, QueueEvent } from '../../../shared/analytics';
import { useAnalyticsHarness } from './harness';

const DAY_1 = '2025-04-01T10:00:00Z';
const DAY_2 = '2025-04-02T10:00:00Z';

function job(id: string, timestamp = DAY_1, campaignId = 'C-1'): QueueEvent {
	return {
		jobId: `acme:${id}`,
		instanceName: 'acme',
		phone: `346000${id.padStart(5, '0')}`,
		messageType: 'text',
		campaignId,
		timestamp,
	};
}

async function fail(
	manager: AnalyticsManager,
	event: QueueEvent,
	attempt: number,
): Promise<boolean> {
	return await manager.recordAttemptFailed({ ...event, error: 'HTTP 503', attempt });
}

async function send(
	manager: AnalyticsManager,
	event: QueueEvent,
	attempts = 1,
	messageId = `BAE${event.jobId}`,
) {
	return await manager.recordSent({ ...event, messageId, processingTimeMs: 250, attempts });
}

async function deadLetter(manager: AnalyticsManager, event: QueueEvent, attempts = 3) {
	return await manager.recordDeadLettered({
		...event,
		error: 'HTTP 503',
		reason: 'server_error',
		attempts,
	});
}

describe('AnalyticsManager worker path', () => {
	const harness = useAnalyticsHarness();

	it('counts a retried message once', async () => {
		const manager = harness.manager();
		const message = job('1');
		await manager.recordQueued([message]);
		await fail(manager, message, 1);
		await fail(manager, message, 2);
		await send(manager, message, 3);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.failed).toBe(0);
		expect(campaign.retries).toBe(2);
	});

	it('counts retries from attempts alone', async () => {
		const manager = harness.manager();
		await send(manager, job('1'), 3);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.retries).toBe(2);
		expect(campaign.queued).toBe(1);
	});

	it('counts exhausted message as failure', async () => {
		const manager = harness.manager();
		const message = job('1');
		await manager.recordQueued([message]);
		await fail(manager, message, 1);
		await fail(manager, message, 2);
		await deadLetter(manager, message, 3);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.failed).toBe(1);
		expect(campaign.sent).toBe(0);
		expect(campaign.retries).toBe(2);
	});

	it('counts a repeated attempt failure once', async () => {
		const manager = harness.manager();
		const message = job('1');
		expect(await fail(manager, message, 1)).toBe(true);
		expect(await fail(manager, message, 1)).toBe(false);
		expect((await manager.getCampaignMetrics('C-1')).retries).toBe(1);
	});

	it('moves a requeued failure to sent', async () => {
		const manager = harness.manager();
		const message = job('1', DAY_1);
		await manager.recordQueued([message]);
		await deadLetter(manager, message);
		expect(await manager.recordRequeued({ ...message, timestamp: DAY_2 })).toBe(true);
		await send(manager, { ...message, timestamp: DAY_2 }, 1);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.sent).toBe(1);
		expect(campaign.failed).toBe(0);
		expect(campaign.queued).toBe(1);
		const options = { end: DAY_2, campaignId: 'C-1' };
		const failed = await manager.getMessageTimeSeries(2, { ...options, metric: 'failed' });
		expect(failed.map((point) => point.value)).toEqual([0, 0]);
		const sent = await manager.getMessageTimeSeries(2, { ...options, metric: 'sent' });
		expect(sent.map((point) => point.value)).toEqual([0, 1]);
		const globalFailed = await manager.getMessageTimeSeries(2, { end: DAY_2, metric: 'failed' });
		expect(globalFailed.map((point) => point.value)).toEqual([0, 0]);
	});

	it('keeps dead letters in error rate', async () => {
		const manager = harness.manager();
		const message = job('1');
		await deadLetter(manager, message, 1);
		await manager.recordRequeued(message);
		await send(manager, message, 1);

		const performance = await manager.getPerformanceMetrics({
			start: '2025-04-01',
			end: '2025-04-02',
		});
		expect(performance.deadLettered).toBe(1);
		expect(performance.errorRate).toBe(50);
	});

	it('pends a requeued message', async () => {
		const manager = harness.manager();
		const message = job('1');
		await manager.recordQueued([message]);
		await deadLetter(manager, message);
		await manager.recordRequeued(message);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.failed).toBe(0);
		expect(campaign.pending).toBe(1);
	});

	it('ignores requeue of healthy job', async () => {
		const manager = harness.manager();
		const message = job('1');
		await manager.recordQueued([message]);
		expect(await manager.recordRequeued(message)).toBe(false);
		expect((await manager.getCampaignMetrics('C-1')).failed).toBe(0);
	});

	it('uncounts a failure sent without requeue', async () => {
		const manager = harness.manager();
		const message = job('1', DAY_1);
		await deadLetter(manager, message);
		await send(manager, { ...message, timestamp: DAY_2 });

		const failed = await manager.getMessageTimeSeries(2, { end: DAY_2, metric: 'failed' });
		expect(failed.map((point) => point.value)).toEqual([0, 0]);
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(1);
	});

	it('counts a job sent twice once', async () => {
		const manager = harness.manager();
		const message = job('1');
		expect(await send(manager, message, 1, 'BAE-FIRST')).toBe(true);
		expect(await send(manager, message, 1, 'BAE-SECOND')).toBe(false);

		const metrics = await manager.getMessageMetrics({ start: '2025-04-01', end: '2025-04-02' });
		expect(metrics.sent).toBe(1);
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(1);
	});

	it('ignores dead letter after send', async () => {
		const manager = harness.manager();
		const message = job('1');
		await send(manager, message);
		expect(await deadLetter(manager, message)).toBe(false);
		expect((await manager.getCampaignMetrics('C-1')).failed).toBe(0);
	});

	it('counts a repeated dead letter once', async () => {
		const manager = harness.manager();
		const message = job('1');
		expect(await deadLetter(manager, message)).toBe(true);
		expect(await deadLetter(manager, message)).toBe(false);
		expect((await manager.getCampaignMetrics('C-1')).failed).toBe(1);
	});

	it('counts repeated enqueues once', async () => {
		const manager = harness.manager();
		expect(await manager.recordQueued([job('1'), job('2')])).toBe(2);
		expect(await manager.recordQueued([job('1'), job('2'), job('3')])).toBe(1);
		expect((await manager.getCampaignMetrics('C-1')).queued).toBe(3);
	});

	it('cancels only unsent jobs', async () => {
		const manager = harness.manager();
		await manager.recordQueued([job('1'), job('2')]);
		await send(manager, job('1'));
		expect(await manager.recordCancelled([job('1'), job('2')])).toBe(1);
		expect(await manager.recordCancelled([job('2')])).toBe(0);
		expect((await manager.getCampaignMetrics('C-1')).cancelled).toBe(1);
	});

	it('reconciles queued with every outcome', async () => {
		const manager = harness.manager();
		const jobs = ['1', '2', '3', '4', '5'].map((id) => job(id));
		await manager.recordQueued(jobs);
		await send(manager, jobs[0]);
		await send(manager, jobs[1], 2);
		await deadLetter(manager, jobs[2]);
		await manager.recordCancelled([jobs[3]]);

		const campaign = await manager.getCampaignMetrics('C-1');
		expect(campaign.queued).toBe(5);
		expect(campaign.sent).toBe(2);
		expect(campaign.failed).toBe(1);
		expect(campaign.cancelled).toBe(1);
		expect(campaign.pending).toBe(1);
		expect(campaign.queued).toBe(
			campaign.sent + campaign.failed + campaign.cancelled + campaign.pending,
		);
		expect(campaign.anomalies).toEqual([]);
	});

	it('separates campaigns', async () => {
		const manager = harness.manager();
		await send(manager, job('1', DAY_1, 'C-1'));
		await send(manager, job('2', DAY_1, 'C-2'));
		await send(manager, job('3', DAY_1, 'C-2'));
		expect((await manager.getCampaignMetrics('C-1')).sent).toBe(1);
		expect((await manager.getCampaignMetrics('C-2')).sent).toBe(2);
	});

	it('reports processing time and throughput', async () => {
		const manager = harness.manager();
		await manager.recordSent({
			...job('1'),
			messageId: 'BAE1',
			processingTimeMs: 100,
			attempts: 1,
		});
		await manager.recordSent({
			...job('2'),
			messageId: 'BAE2',
			processingTimeMs: 300,
			attempts: 1,
		});
		await manager.trackMessageSent('34600000009', 'text', { timestamp: DAY_1 });

		const performance = await manager.getPerformanceMetrics({
			start: '2025-04-01',
			end: '2025-04-02',
		});
		expect(performance.averageProcessingTime).toBe(200);
		expect(performance.messagesSentPerHour).toBe(0.13);
		expect(performance.errorRate).toBe(0);
	});
});
