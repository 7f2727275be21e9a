import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { DeliveryWorker, type WhatsAppMessage } from '../../shared';
import {
	analyticsObserver,
	createAnalyticsManager,
	type AnalyticsManager,
} from '../../shared/analytics';
import { createQueueManager, type QueueManager } from '../../shared';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import {
	runWorkflow,
	singleNodeWorkflow,
	type OnError,
	type TestCredentials,
	type WorkflowRun,
} from '../helpers/n8n/workflowRunner';

const NODE = 'WhatsApp Analytics';

describe('WhatsApp Analytics node', () => {
	let server: RedisServer;
	let queuePrefix: string;
	let analyticsPrefix: string;
	let credentials: TestCredentials;
	let analytics: AnalyticsManager;

	function run(
		items: IDataObject[],
		parameters: INodeParameters,
		onError: OnError = 'stopWorkflow',
	): Promise<WorkflowRun> {
		const fixture = singleNodeWorkflow('analyticsOperation', NODE, { items, parameters, onError });
		return runWorkflow(fixture, credentials);
	}

	function track(event: string, fields: INodeParameters = {}): INodeParameters {
		return { operation: 'track', event, phone: '+34 600 000 001', ...fields };
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		queuePrefix = uniquePrefix();
		analyticsPrefix = uniquePrefix();
		credentials = {
			whatsAppQueueRedisApi: {
				host: server.host,
				port: server.port,
				prefix: queuePrefix,
				analyticsPrefix,
				analyticsDatabase: 1,
				analyticsTimeZone: 'UTC',
			},
		};
		analytics = createAnalyticsManager({ ...server.connection, db: 1, prefix: analyticsPrefix });
	});

	afterEach(async () => {
		await analytics.close();
	});

	describe('Track', () => {
		it.each([
			['messageSent', { messageType: 'text', messageId: 'm-1' }, 'sent'],
			['messageReceived', { inboundType: 'other', messageId: 'in-1' }, 'received'],
			['messageFailed', { error: 'Number is wrong', messageId: 'm-2' }, 'failed'],
		])('tracks %s', async (event, fields, counter) => {
			const result = await run([{}], track(event, fields));

			expect(result.json(NODE)[0]).toEqual(
				expect.objectContaining({ tracked: true, event, phone: '+34 600 000 001' }),
			);
			expect((await analytics.getMessageMetrics())[counter as 'sent']).toBe(1);
		});

		it('tracks receipts of a sent message', async () => {
			await run([{}], track('messageSent', { messageType: 'text', messageId: 'm-1' }));
			await run([{}], track('messageDelivered', { messageId: 'm-1' }));
			await run([{}], track('messageRead', { messageId: 'm-1' }));

			const metrics = await analytics.getMessageMetrics();
			expect(metrics.delivered).toBe(1);
			expect(metrics.read).toBe(1);
			expect(metrics.readRate).toBe(100);
		});

		it('tracks a conversation with a handoff', async () => {
			await run([{}], track('conversationStarted', { direction: 'inbound' }));
			await run([{}], track('handoff', { handoffReason: 'asked for a person' }));
			await run([{}], track('conversationEnded', { endReason: 'handoff' }));

			const metrics = await analytics.getConversationMetrics();
			expect(metrics.started).toBe(1);
			expect(metrics.handoffs).toBe(1);
			expect(metrics.ended).toBe(1);
		});

		it('tracks a conversion with its value', async () => {
			await run(
				[{}],
				track('conversion', {
					conversionType: 'sale',
					value: 49.9,
					additionalFields: { campaignId: 'spring' },
				}),
			);

			const conversions = await analytics.getConversionMetrics();
			const campaign = await analytics.getCampaignMetrics('spring');
			expect(conversions.sales).toBe(1);
			expect(conversions.revenue).toBe(49.9);
			expect(campaign.conversions).toBe(1);
		});

		it('tracks a campaign event', async () => {
			await run([{}], track('campaign', { campaignId: 'outside', campaignEvent: 'sent' }));

			expect((await analytics.getCampaignMetrics('outside')).sent).toBe(1);
		});

		it('reads a timestamp in the workflow time zone', async () => {
			const fixture = singleNodeWorkflow('analyticsOperation', NODE, {
				items: [{}],
				parameters: track('messageSent', {
					messageType: 'text',
					additionalFields: { timestamp: '2026-01-10T09:00:00' },
				}),
			});
			fixture.settings = { timezone: 'America/Sao_Paulo' };
			const result = await runWorkflow(fixture, credentials);

			expect(result.json(NODE)[0].timestamp).toBe('2026-01-10T12:00:00.000Z');
		});
	});

	describe('Get', () => {
		let gateway: TestGateway;
		let queue: QueueManager;
		let worker: DeliveryWorker;

		beforeEach(async () => {
			gateway = await startTestGateway({ instances: ['sales'], notOnWhatsApp: ['34600000009'] });
			queue = createQueueManager({ redis: server.connection, prefix: queuePrefix });
			queue.addObserver(analyticsObserver(analytics));
			worker = new DeliveryWorker({
				queue: {
					redis: server.connection,
					prefix: queuePrefix,
					rateLimiting: { max: 0, duration: 1000 },
				},
				gateway: gateway.client,
				observers: [analyticsObserver(analytics)],
				pollIntervalMs: 100,
			});
			await worker.start();
			const messages: WhatsAppMessage[] = ['34600000001', '34600000002', '34600000009'].map(
				(recipientPhone) => ({
					instanceName: 'sales',
					recipientPhone,
					messageType: 'text',
					content: { text: 'Hi' },
					metadata: { campaignId: 'spring' },
				}),
			);
			await queue.addBulk(messages);
			await waitFor(async () => (await analytics.getMessageMetrics()).sent === 2, {
				description: 'two sends recorded',
			});
			await waitFor(async () => (await analytics.getMessageMetrics()).failed === 1, {
				description: 'one failure recorded',
			});
		});

		afterEach(async () => {
			await worker.close();
			await queue.close();
			await gateway.sandbox.stop();
		});

		it('gets message metrics', async () => {
			const result = await run([{}], { operation: 'get', metric: 'message' });

			const [metrics] = result.json(NODE);
			expect(metrics.sent).toBe(2);
			expect(metrics.failed).toBe(1);
			expect(metrics.failureRate).toBe(33.33);
		});

		it('gets campaign metrics', async () => {
			const result = await run([{}], {
				operation: 'get',
				metric: 'campaign',
				campaignId: 'spring',
			});

			const [campaign] = result.json(NODE);
			expect(campaign.queued).toBe(3);
			expect(campaign.sent).toBe(2);
			expect(campaign.failed).toBe(1);
			expect(campaign.pending).toBe(0);
		});

		it('gets performance metrics', async () => {
			const result = await run([{}], { operation: 'get', metric: 'performance' });

			expect(result.json(NODE)[0]).toEqual(expect.objectContaining({ sent: 2, deadLettered: 1 }));
		});

		it('gets conversation and conversion metrics', async () => {
			const conversations = await run([{}], { operation: 'get', metric: 'conversation' });
			const conversions = await run([{}], { operation: 'get', metric: 'conversion' });

			expect(conversations.json(NODE)[0].contactsMessaged).toBe(2);
			expect(conversions.json(NODE)[0].conversions).toBe(0);
		});

		it('gets a daily report', async () => {
			const result = await run([{}], { operation: 'get', metric: 'report', period: 'day' });

			const [report] = result.json(NODE);
			expect(report.period).toBe('day');
			expect((report.messages as IDataObject).sent).toBe(2);
			expect(report.timeZone).toBe('UTC');
		});

		it('outputs one item per time series point', async () => {
			const result = await run([{}], {
				operation: 'get',
				metric: 'timeSeries',
				seriesMetric: 'sent',
				days: 7,
			});

			const points = result.json(NODE);
			expect(points).toHaveLength(7);
			expect(points[6].value).toBe(2);
			expect(points.slice(0, 6).every((point) => point.value === 0)).toBe(true);
			expect(result.output(NODE).every((item) => item.pairedItem !== undefined)).toBe(true);
		});

		it('gets metrics of a past range', async () => {
			const result = await run([{}], {
				operation: 'get',
				metric: 'message',
				start: '2001-09-10T00:00:00',
				end: '2001-09-11T00:00:00',
			});

			expect(result.json(NODE)[0].sent).toBe(0);
		});
	});

	describe('item errors', () => {
		const cases: Array<[string, INodeParameters, IDataObject, IDataObject]> = [
			[
				'track',
				{
					operation: 'track',
					event: 'messageSent',
					messageType: 'text',
					phone: '={{ $json.phone }}',
				},
				{ phone: '34600000001' },
				{ phone: '' },
			],
			[
				'track with an invalid phone',
				{
					operation: 'track',
					event: 'messageSent',
					messageType: 'text',
					phone: '={{ $json.phone }}',
				},
				{ phone: '34600000001' },
				{ phone: 'abc' },
			],
			[
				'get',
				{ operation: 'get', metric: 'timeSeries', seriesMetric: 'sent', days: '={{ $json.days }}' },
				{ days: 3 },
				{ days: 0 },
			],
			[
				'get with a bad time zone',
				{ operation: 'get', metric: 'report', period: 'day', timeZone: '={{ $json.zone }}' },
				{ zone: 'UTC' },
				{ zone: 'Mars/Olympus' },
			],
		];

		it.each(cases)('%s returns an error item', async (_name, parameters, valid, invalid) => {
			const result = await run([valid, invalid], parameters, 'continueRegularOutput');

			const failed = result.output(NODE).filter((item) => item.json.error !== undefined);
			expect(failed.map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
		});

		it.each(cases)(
			'%s sends the error to the error output',
			async (_name, parameters, valid, invalid) => {
				const result = await run([valid, invalid], parameters, 'continueErrorOutput');

				expect(result.output(NODE, 1).map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
				expect(result.output(NODE, 0).length).toBeGreaterThan(0);
			},
		);

		it.each(cases)('%s fails naming the item', async (_name, parameters, valid, invalid) => {
			const result = await run([valid, invalid], parameters);

			expect(result.error?.name).toBe('NodeOperationError');
			expect(result.error?.context?.itemIndex).toBe(1);
		});
	});

	describe('connections', () => {
		it('fails within seconds when Redis is down', async () => {
			const stopped = await startRedisServer();
			const port = stopped.port;
			await stopped.dispose();
			credentials = { whatsAppQueueRedisApi: { host: '127.0.0.1', port } };

			const started = Date.now();
			const result = await run([{}], { operation: 'get', metric: 'message' });

			expect(Date.now() - started).toBeLessThan(10_000);
			expect(result.error?.message).toMatch(/^Redis refused the connection/);
		});

		it('opens one connection however many items', async () => {
			const connectionsFor = async (count: number): Promise<number> => {
				const before = await totalConnections();
				const items = Array.from({ length: count }, (_, i) => ({ id: `m-${count}-${i}` }));
				await run(
					items,
					track('messageSent', { messageType: 'text', messageId: '={{ $json.id }}' }),
				);
				return (await totalConnections()) - before;
			};

			expect(await connectionsFor(30)).toBe(await connectionsFor(1));
		});
	});

	/** Connections the server accepted since it started. */
	async function totalConnections(): Promise<number> {
		const client = server.client();
		try {
			const stats = (await client.info('stats')) as string;
			return Number(/total_connections_received:(\d+)/.exec(stats)?.[1] ?? 0);
		} finally {
			client.disconnect();
		}
	}
});
