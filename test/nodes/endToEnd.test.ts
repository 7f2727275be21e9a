import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { activateWorkflow, type ActiveWorkflow } from '../helpers/n8n/triggerRunner';
import {
	getNode,
	loadWorkflow,
	runWorkflow,
	singleNodeWorkflow,
	type TestCredentials,
} from '../helpers/n8n/workflowRunner';

const SECRET = 'webhook-secret-for-tests';

describe('WhatsApp nodes with the worker process', () => {
	let server: RedisServer;
	let gateway: TestGateway;
	let worker: WorkerProcess;
	let active: ActiveWorkflow;
	let credentials: TestCredentials;

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(async () => {
		const prefix = uniquePrefix();
		credentials = {
			whatsAppQueueRedisApi: {
				host: server.host,
				port: server.port,
				prefix,
				analyticsPrefix: prefix,
			},
		};
		const httpPort = await getFreePort();
		gateway = await startTestGateway({
			instances: ['sales'],
			webhook: {
				url: `http://127.0.0.1:${httpPort}/webhooks/evolution`,
				headers: { 'x-webhook-secret': SECRET },
				deliveredAfterMs: 50,
				readAfterMs: 100,
				readRatio: 1,
			},
		});
		worker = await startWorkerProcess({
			REDIS_HOST: server.host,
			REDIS_PORT: String(server.port),
			QUEUE_PREFIX: prefix,
			ANALYTICS_PREFIX: prefix,
			EVOLUTION_API_URL: gateway.url,
			EVOLUTION_API_KEY: gateway.sandbox.apiKey,
			RATE_LIMIT_MAX: '0',
			POLL_INTERVAL_MS: '100',
			HTTP_PORT: String(httpPort),
			WEBHOOK_SECRET: SECRET,
		});
		const events = loadWorkflow('queueEvents');
		events.id = 'delivery-events';
		getNode(events, 'WhatsApp Queue Trigger').parameters = {
			events: ['message.sent', 'message.delivered', 'message.read'],
			options: {},
		};
		active = await activateWorkflow(events, credentials);
	});

	afterEach(async () => {
		await active.deactivate();
		await worker.dispose();
		await gateway.sandbox.stop();
	});

	it('takes items from queued to read', async () => {
		const enqueue = loadWorkflow('enqueueMessage');
		getNode(enqueue, 'Enqueue WhatsApp message').onError = 'continueErrorOutput';
		const sent = await runWorkflow(enqueue, credentials);
		const jobIds = sent.json('Enqueue WhatsApp message').map((json) => json.jobId);
		const eventsOf = (event: string) =>
			active.items.filter((item) => item.event === event).map((item) => item.jobId);
		await waitFor(() => eventsOf('message.read').length === 2, {
			timeoutMs: 15_000,
			description: 'two read receipts',
		});
		const status = await runWorkflow(
			singleNodeWorkflow('queueOperation', 'WhatsApp Queue', {
				items: jobIds.map((jobId) => ({ jobId })),
				parameters: { resource: 'message', operation: 'getStatus', jobId: '={{ $json.jobId }}' },
			}),
			credentials,
		);
		const metrics = await runWorkflow(
			singleNodeWorkflow('analyticsOperation', 'WhatsApp Analytics', {
				items: [{}],
				parameters: { operation: 'get', metric: 'message' },
			}),
			credentials,
		);

		expect(sent.error).toBeUndefined();
		expect(jobIds).toHaveLength(2);
		expect(eventsOf('message.sent').sort()).toEqual([...jobIds].sort());
		expect(eventsOf('message.delivered').sort()).toEqual([...jobIds].sort());
		expect(eventsOf('message.read').sort()).toEqual([...jobIds].sort());
		expect(status.json('WhatsApp Queue').map((json) => json.state)).toEqual([
			'completed',
			'completed',
		]);
		expect(metrics.json('WhatsApp Analytics')[0]).toEqual(
			expect.objectContaining({ sent: 2, delivered: 2, read: 2 }),
		);
	});
});
