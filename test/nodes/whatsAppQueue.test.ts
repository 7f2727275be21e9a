import { createServer, type AddressInfo, type Socket } from 'node:net';

import { DateTime } from 'luxon';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { createQueueManager, DeliveryWorker, QueueManager } from '../../shared';
import { QueueKeys } from '../../shared/redis/keys';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { acceptedNumbers, startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import {
	getNode,
	loadWorkflow,
	runWorkflow,
	singleNodeWorkflow,
	type OnError,
	type TestCredentials,
	type WorkflowFixture,
	type WorkflowRun,
} from '../helpers/n8n/workflowRunner';

const NODE = 'WhatsApp Queue';
const ENQUEUE = 'Enqueue WhatsApp message';

function textMessage(phone: string, extra: INodeParameters = {}): INodeParameters {
	return {
		resource: 'message',
		operation: 'send',
		instanceName: 'sales',
		phone,
		messageType: 'text',
		text: 'Hello',
		...extra,
	};
}

describe('WhatsApp Queue node', () => {
	let server: RedisServer;
	let prefix: string;
	let credentials: TestCredentials;
	let manager: QueueManager;

	function run(
		items: IDataObject[],
		parameters: INodeParameters,
		onError: OnError = 'stopWorkflow',
	): Promise<WorkflowRun> {
		return runWorkflow(
			singleNodeWorkflow('queueOperation', NODE, { items, parameters, onError }),
			credentials,
		);
	}

	function enqueueWorkflow(onError: OnError): WorkflowFixture {
		const fixture = loadWorkflow('enqueueMessage');
		if (onError !== 'stopWorkflow') {
			getNode(fixture, ENQUEUE).onError = onError;
		}
		return fixture;
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		prefix = uniquePrefix();
		credentials = { whatsAppQueueRedisApi: { host: server.host, port: server.port, prefix } };
		manager = createQueueManager({ redis: server.connection, prefix });
	});

	afterEach(async () => {
		jest.restoreAllMocks();
		await manager.close();
	});

	describe('Message: Send', () => {
		it('queues each item as a job', async () => {
			const result = await run(
				[{ phone: '+34 600 000 001' }, { phone: '34600000002' }],
				textMessage('={{ $json.phone }}'),
			);

			const output = result.output(NODE);
			expect(output.map((item) => item.json.status)).toEqual(['queued', 'queued']);
			expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(output[0].json.recipientPhone).toBe('34600000001');
			expect(output[0].json.phone).toBe('+34 600 000 001');
			expect(String(output[0].json.jobId)).toMatch(/^sales:/);
			expect((await manager.getMetrics('sales')).waiting).toBe(2);
		});

		it('routes an invalid item to the error output', async () => {
			const result = await runWorkflow(enqueueWorkflow('continueErrorOutput'), credentials);

			const success = result.output(ENQUEUE, 0);
			const failure = result.output(ENQUEUE, 1);
			expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
			expect(failure.map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
			expect(String(failure[0].json.error)).toMatch(/^Recipient Phone: Invalid phone number "abc"/);
			expect(result.json('After Success').map((json) => json.enqueuedPhone)).toEqual([
				'34600000001',
				'34600000002',
			]);
			expect(result.json('After Error').map((json) => json.failedPhone)).toEqual(['abc']);
			expect((await manager.getMetrics('sales')).waiting).toBe(2);
		});

		it('keeps an invalid item in the regular output', async () => {
			const result = await runWorkflow(enqueueWorkflow('continueRegularOutput'), credentials);

			const output = result.output(ENQUEUE, 0);
			expect(output).toHaveLength(3);
			expect(output.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
			expect(output[1].json.error).toEqual(expect.stringContaining('Invalid phone number "abc"'));
			expect(output[0].json.error).toBeUndefined();
			expect(output[2].json.error).toBeUndefined();
			expect(result.json('After Success').map((json) => json.enqueuedPhone)).toEqual([
				'34600000001',
				undefined,
				'34600000002',
			]);
		});

		it('fails naming the invalid item', async () => {
			const result = await runWorkflow(enqueueWorkflow('stopWorkflow'), credentials);

			expect(result.error?.name).toBe('NodeOperationError');
			expect(result.error?.message).toMatch(/^Recipient Phone: Invalid phone number "abc"/);
			expect(result.error?.context?.itemIndex).toBe(1);
			expect(result.ran('After Success')).toBe(false);
			expect((await manager.getMetrics()).waiting).toBe(0);
		});

		it('reports a known idempotency key as duplicate', async () => {
			const parameters = textMessage('34600000009', {
				options: { idempotencyKey: 'order-1001-confirm' },
			});
			const first = await run([{}], parameters);
			const second = await run([{}], { ...parameters, phone: '34600000010' });

			expect(first.json(NODE)[0].status).toBe('queued');
			expect(second.json(NODE)[0].status).toBe('duplicate');
			expect(second.json(NODE)[0].state).toBe('waiting');
			expect(second.json(NODE)[0].jobId).toBe(first.json(NODE)[0].jobId);
			expect((await manager.getMetrics('sales')).waiting).toBe(1);
		});

		it('reads a schedule time in the workflow time zone', async () => {
			const zone = 'America/Sao_Paulo';
			const wallClock = DateTime.now().setZone(zone).plus({ days: 2 }).startOf('hour');
			const fixture = singleNodeWorkflow('queueOperation', NODE, {
				items: [{}],
				parameters: textMessage('34600000001', {
					options: { scheduleTime: wallClock.toFormat("yyyy-LL-dd'T'HH:mm:ss") },
				}),
			});
			fixture.settings = { timezone: zone };
			const result = await runWorkflow(fixture, credentials);

			const [output] = result.json(NODE);
			expect(output.status).toBe('scheduled');
			expect(output.scheduledAt).toBe(wallClock.toUTC().toISO());
			expect((await manager.getMetrics('sales')).delayed).toBe(1);
		});

		it('rejects a schedule time it cannot parse', async () => {
			const result = await run(
				[{}],
				textMessage('34600000001', { options: { scheduleTime: 'tomorrow 9am' } }),
				'continueRegularOutput',
			);

			expect(result.json(NODE)[0].error).toEqual(expect.stringMatching(/^Schedule Time: /));
			expect((await manager.getMetrics()).delayed).toBe(0);
		});

		it('stores three attempts when attempts is blank', async () => {
			const result = await run(
				[{}],
				textMessage('34600000001', { retry: { backoffType: 'exponential', backoffDelayMs: 100 } }),
			);

			const jobId = String(result.json(NODE)[0].jobId);
			const raw = await readJobData(jobId);
			expect(raw.retry).toEqual({ attempts: 3, backoff: { type: 'exponential', delay: 100 } });
		});

		it('leaves the worker policy without retry options', async () => {
			const result = await run([{}], textMessage('34600000001'));

			const raw = await readJobData(String(result.json(NODE)[0].jobId));
			expect(raw.retry).toBeUndefined();
		});

		it.each([
			['text', { text: 'Hello' }, { text: 'Hello' }],
			[
				'image',
				{ mediaUrl: 'https://example.com/a.jpg', caption: 'Look' },
				{ url: 'https://example.com/a.jpg', caption: 'Look' },
			],
			['video', { mediaUrl: 'https://example.com/a.mp4' }, { url: 'https://example.com/a.mp4' }],
			['audio', { mediaUrl: 'https://example.com/a.ogg' }, { url: 'https://example.com/a.ogg' }],
			[
				'document',
				{ mediaUrl: 'https://example.com/a.pdf', fileName: 'a.pdf' },
				{ url: 'https://example.com/a.pdf', fileName: 'a.pdf' },
			],
			[
				'location',
				{ latitude: 40.4, longitude: -3.7, locationName: 'Office' },
				{ latitude: 40.4, longitude: -3.7, name: 'Office' },
			],
			[
				'contact',
				{ contacts: { contact: [{ fullName: 'Ana', phoneNumber: '+34 600 000 005' }] } },
				{ contacts: [{ fullName: 'Ana', phoneNumber: '34600000005' }] },
			],
		])('queues a %s message', async (messageType, fields, content) => {
			const result = await run([{}], {
				...textMessage('34600000001'),
				text: undefined,
				messageType,
				...fields,
			} as INodeParameters);

			const status = await manager.getStatus(String(result.json(NODE)[0].jobId));
			expect(status.message?.messageType).toBe(messageType);
			expect(status.message?.content).toEqual(content);
		});

		it('delivers queued items through the worker', async () => {
			const gateway = await startTestGateway({ instances: ['sales'] });
			const worker = new DeliveryWorker({
				queue: { redis: server.connection, prefix, rateLimiting: { max: 0, duration: 1000 } },
				gateway: gateway.client,
				pollIntervalMs: 100,
			});
			try {
				await worker.start();
				const result = await run(
					[{ phone: '34600000001' }, { phone: '34600000002' }],
					textMessage('={{ $json.phone }}'),
				);
				await waitFor(() => gateway.sandbox.received.length === 2, { description: 'two sends' });
				const jobId = String(result.json(NODE)[0].jobId);
				const status = await run([{}], { resource: 'message', operation: 'getStatus', jobId });

				expect(acceptedNumbers(gateway.sandbox).sort()).toEqual(['34600000001', '34600000002']);
				expect(status.json(NODE)[0].state).toBe('completed');
				expect(status.json(NODE)[0].attempts).toBe(1);
				expect(status.json(NODE)[0].gatewayMessageId).toBe(
					gateway.sandbox.received.find((sent) => sent.number === '34600000001')?.messageId,
				);
			} finally {
				await worker.close();
				await gateway.sandbox.stop();
			}
		});

		it('opens one connection however many items', async () => {
			const items = (count: number) =>
				Array.from({ length: count }, (_, i) => ({
					phone: `3460000${String(i).padStart(4, '0')}`,
				}));
			const connectionsFor = async (count: number): Promise<number> => {
				const before = await totalConnections();
				await run(items(count), textMessage('={{ $json.phone }}'));
				return (await totalConnections()) - before;
			};

			const forOne = await connectionsFor(1);
			const forForty = await connectionsFor(40);
			expect(forForty).toBe(forOne);
		});
	});

	describe('Message: Send Many', () => {
		const sendMany = { ...textMessage('={{ $json.phone }}'), operation: 'sendMany' };
		const mixed = [{ phone: '34600000001' }, { phone: 'abc' }, { phone: '34600000002' }];

		it('queues every item in one bulk call', async () => {
			const addBulk = jest.spyOn(QueueManager.prototype, 'enqueueBulk');
			const result = await run(
				[{ phone: '34600000001' }, { phone: '34600000002' }, { phone: '34600000003' }],
				sendMany,
			);

			expect(addBulk).toHaveBeenCalledTimes(1);
			expect(addBulk.mock.calls[0][0]).toHaveLength(3);
			expect(result.json(NODE).map((json) => json.status)).toEqual(['queued', 'queued', 'queued']);
			expect(result.output(NODE).map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
		});

		it('schedules the items that have a time', async () => {
			const later = new Date(Date.now() + 3_600_000).toISOString();
			const result = await run(
				[
					{ phone: '34600000001', at: '' },
					{ phone: '34600000002', at: later },
				],
				{ ...sendMany, options: { scheduleTime: '={{ $json.at }}' } },
			);

			expect(result.json(NODE).map((json) => json.status)).toEqual(['queued', 'scheduled']);
			expect((await manager.getMetrics()).delayed).toBe(1);
		});

		it('queues nothing when an item is invalid', async () => {
			const result = await run(mixed, sendMany);

			expect(result.error?.context?.itemIndex).toBe(1);
			expect((await manager.getMetrics()).waiting).toBe(0);
		});

		it('queues the valid items with continue on fail', async () => {
			const addBulk = jest.spyOn(QueueManager.prototype, 'enqueueBulk');
			const result = await run(mixed, sendMany, 'continueRegularOutput');

			const output = result.output(NODE);
			expect(addBulk).toHaveBeenCalledTimes(1);
			expect(output.map((item) => item.json.status ?? 'error')).toEqual([
				'queued',
				'error',
				'queued',
			]);
			expect(output.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
			expect((await manager.getMetrics('sales')).waiting).toBe(2);
		});

		it('marks duplicates within one call', async () => {
			const result = await run([{ key: 'k1' }, { key: 'k1' }], {
				...textMessage('34600000001'),
				operation: 'sendMany',
				options: { idempotencyKey: '={{ $json.key }}' },
			});

			expect(result.json(NODE).map((json) => json.status)).toEqual(['queued', 'duplicate']);
		});
	});

	describe('Message: Get Status and Cancel', () => {
		it('reads the state of a queued message', async () => {
			const job = await manager.addMessage({
				instanceName: 'sales',
				recipientPhone: '34600000001',
				messageType: 'text',
				content: { text: 'Hi' },
			});
			const result = await run([{}], {
				resource: 'message',
				operation: 'getStatus',
				jobId: job.id,
			});

			const [status] = result.json(NODE);
			expect(status.state).toBe('waiting');
			expect(status.attempts).toBe(0);
			expect(status.gatewayMessageId).toBeNull();
			expect(status.lastError).toBeNull();
		});

		it('cancels a waiting message', async () => {
			const job = await manager.addMessage({
				instanceName: 'sales',
				recipientPhone: '34600000001',
				messageType: 'text',
				content: { text: 'Hi' },
			});
			const result = await run([{}], {
				resource: 'message',
				operation: 'cancel',
				cancelBy: 'jobId',
				jobId: job.id,
			});

			expect(result.json(NODE)[0]).toEqual({ jobId: job.id, cancelled: true, state: 'unknown' });
			expect((await manager.getMetrics('sales')).waiting).toBe(0);
		});

		it('cancels every unsent message of a campaign', async () => {
			await manager.addBulk(
				['34600000001', '34600000002'].map((recipientPhone) => ({
					instanceName: 'sales',
					recipientPhone,
					messageType: 'text' as const,
					content: { text: 'Hi' },
					metadata: { campaignId: 'spring' },
				})),
			);
			const result = await run([{}], {
				resource: 'message',
				operation: 'cancel',
				cancelBy: 'campaign',
				campaignId: 'spring',
			});

			expect(result.json(NODE)[0].cancelled).toBe(2);
			expect((await manager.getMetrics('sales')).waiting).toBe(0);
		});
	});

	describe('Dead-Letter Queue', () => {
		let gateway: TestGateway;
		let worker: DeliveryWorker;

		async function deadLetter(phones: string[]): Promise<string[]> {
			const jobs = await manager.addBulk(
				phones.map((recipientPhone) => ({
					instanceName: 'sales',
					recipientPhone,
					messageType: 'text' as const,
					content: { text: 'Hi' },
				})),
			);
			await waitFor(async () => (await manager.getMetrics('sales')).dlq === phones.length, {
				description: `${phones.length} dead-lettered messages`,
			});
			return jobs.map((job) => job.id);
		}

		beforeEach(async () => {
			gateway = await startTestGateway({
				instances: ['sales'],
				notOnWhatsApp: ['34600000009', '34600000008'],
			});
			worker = new DeliveryWorker({
				queue: { redis: server.connection, prefix, rateLimiting: { max: 0, duration: 1000 } },
				gateway: gateway.client,
				pollIntervalMs: 100,
			});
			await worker.start();
		});

		afterEach(async () => {
			await worker.close();
			await gateway.sandbox.stop();
		});

		it('lists entries with reason and response', async () => {
			const [jobId] = await deadLetter(['34600000009']);
			const result = await run([{}], { resource: 'deadLetterQueue', operation: 'list', limit: 10 });

			const [entry] = result.json(NODE);
			expect(entry.jobId).toBe(jobId);
			expect(entry.reason).toBe('not_on_whatsapp');
			expect(entry.statusCode).toBe(400);
			expect(entry.gatewayResponse).toBeDefined();
			expect(result.output(NODE)[0].pairedItem).toEqual({ item: 0 });
		});

		it('retries one entry', async () => {
			const [jobId] = await deadLetter(['34600000009']);
			await worker.close();
			const result = await run([{}], { resource: 'deadLetterQueue', operation: 'retry', jobId });

			expect(result.json(NODE)[0].jobId).toBe(jobId);
			expect((await manager.getMetrics('sales')).dlq).toBe(0);
			expect((await manager.getMetrics('sales')).waiting).toBe(1);
		});

		it('retries every entry', async () => {
			await deadLetter(['34600000009', '34600000008']);
			await worker.close();
			const result = await run([{}], { resource: 'deadLetterQueue', operation: 'retryAll' });

			expect(result.output(NODE)).toHaveLength(2);
			expect((await manager.getMetrics('sales')).waiting).toBe(2);
		});

		it('removes one entry', async () => {
			const [jobId] = await deadLetter(['34600000009']);
			const result = await run([{}], { resource: 'deadLetterQueue', operation: 'remove', jobId });

			expect(result.json(NODE)[0]).toEqual({ jobId, removed: true });
			expect((await manager.getMetrics('sales')).dlq).toBe(0);
		});

		it('clears every entry', async () => {
			await deadLetter(['34600000009', '34600000008']);
			const result = await run([{}], {
				resource: 'deadLetterQueue',
				operation: 'clear',
				instanceName: 'sales',
			});

			expect(result.json(NODE)[0].removed).toBe(2);
			expect((await manager.getMetrics('sales')).dlq).toBe(0);
		});
	});

	describe('Queue', () => {
		async function queueTwo(): Promise<void> {
			await manager.addBulk(
				['34600000001', '34600000002'].map((recipientPhone) => ({
					instanceName: 'sales',
					recipientPhone,
					messageType: 'text' as const,
					content: { text: 'Hi' },
				})),
			);
		}

		it('reports totals and per-instance counts', async () => {
			await queueTwo();
			const result = await run([{}], { resource: 'queue', operation: 'getMetrics' });

			const [metrics] = result.json(NODE);
			expect(metrics.waiting).toBe(2);
			expect((metrics.instances as IDataObject).sales).toEqual(
				expect.objectContaining({ waiting: 2 }),
			);
			expect(metrics.sentPerMinute).toBe(0);
		});

		it('pauses and resumes an instance', async () => {
			await queueTwo();
			await run([{}], { resource: 'queue', operation: 'pause', instanceName: 'sales' });
			const paused = await manager.getMetrics();
			await run([{}], { resource: 'queue', operation: 'resume', instanceName: 'sales' });
			const resumed = await manager.getMetrics();

			expect(paused.pausedInstances).toEqual(['sales']);
			expect(paused.paused).toBe(2);
			expect(resumed.pausedInstances).toEqual([]);
			expect(resumed.waiting).toBe(2);
		});

		it('drains waiting messages', async () => {
			await queueTwo();
			const result = await run([{}], { resource: 'queue', operation: 'drain' });

			expect(result.json(NODE)[0].removed).toBe(2);
			expect((await manager.getMetrics()).waiting).toBe(0);
		});

		it('cleans finished jobs', async () => {
			const result = await run([{}], {
				resource: 'queue',
				operation: 'clean',
				olderThanSeconds: 0,
			});

			expect(result.json(NODE)[0]).toEqual({ instanceName: null, removed: 0 });
		});

		it('stores a rate limit for an instance', async () => {
			const result = await run([{}], {
				resource: 'queue',
				operation: 'setRateLimit',
				instanceName: 'sales',
				maxMessages: 30,
				windowSeconds: 60,
			});

			expect(result.json(NODE)[0]).toEqual({
				instanceName: 'sales',
				maxMessages: 30,
				windowSeconds: 60,
			});
			expect(await manager.getRateLimit('sales')).toEqual(
				expect.objectContaining({ max: 30, duration: 60_000, source: 'instance' }),
			);
		});
	});

	describe('item errors of every operation', () => {
		/** One valid value (absent when no value can succeed alone) and one invalid value per operation. */
		const cases: Array<[string, INodeParameters, string | undefined, string]> = [
			['message send', textMessage('={{ $json.value }}'), '34600000001', 'abc'],
			[
				'message sendMany',
				{ ...textMessage('={{ $json.value }}'), operation: 'sendMany' },
				'34600000001',
				'abc',
			],
			[
				'message getStatus',
				{ resource: 'message', operation: 'getStatus', jobId: '={{ $json.value }}' },
				'sales:none',
				'nocolon',
			],
			[
				'message cancel',
				{
					resource: 'message',
					operation: 'cancel',
					cancelBy: 'jobId',
					jobId: '={{ $json.value }}',
				},
				'sales:none',
				'nocolon',
			],
			[
				'deadLetterQueue list',
				{ resource: 'deadLetterQueue', operation: 'list', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'deadLetterQueue retry',
				{ resource: 'deadLetterQueue', operation: 'retry', jobId: '={{ $json.value }}' },
				undefined,
				'nocolon',
			],
			[
				'deadLetterQueue retryAll',
				{ resource: 'deadLetterQueue', operation: 'retryAll', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'deadLetterQueue remove',
				{ resource: 'deadLetterQueue', operation: 'remove', jobId: '={{ $json.value }}' },
				'sales:none',
				'nocolon',
			],
			[
				'deadLetterQueue clear',
				{ resource: 'deadLetterQueue', operation: 'clear', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue getMetrics',
				{ resource: 'queue', operation: 'getMetrics', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue pause',
				{ resource: 'queue', operation: 'pause', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue resume',
				{ resource: 'queue', operation: 'resume', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue drain',
				{ resource: 'queue', operation: 'drain', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue clean',
				{ resource: 'queue', operation: 'clean', instanceName: '={{ $json.value }}' },
				'sales',
				' sales',
			],
			[
				'queue setRateLimit',
				{
					resource: 'queue',
					operation: 'setRateLimit',
					instanceName: '={{ $json.value }}',
					maxMessages: 10,
					windowSeconds: 60,
				},
				'sales',
				' sales',
			],
		];

		function itemsFor(
			valid: string | undefined,
			invalid: string,
		): { items: IDataObject[]; badIndex: number } {
			return valid === undefined
				? { items: [{ value: invalid }], badIndex: 0 }
				: { items: [{ value: valid }, { value: invalid }], badIndex: 1 };
		}

		it.each(cases)('%s returns an error item', async (_name, parameters, valid, invalid) => {
			const { items, badIndex } = itemsFor(valid, invalid);
			const result = await run(items, parameters, 'continueRegularOutput');

			const output = result.output(NODE);
			const failed = output.filter((item) => item.json.error !== undefined);
			expect(failed.map((item) => item.pairedItem)).toEqual([{ item: badIndex }]);
			expect(output.every((item) => item.pairedItem !== undefined)).toBe(true);
		});

		it.each(cases)(
			'%s sends the error to the error output',
			async (_name, parameters, valid, invalid) => {
				const { items, badIndex } = itemsFor(valid, invalid);
				const result = await run(items, parameters, 'continueErrorOutput');

				expect(result.output(NODE, 1).map((item) => item.pairedItem)).toEqual([{ item: badIndex }]);
				expect(result.output(NODE, 0).some((item) => item.json.error !== undefined)).toBe(false);
			},
		);

		it.each(cases)('%s fails naming the item', async (_name, parameters, valid, invalid) => {
			const { items, badIndex } = itemsFor(valid, invalid);
			const result = await run(items, parameters);

			expect(result.error?.name).toBe('NodeOperationError');
			expect(result.error?.context?.itemIndex).toBe(badIndex);
		});
	});

	describe('connections', () => {
		it('fails within seconds when Redis is down', async () => {
			const stopped = await startRedisServer();
			const port = stopped.port;
			await stopped.dispose();
			credentials = { whatsAppQueueRedisApi: { host: '127.0.0.1', port, prefix } };

			const started = Date.now();
			const result = await run([{ phone: '34600000001' }], textMessage('={{ $json.phone }}'));

			expect(Date.now() - started).toBeLessThan(10_000);
			expect(result.error?.message).toMatch(/^Redis refused the connection at 127\.0\.0\.1:\d+/);
			expect(result.error?.description).toMatch(/WhatsApp Queue Redis credential/);
		});

		it('fails every item at once when Redis stops', async () => {
			const stopping = await startRedisServer();
			credentials = { whatsAppQueueRedisApi: { host: stopping.host, port: stopping.port, prefix } };
			await stopping.kill();

			const started = Date.now();
			const items = Array.from({ length: 20 }, (_, i) => ({
				phone: `346000000${String(i).padStart(2, '0')}`,
			}));
			const result = await run(items, textMessage('={{ $json.phone }}'), 'continueRegularOutput');
			await stopping.dispose();

			expect(Date.now() - started).toBeLessThan(10_000);
			expect(result.output(NODE)).toHaveLength(20);
			expect(result.json(NODE).every((json) => /^Redis /.test(String(json.error)))).toBe(true);
		});

		it('stays bounded over 200 runs', async () => {
			const baseline = await clientCount();
			const counts: number[] = [];
			for (let runIndex = 0; runIndex < 200; runIndex++) {
				await run([{ phone: '34600000001' }], textMessage('={{ $json.phone }}'));
				if (runIndex % 50 === 49) {
					counts.push(await clientCount());
				}
			}

			expect(counts.every((count) => count <= baseline + 1)).toBe(true);
			expect((await manager.getMetrics('sales')).waiting).toBe(200);
		}, 120_000);

		it('fails within seconds when Redis hangs', async () => {
			const sockets = new Set<Socket>();
			const silent = createServer((socket) => {
				sockets.add(socket);
				socket.on('error', () => undefined);
			});
			await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
			const { port } = silent.address() as AddressInfo;
			credentials = { whatsAppQueueRedisApi: { host: '127.0.0.1', port, prefix } };

			const started = Date.now();
			const result = await run([{ phone: '34600000001' }], textMessage('={{ $json.phone }}'));
			sockets.forEach((socket) => socket.destroy());
			await new Promise((resolve) => silent.close(resolve));

			expect(Date.now() - started).toBeLessThan(10_000);
			expect(result.error?.message).toMatch(/did not answer within 5000 ms/);
		});

		it('returns error items when Redis is down', async () => {
			const port = await getFreePort();
			credentials = { whatsAppQueueRedisApi: { host: '127.0.0.1', port, prefix } };
			const result = await run(
				[{}],
				{ resource: 'queue', operation: 'getMetrics' },
				'continueRegularOutput',
			);

			expect(String(result.json(NODE)[0].error)).toMatch(/^Redis refused the connection/);
		});
	});

	async function readJobData(jobId: string): Promise<{ retry?: unknown }> {
		const client = server.client();
		try {
			const internalId = jobId.slice(jobId.lastIndexOf(':') + 1);
			const raw = await client.hget(new QueueKeys(prefix).jobKey('sales', internalId), 'data');
			return JSON.parse(raw ?? '{}') as { retry?: unknown };
		} finally {
			client.disconnect();
		}
	}

	/** Clients connected to the test server, the checking client excluded. */
	async function clientCount(): Promise<number> {
		const client = server.client();
		try {
			const list = (await client.client('LIST')) as string;
			return list.trim().split('\n').length - 1;
		} finally {
			client.disconnect();
		}
	}

	/** Connections the server accepted since it started. */
	async function totalConnections(): Promise<number> {
		const client = server.client();
		try {
			const stats = (await client.info('stats')) as string;
			const match = /total_connections_received:(\d+)/.exec(stats);
			return Number(match?.[1] ?? 0) - 1;
		} finally {
			client.disconnect();
		}
	}
});
