import type { Redis } from 'ioredis';

import { silentLogger } from '../../shared/logger';
import {
	eventStreamKey,
	EventGroupReader,
	EventPublisher,
	EventTailReader,
	type TriggerEvent,
} from '../../shared/events/eventStream';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';

function deadLettered(jobId: string): TriggerEvent {
	return {
		type: 'message.dead_lettered',
		instanceName: 'acme',
		jobId,
		timestamp: new Date().toISOString(),
		error: 'Number 34600000009 is not on WhatsApp.',
	};
}

describe('event streams', () => {
	let server: RedisServer;
	let clients: Redis[];
	let prefix: string;
	let publisher: EventPublisher;

	function client(): Redis {
		const created = server.client();
		clients.push(created);
		return created;
	}

	beforeAll(async () => {
		server = await startRedisServer();
	});

	afterAll(async () => {
		await server.dispose();
	});

	beforeEach(() => {
		clients = [];
		prefix = uniquePrefix();
		publisher = new EventPublisher(client(), prefix, silentLogger);
	});

	afterEach(() => {
		clients.forEach((c) => c.disconnect());
	});

	it('keeps events for an inactive group', async () => {
		const reader = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-a');
		await reader.ensureGroup();
		await publisher.publish(deadLettered('acme:m1'));
		await publisher.publish(deadLettered('acme:m2'));
		const events = await reader.read(10, 100);
		expect(events.map((event) => event.jobId)).toEqual(['acme:m1', 'acme:m2']);
	});

	it('starts a new group at the end', async () => {
		await publisher.publish(deadLettered('acme:old'));
		const reader = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-a');
		await reader.ensureGroup();
		await publisher.publish(deadLettered('acme:new'));
		const events = await reader.read(10, 100);
		expect(events.map((event) => event.jobId)).toEqual(['acme:new']);
	});

	it('delivers each event to one consumer', async () => {
		const a = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-a');
		const b = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-b');
		await a.ensureGroup();
		await b.ensureGroup();
		for (let i = 0; i < 10; i++) {
			await publisher.publish(deadLettered(`acme:m${i}`));
		}
		const [fromA, fromB] = await Promise.all([a.read(5, 100), b.read(5, 100)]);
		const ids = [...fromA, ...fromB].map((event) => event.jobId).sort();
		expect(ids).toHaveLength(10);
		expect(new Set(ids).size).toBe(10);
	});

	it('gives unacknowledged events to another consumer', async () => {
		const crashed = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-a');
		const survivor = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-b');
		await crashed.ensureGroup();
		await publisher.publish(deadLettered('acme:m1'));
		expect(await crashed.read(10, 100)).toHaveLength(1);
		const claimed = await survivor.claimStale(0, 10);
		await survivor.ack(claimed);
		expect(claimed.map((event) => event.jobId)).toEqual(['acme:m1']);
		expect(await survivor.claimStale(0, 10)).toHaveLength(0);
	});

	it('reads several types, each type in order', async () => {
		const reader = new EventGroupReader(client(), prefix, ['message.sent', 'message.dead_lettered'], 'wf1', 'n8n-a');
		await reader.ensureGroup();
		await publisher.publish({ type: 'message.sent', instanceName: 'acme', jobId: 'acme:m1', timestamp: '' });
		await publisher.publish(deadLettered('acme:m2'));
		await publisher.publish({ type: 'message.sent', instanceName: 'acme', jobId: 'acme:m3', timestamp: '' });
		const jobIds = (await reader.read(10, 100)).map((event) => event.jobId);
		// Streams of different types number their entries apart, so two events
		// of different types written in the same millisecond may come either way.
		expect([...jobIds].sort()).toEqual(['acme:m1', 'acme:m2', 'acme:m3']);
		expect(jobIds.indexOf('acme:m1')).toBeLessThan(jobIds.indexOf('acme:m3'));
	});

	it('tails new events without taking them', async () => {
		const group = new EventGroupReader(client(), prefix, ['message.dead_lettered'], 'wf1', 'n8n-a');
		await group.ensureGroup();
		await publisher.publish(deadLettered('acme:before'));
		const tail = new EventTailReader(client(), prefix, ['message.dead_lettered']);
		await tail.start();
		await publisher.publish(deadLettered('acme:after'));
		const tailed = await tail.read(10, 2000);
		const grouped = await group.read(10, 100);
		expect(tailed.map((event) => event.jobId)).toEqual(['acme:after']);
		expect(grouped.map((event) => event.jobId)).toEqual(['acme:before', 'acme:after']);
	});

	it('caps the stream length', async () => {
		const capped = new EventPublisher(client(), prefix, silentLogger, 10);
		const events = Array.from({ length: 500 }, (_, i) => deadLettered(`acme:m${i}`));
		await capped.publishMany(events);
		const length = await client().xlen(eventStreamKey(prefix, 'message.dead_lettered'));
		expect(length).toBeLessThan(500);
	});
});
