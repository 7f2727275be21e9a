import type { IDataObject } from 'n8n-workflow';

import {
	createQueueManager,
	DeliveryWorker,
	QueueManager,
	type WhatsAppMessage,
} from '../../shared';
import { EventGroupReader, eventStreamKey, type EventType } from '../../shared/events/eventStream';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import { waitFor } from '../helpers/waitFor';
import { alertStateKey } from '../../nodes/WhatsAppQueueTrigger/keys';
import {
	activateWorkflow,
	listenForTestEvent,
	type ActiveWorkflow,
} from '../helpers/n8n/triggerRunner';
import {
	getNode,
	loadWorkflow,
	type TestCredentials,
	type WorkflowFixture,
} from '../helpers/n8n/workflowRunner';

const TRIGGER = 'WhatsApp Queue Trigger';
const NOT_ON_WHATSAPP = ['34600000009', '34600000008', '34600000007', '34600000006', '34600000005'];

function text(
	recipientPhone: string,
	metadata: WhatsAppMessage['metadata'] = {},
	instanceName = 'sales',
): WhatsAppMessage {
	return {
		instanceName,
		recipientPhone,
		messageType: 'text',
		content: { text: 'Hello' },
		metadata,
	};
}

describe('WhatsApp Queue Trigger', () => {
	let server: RedisServer;
	let prefix: string;
	let credentials: TestCredentials;
	let manager: QueueManager;
	let gateway: TestGateway;
	let worker: DeliveryWorker | undefined;
	let workflowCounter = 0;
	const actives: ActiveWorkflow[] = [];

	/** Loads the event workflow with a workflow ID of its own and the given trigger parameters. */
	function eventWorkflow(parameters: IDataObject = {}): WorkflowFixture {
		workflowCounter += 1;
		const fixture = loadWorkflow('queueEvents');
		fixture.id = `queue-events-${workflowCounter}`;
		const trigger = getNode(fixture, TRIGGER);
		trigger.parameters = { ...trigger.parameters, ...parameters } as typeof trigger.parameters;
		return fixture;
	}

	async function activate(fixture: WorkflowFixture): Promise<ActiveWorkflow> {
		const active = await activateWorkflow(fixture, credentials);
		actives.push(active);
		return active;
	}

	async function deactivate(active: ActiveWorkflow): Promise<void> {
		actives.splice(actives.indexOf(active), 1);
		await active.deactivate();
	}

	async function startWorker(): Promise<void> {
		worker = new DeliveryWorker({
			queue: { redis: server.connection, prefix, rateLimiting: { max: 0, duration: 1000 } },
			gateway: gateway.client,
			pollIntervalMs: 100,
		});
		await worker.start();
	}

	/** Queues messages to numbers the sandbox reports as not on WhatsApp and waits until all are dead-lettered. */
	async function deadLetter(
		count: number,
		metadata: WhatsAppMessage['metadata'] = {},
	): Promise<string[]> {
		const before = (await manager.getMetrics()).dlq;
		const jobs = await manager.addBulk(
			NOT_ON_WHATSAPP.slice(0, count).map((phone) => text(phone, metadata)),
		);
		await waitFor(async () => (await manager.getMetrics()).dlq === before + count, {
			description: `${count} more dead-lettered messages`,
		});
		return jobs.map((job) => job.id);
	}

	/** Clients connected to the server, the checking client excluded. */
	async function clientCount(): Promise<number> {
		const client = server.client();
		try {
			const list = (await client.client('LIST')) as string;
			return list.trim().split('\n').length - 1;
		} finally {
			client.disconnect();
		}
	}

	/**
	 * Waits until `count` trigger readers block on their stream read, which
	 * means their triggers finished starting.
	 */
	async function waitForReaders(count: number): Promise<void> {
		const client = server.client();
		try {
			await waitFor(
				async () => {
					const list = (await client.client('LIST')) as string;
					return (list.match(/ cmd=xread(group)? /g) ?? []).length >= count;
				},
				{ description: `${count} blocked stream readers` },
			);
		} finally {
			client.disconnect();
		}
	}

	/** Events of a group that were read and not yet acknowledged. */
	async function pendingCount(
		workflowId: string,
		type: EventType = 'message.dead_lettered',
	): Promise<number> {
		const client = server.client();
		try {
			const key = eventStreamKey(prefix, type);
			const [count] = (await client.xpending(key, `n8n:${workflowId}:c1`)) as [number];
			return count;
		} finally {
			client.disconnect();
		}
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(async () => {
		prefix = uniquePrefix();
		credentials = { whatsAppQueueRedisApi: { host: server.host, port: server.port, prefix } };
		manager = createQueueManager({ redis: server.connection, prefix });
		gateway = await startTestGateway({
			instances: ['sales', 'support'],
			notOnWhatsApp: NOT_ON_WHATSAPP,
		});
	});

	afterEach(async () => {
		jest.restoreAllMocks();
		await Promise.all(actives.splice(0).map((active) => active.deactivate()));
		await worker?.close();
		worker = undefined;
		await gateway.sandbox.stop();
		await manager.close();
	});

	describe('active workflow', () => {
		it('fires once per dead-lettered message', async () => {
			await startWorker();
			const fixture = eventWorkflow();
			const active = await activate(fixture);
			const [jobId] = await deadLetter(1);
			await waitFor(() => active.emitted.length === 1, { description: 'one execution' });
			await waitFor(async () => (await pendingCount(fixture.id!)) === 0, {
				description: 'the ack',
			});
			const [run] = await Promise.all(active.runs);

			const [item] = active.items;
			expect(active.emitted).toHaveLength(1);
			expect(item.event).toBe('message.dead_lettered');
			expect(item.jobId).toBe(jobId);
			expect(item.attempts).toBe(1);
			expect(item.reason).toBe('not_on_whatsapp');
			expect(item.error).toEqual(expect.stringContaining('not on WhatsApp'));
			expect(item.gatewayResponse).toEqual(expect.objectContaining({ status: 400 }));
			expect((item.message as IDataObject).recipientPhone).toBe('34600000009');
			expect(run.data.resultData.runData['Describe Event'][0].data?.main[0]?.[0].json.summary).toBe(
				`message.dead_lettered ${jobId}`,
			);
		});

		it('fires once across two listeners', async () => {
			await startWorker();
			const fixture = eventWorkflow();
			const first = await activate(fixture);
			const second = await activate(fixture);
			const jobIds = await deadLetter(5);
			await waitFor(() => first.emitted.length + second.emitted.length === 5, {
				description: 'five executions',
			});
			await waitFor(async () => (await pendingCount(fixture.id!)) === 0, {
				description: 'the acks',
			});

			const seen = [...first.items, ...second.items].map((item) => item.jobId);
			expect([...seen].sort()).toEqual([...jobIds].sort());
			expect(new Set(seen).size).toBe(5);
		});

		it('catches up after being inactive', async () => {
			await startWorker();
			const fixture = eventWorkflow();
			await deactivate(await activate(fixture));
			const jobIds = await deadLetter(3);
			const active = await activate(fixture);
			await waitFor(() => active.emitted.length === 3, { description: 'three executions' });

			expect(active.items.map((item) => item.jobId).sort()).toEqual([...jobIds].sort());
		});

		it('gives each workflow every event', async () => {
			await startWorker();
			const first = await activate(eventWorkflow());
			const second = await activate(eventWorkflow());
			await deadLetter(2);
			await waitFor(() => first.emitted.length === 2 && second.emitted.length === 2, {
				description: 'two executions in each workflow',
			});

			expect(first.items.map((item) => item.jobId)).toEqual(second.items.map((item) => item.jobId));
		});

		it('filters by instance and campaign', async () => {
			const active = await activate(
				eventWorkflow({ events: ['message.sent'], instanceNames: 'sales', campaignId: 'spring' }),
			);
			await startWorker();
			await manager.addBulk([
				text('34600000001', { campaignId: 'spring' }),
				text('34600000002', { campaignId: 'autumn' }),
				text('34600000003', { campaignId: 'spring' }, 'support'),
			]);
			await waitFor(() => gateway.sandbox.received.length === 3, { description: 'three sends' });
			const isSettled = async () => (await pendingCount(active.workflowId, 'message.sent')) === 0;
			await waitFor(async () => (await isSettled()) && active.emitted.length === 1, {
				description: 'the filtered event',
			});

			expect(active.items.map((item) => item.phone)).toEqual(['34600000001']);
			expect(active.items[0].messageId).toBe(
				gateway.sandbox.received.find((sent) => sent.number === '34600000001')?.messageId,
			);
		});

		it('takes over events of a stopped process', async () => {
			const fixture = eventWorkflow({ options: { reclaimAfterSeconds: 1 } });
			await deactivate(await activate(fixture));
			await startWorker();
			const jobIds = await deadLetter(2);
			const client = server.client();
			const crashed = new EventGroupReader(
				client,
				prefix,
				['message.dead_lettered'],
				'n8n:' + fixture.id + ':c1',
				'crashed',
			);
			const taken = await crashed.read(10, 100);
			client.disconnect();
			const active = await activate(fixture);
			await waitFor(() => active.emitted.length === 2, {
				timeoutMs: 15_000,
				description: 'the reclaimed events',
			});

			expect(taken).toHaveLength(2);
			expect(active.items.map((item) => item.jobId).sort()).toEqual([...jobIds].sort());
		});

		it('releases connections after five activations', async () => {
			const baseline = await clientCount();
			const fixture = eventWorkflow({
				events: ['message.dead_lettered', 'alert.backlog'],
				backlogThreshold: 100,
			});
			for (let cycle = 0; cycle < 5; cycle++) {
				const active = await activate(fixture);
				await deactivate(active);
			}

			await waitFor(async () => (await clientCount()) <= baseline + 1, {
				description: 'connections back to baseline',
			});
			expect(await clientCount()).toBeLessThanOrEqual(baseline + 1);
		});

		it('deactivates even when closing fails', async () => {
			const original = QueueManager.prototype.close;
			jest.spyOn(QueueManager.prototype, 'close').mockImplementation(async function (
				this: QueueManager,
			) {
				await original.call(this);
				throw new Error('close failed');
			});
			const baseline = await clientCount();
			const active = await activate(
				eventWorkflow({ events: ['alert.backlog'], backlogThreshold: 100 }),
			);

			await expect(deactivate(active)).resolves.toBeUndefined();
			await waitFor(async () => (await clientCount()) <= baseline, {
				description: 'connections closed',
			});
		});

		it('rejects bad parameters before connecting', async () => {
			const baseline = await clientCount();

			await expect(activate(eventWorkflow({ events: [] }))).rejects.toThrow(/No events selected/);
			await expect(
				activate(eventWorkflow({ instanceNames: 'sales, bad\u0001name' })),
			).rejects.toThrow(/Instance Names: Invalid instance name/);
			expect(await clientCount()).toBe(baseline);
		});

		it('fails activation when Redis is down', async () => {
			const stopped = await startRedisServer();
			const port = stopped.port;
			await stopped.dispose();
			credentials = { whatsAppQueueRedisApi: { host: '127.0.0.1', port, prefix } };

			await expect(activate(eventWorkflow())).rejects.toThrow(/Redis refused the connection/);
		});
	});

	describe('alerts', () => {
		it('fires a backlog alert once per crossing', async () => {
			const fixture = eventWorkflow({
				events: ['alert.backlog'],
				backlogThreshold: 2,
				options: { checkIntervalSeconds: 1 },
			});
			const first = await activate(fixture);
			const second = await activate(fixture);
			const alerts = () => [...first.items, ...second.items];

			await manager.addBulk(
				['34600000001', '34600000002', '34600000003'].map((phone) => text(phone)),
			);
			await waitFor(() => alerts().length === 1, { description: 'the first alert' });
			await checksAfter(fixture.id!, 'backlog', 3);
			const afterFirstCrossing = alerts().length;
			await manager.drain();
			await checksAfter(fixture.id!, 'backlog', 2);
			await manager.addBulk(
				['34600000001', '34600000002', '34600000003'].map((phone) => text(phone)),
			);
			await waitFor(() => alerts().length === 2, { description: 'the second alert' });
			await checksAfter(fixture.id!, 'backlog', 3);

			expect(afterFirstCrossing).toBe(1);
			expect(alerts()).toHaveLength(2);
			expect(alerts()[0]).toEqual(
				expect.objectContaining({ event: 'alert.backlog', waiting: 3, threshold: 2 }),
			);
		}, 30_000);

		it('fires an error rate alert once', async () => {
			await startWorker();
			await manager.addMessage(text('34600000001'));
			await deadLetter(3);
			const fixture = eventWorkflow({
				events: ['alert.errorRate'],
				errorRateThreshold: 50,
				errorRateWindowMinutes: 5,
				errorRateMinMessages: 4,
				options: { checkIntervalSeconds: 1 },
			});
			const first = await activate(fixture);
			const second = await activate(fixture);
			await waitFor(() => first.emitted.length + second.emitted.length === 1, {
				description: 'the alert',
			});
			await checksAfter(fixture.id!, 'errorRate', 3);

			const alerts = [...first.items, ...second.items];
			expect(alerts).toHaveLength(1);
			expect(alerts[0]).toEqual(
				expect.objectContaining({
					event: 'alert.errorRate',
					errorRate: 75,
					sent: 1,
					deadLettered: 3,
				}),
			);
		}, 30_000);

		it('stays quiet below the minimum', async () => {
			await startWorker();
			await deadLetter(1);
			const fixture = eventWorkflow({
				events: ['alert.errorRate'],
				errorRateThreshold: 10,
				errorRateMinMessages: 2,
				options: { checkIntervalSeconds: 1 },
			});
			const active = await activate(fixture);
			await checksAfter(fixture.id!, 'errorRate', 2);

			expect(active.emitted).toHaveLength(0);
		});
	});

	describe('test listening', () => {
		it('resolves on the first new event', async () => {
			await startWorker();
			await deadLetter(1);
			const listening = listenForTestEvent(eventWorkflow(), credentials);
			await waitForReaders(1);
			const [jobId] = await deadLetter(1, {});
			const run = await listening.result;

			expect(run.error).toBeUndefined();
			expect(run.json(TRIGGER).map((json) => json.jobId)).toEqual([jobId]);
			expect(run.json('Describe Event')[0].summary).toBe(`message.dead_lettered ${jobId}`);
		});

		it('takes nothing from the active workflow', async () => {
			await startWorker();
			const fixture = eventWorkflow();
			const active = await activate(fixture);
			const listening = listenForTestEvent(fixture, credentials);
			await waitForReaders(2);
			const [jobId] = await deadLetter(1);
			const run = await listening.result;
			await waitFor(() => active.emitted.length === 1, { description: 'the active execution' });

			expect(run.json(TRIGGER)[0].jobId).toBe(jobId);
			expect(active.items[0].jobId).toBe(jobId);
		});

		it('fires a test alert above the threshold', async () => {
			await manager.addBulk(['34600000001', '34600000002'].map((phone) => text(phone)));
			const listening = listenForTestEvent(
				eventWorkflow({ events: ['alert.backlog'], backlogThreshold: 1 }),
				credentials,
			);
			const run = await listening.result;

			expect(run.json(TRIGGER)[0]).toEqual(
				expect.objectContaining({ event: 'alert.backlog', waiting: 2 }),
			);
		});

		it('releases connections after five stops', async () => {
			const fixture = eventWorkflow();
			await deactivate(await activate(fixture));
			await startWorker();
			const baseline = await clientCount();
			let failedBetween: string[] = [];
			for (let cycle = 0; cycle < 5; cycle++) {
				const listening = listenForTestEvent(fixture, credentials);
				await waitForReaders(1);
				listening.stop();
				await waitFor(async () => (await clientCount()) <= baseline + 1, {
					description: 'the listener closed',
				});
				if (cycle === 2) {
					failedBetween = await deadLetter(1);
				}
			}
			const active = await activate(fixture);
			await waitFor(() => active.emitted.length === 1, {
				description: 'the event failed between tests',
			});

			expect(await clientCount()).toBeLessThanOrEqual(baseline + 2);
			expect(active.items[0].jobId).toBe(failedBetween[0]);
		});
	});

	/**
	 * Waits until the alert's crossing state was written `count` more times,
	 * that is until that many more checks ran in any of the processes.
	 */
	async function checksAfter(
		workflowId: string,
		alert: 'backlog' | 'errorRate',
		count: number,
	): Promise<void> {
		const client = server.client();
		try {
			const key = alertStateKey(prefix, workflowId, 'c1', alert);
			const readAt = async () => Number((await client.hget(key, 'at')) ?? 0);
			let last = await readAt();
			let seen = 0;
			await waitFor(
				async () => {
					const at = await readAt();
					if (at > last) {
						seen += 1;
						last = at;
					}
					return seen >= count;
				},
				{ timeoutMs: count * 2000 + 5000, intervalMs: 50, description: `${count} ${alert} checks` },
			);
		} finally {
			client.disconnect();
		}
	}
});
