import { analyticsObserver, createAnalyticsManager, type AnalyticsManager } from '../../shared/analytics';
import { EventGroupReader, type StoredEvent } from '../../shared/events/eventStream';
import { silentLogger } from '../../shared/logger';
import type { WhatsAppMessage } from '../../shared/message';
import { createQueueManager, type QueueManager } from '../../shared/queue';
import { createAnalyticsExtensions } from '../../worker/analyticsExtensions';
import { loadWorkerConfig } from '../../worker/config';
import { MAX_WEBHOOK_BYTES } from '../../worker/httpServer';
import { runWorker, type RunningWorker } from '../../worker/runWorker';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import type { SandboxWebhookOptions } from '../../sandbox/types';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';

const SECRET = 'webhook-secret-for-tests';

function text(recipientPhone: string): WhatsAppMessage {
	return {
		instanceName: 'acme',
		recipientPhone,
		messageType: 'text',
		content: { text: 'Hello' },
		metadata: { campaignId: 'spring' },
	};
}

describe('worker webhooks', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let worker: RunningWorker | undefined;
	let queue: QueueManager;
	let analytics: AnalyticsManager;
	let prefix: string;
	let url: string;

	async function start(webhook: SandboxWebhookOptions = {}): Promise<void> {
		const port = await getFreePort();
		url = `http://127.0.0.1:${port}/webhooks/evolution`;
		gateway = await startTestGateway({
			instances: ['acme'],
			notOnWhatsApp: ['34600000009'],
			webhook: { url, headers: { 'x-webhook-secret': SECRET }, deliveredAfterMs: 50, readAfterMs: 100, ...webhook },
		});
		const config = loadWorkerConfig({
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			ANALYTICS_PREFIX: prefix,
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			RATE_LIMIT_MAX: '0',
			POLL_INTERVAL_MS: '100',
			HTTP_PORT: String(port),
			WEBHOOK_SECRET: SECRET,
		});
		worker = await runWorker(config, silentLogger, await createAnalyticsExtensions(config, silentLogger));
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		prefix = uniquePrefix();
		queue = createQueueManager({ redis: server.connection, prefix });
		analytics = createAnalyticsManager({ ...server.connection, db: 1, prefix });
		queue.addObserver(analyticsObserver(analytics));
	});

	afterEach(async () => {
		await worker?.stop();
		worker = undefined;
		await queue.close();
		await analytics.close();
		await gateway.sandbox.stop();
	});

	it('rejects a missing secret', async () => {
		await start();
		const response = await fetch(url, { method: 'POST', body: '{}' });
		expect(response.status).toBe(401);
	});

	it('rejects a wrong secret', async () => {
		await start();
		const response = await fetch(`${url}?token=wrong`, { method: 'POST', body: '{}' });
		expect(response.status).toBe(401);
	});

	it('rejects an oversized body', async () => {
		await start();
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'x-webhook-secret': SECRET },
			body: 'x'.repeat(MAX_WEBHOOK_BYTES + 1),
		}).catch(() => undefined);
		// The server answers 413 and closes; a client may see the reset first.
		const outcome = response ? response.status : 'reset';
		expect([413, 'reset']).toContain(outcome);
	});

	it('rejects a body that is not JSON', async () => {
		await start();
		const response = await fetch(`${url}?token=${SECRET}`, { method: 'POST', body: 'not json' });
		expect(response.status).toBe(400);
	});

	it('counts receipts for the campaign', async () => {
		await start({ readRatio: 1 });
		await queue.addBulk([text('34600000101'), text('34600000102'), text('34600000009')]);
		await waitFor(async () => {
			const metrics = await analytics.getCampaignMetrics('spring');
			return metrics.read === 2 && metrics.failed === 1;
		}, { timeoutMs: 10_000, description: 'two reads and one failure' });
		const metrics = await analytics.getCampaignMetrics('spring');
		expect(metrics.queued).toBe(3);
		expect(metrics.sent).toBe(2);
		expect(metrics.delivered).toBe(2);
		expect(metrics.deliveryRate).toBe(100);
		expect(metrics.pending).toBe(0);
	});

	it('counts repeated webhooks once', async () => {
		await start({ readRatio: 1, duplicateRatio: 1 });
		await queue.addMessage(text('34600000101'));
		await waitFor(() => gateway.sandbox.webhookDeliveries.filter((d) => d.ok).length >= 4, { timeoutMs: 10_000 });
		const metrics = await analytics.getCampaignMetrics('spring');
		expect(metrics.delivered).toBe(1);
		expect(metrics.read).toBe(1);
	});

	it('writes receipt and reply events', async () => {
		await start({ readRatio: 1, replyRatio: 1, replyAfterMs: 150, replyText: 'Yes please' });
		const client = server.client();
		try {
			const reader = new EventGroupReader(client, prefix, ['message.delivered', 'message.read', 'message.replied'], 'wf', 'n8n');
			await reader.ensureGroup();
			const job = await queue.addMessage(text('34600000101'));
			const events: StoredEvent[] = [];
			await waitFor(async () => {
				events.push(...(await reader.read(10, 100)));
				return events.length >= 3;
			}, { timeoutMs: 10_000 });
			const byType = Object.fromEntries(events.map((event) => [event.type, event]));
			expect(byType['message.delivered'].jobId).toBe(job.id);
			expect(byType['message.read'].campaignId).toBe('spring');
			expect(byType['message.replied'].text).toBe('Yes please');
			expect(byType['message.replied'].phone).toBe('34600000101');
		} finally {
			client.disconnect();
		}
	});
});
