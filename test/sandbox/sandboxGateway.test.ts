import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SandboxGateway } from '../../sandbox/sandboxGateway';
import { SANDBOX_API_KEY, type SandboxGatewayOptions } from '../../sandbox/types';
import { shareOf } from '../../sandbox/webhooks';
import { waitFor } from '../helpers/waitFor';

interface Answer {
	status: number;
	body: any;
	headers: Headers;
}

/** Sends one request to the sandbox with the global key unless other headers are given. */
async function call(
	gateway: SandboxGateway,
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = { apikey: gateway.apiKey },
): Promise<Answer> {
	let payload: string | undefined;
	if (typeof body === 'string') {
		payload = body;
	} else if (body !== undefined) {
		payload = JSON.stringify(body);
	}
	const response = await fetch(`${gateway.url}${path}`, {
		method,
		headers: {
			...headers,
			...(payload === undefined ? {} : { 'content-type': 'application/json' }),
		},
		body: payload,
	});
	const text = await response.text();
	let parsed: unknown = text;
	try {
		parsed = JSON.parse(text);
	} catch {
		// Plain-text bodies stay as text.
	}
	return { status: response.status, body: parsed, headers: response.headers };
}

interface ReceivedHook {
	path: string;
	headers: IncomingHttpHeaders;
	body: any;
}

/** A local HTTP server that records webhook POSTs and responds with `statuses` in turn, then 200. */
class WebhookReceiver {
	readonly hooks: ReceivedHook[] = [];
	statuses: number[] = [];
	readonly #server: Server;

	constructor() {
		this.#server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				this.hooks.push({
					path: request.url ?? '',
					headers: request.headers,
					body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
				});
				response.writeHead(this.statuses.shift() ?? 200).end();
			});
		});
	}

	get url(): string {
		return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
	}

	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
	}

	async stop(): Promise<void> {
		const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
		this.#server.closeAllConnections();
		await closed;
	}

	ofEvent(event: string): ReceivedHook[] {
		return this.hooks.filter((hook) => hook.body.event === event);
	}
}

const gateways: SandboxGateway[] = [];

async function startGateway(options: SandboxGatewayOptions = {}): Promise<SandboxGateway> {
	const gateway = new SandboxGateway({ instances: ['acme', 'beta'], ...options });
	gateways.push(gateway);
	await gateway.start();
	return gateway;
}

afterEach(async () => {
	await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
});

describe('SandboxGateway routes', () => {
	it('accepts text with stored record', async () => {
		const gateway = await startGateway();
		const before = Math.floor(Date.now() / 1000);

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000001',
			text: 'Hello',
		});

		expect(answer.status).toBe(201);
		expect(answer.body.key.id).toMatch(/^BAE5[0-9A-F]{12}$/);
		expect(answer.body.key.remoteJid).toBe('34600000001@s.whatsapp.net');
		expect(answer.body.key.fromMe).toBe(true);
		expect(answer.body.status).toBe('PENDING');
		expect(answer.body.message).toEqual({ conversation: 'Hello' });
		expect(answer.body.messageType).toBe('conversation');
		expect(answer.body.messageTimestamp).toBeGreaterThanOrEqual(before);
		expect(answer.body.instanceId).toBe(gateway.listInstances()[0].instanceId);
		expect(answer.body.pushName).toBe('Sandbox');
		expect(answer.body.source).toBe('unknown');
	});

	it('stores media by media type', async () => {
		const gateway = await startGateway();
		for (const mediatype of ['image', 'video', 'document', 'audio']) {
			const answer = await call(gateway, 'POST', '/message/sendMedia/acme', {
				number: '34600000001',
				mediatype,
				media: `https://media.example/file.${mediatype}`,
				mimetype: 'application/octet-stream',
				caption: 'Look',
				fileName: 'file.bin',
			});

			expect(answer.status).toBe(201);
			expect(answer.body.messageType).toBe(`${mediatype}Message`);
			expect(answer.body.message[`${mediatype}Message`].url).toBe(
				`https://media.example/file.${mediatype}`,
			);
			expect(answer.body.message[`${mediatype}Message`].caption).toBe('Look');
			expect(answer.body.message[`${mediatype}Message`].fileName).toBe(
				mediatype === 'document' ? 'file.bin' : undefined,
			);
		}
	});

	it('stores voice notes as ptt', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendWhatsAppAudio/acme', {
			number: '34600000001',
			audio: 'https://media.example/voice.mp3',
		});

		expect(answer.status).toBe(201);
		expect(answer.body.messageType).toBe('audioMessage');
		expect(answer.body.message.audioMessage.ptt).toBe(true);
	});

	it('stores video notes and stickers', async () => {
		const gateway = await startGateway();

		const ptv = await call(gateway, 'POST', '/message/sendPtv/acme', {
			number: '34600000001',
			video: 'https://media.example/round.mp4',
		});
		const sticker = await call(gateway, 'POST', '/message/sendSticker/acme', {
			number: '34600000001',
			sticker: 'https://media.example/sticker.webp',
		});

		expect(ptv.body.messageType).toBe('ptvMessage');
		expect(sticker.body.messageType).toBe('stickerMessage');
	});

	it('stores location messages', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendLocation/acme', {
			number: '34600000001',
			latitude: 40.4168,
			longitude: -3.7038,
			name: 'Sol',
			address: 'Puerta del Sol, Madrid',
		});

		expect(answer.status).toBe(201);
		expect(answer.body.message.locationMessage).toEqual({
			degreesLatitude: 40.4168,
			degreesLongitude: -3.7038,
			name: 'Sol',
			address: 'Puerta del Sol, Madrid',
		});
	});

	it('stores contacts as vcards', async () => {
		const gateway = await startGateway();
		const card = { fullName: 'Ana Ruiz', wuid: '34600000002', phoneNumber: '+34 600 000 002' };

		const one = await call(gateway, 'POST', '/message/sendContact/acme', {
			number: '34600000001',
			contact: [card],
		});
		const two = await call(gateway, 'POST', '/message/sendContact/acme', {
			number: '34600000001',
			contact: [card, { ...card, fullName: 'Luis Gil' }],
		});

		expect(one.body.messageType).toBe('contactMessage');
		expect(one.body.message.contactMessage.vcard).toContain('waid=34600000002:+34 600 000 002');
		expect(two.body.messageType).toBe('contactsArrayMessage');
		expect(two.body.message.contactsArrayMessage.contacts).toHaveLength(2);
	});

	it('keeps JID recipients as sent', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '120363000000000001@g.us',
			text: 'Hi group',
		});

		expect(answer.body.key.remoteJid).toBe('120363000000000001@g.us');
	});

	it('answers the connection state', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'GET', '/instance/connectionState/acme');

		expect(answer.status).toBe(200);
		expect(answer.body).toEqual({ instance: { instanceName: 'acme', state: 'open' } });
	});

	it('checks numbers on WhatsApp', async () => {
		const gateway = await startGateway({ notOnWhatsApp: ['34600000009'] });

		const answer = await call(gateway, 'POST', '/chat/whatsappNumbers/acme', {
			numbers: ['34600000001', '+34 600 000 009'],
		});

		expect(answer.status).toBe(200);
		expect(answer.body).toEqual([
			{ exists: true, jid: '34600000001@s.whatsapp.net', number: '34600000001' },
			{ exists: false, jid: '34600000009@s.whatsapp.net', number: '+34 600 000 009' },
		]);
	});

	it('rejects invalid number lists', async () => {
		const gateway = await startGateway();

		const empty = await call(gateway, 'POST', '/chat/whatsappNumbers/acme', { numbers: [] });
		const duplicates = await call(gateway, 'POST', '/chat/whatsappNumbers/acme', {
			numbers: ['1', '1'],
		});

		expect(empty.status).toBe(400);
		expect(duplicates.body.response.message).toEqual(['numbers contains duplicate items']);
	});

	it('stores webhook settings', async () => {
		const gateway = await startGateway();

		const set = await call(gateway, 'POST', '/webhook/set/acme', {
			webhook: { enabled: true, url: 'http://127.0.0.1:9/hooks', events: ['MESSAGES_UPDATE'] },
		});
		const found = await call(gateway, 'GET', '/webhook/find/acme');

		expect(set.status).toBe(201);
		expect(found.body.url).toBe('http://127.0.0.1:9/hooks');
		expect(found.body.events).toEqual(['MESSAGES_UPDATE']);
	});

	it('rejects invalid webhook settings', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/webhook/set/acme', {
			webhook: { enabled: true, url: 'ftp://example' },
		});

		expect(answer.status).toBe(400);
		expect(answer.body.response.message[0]).toMatch(/url/);
	});

	it('answers unknown routes with 404', async () => {
		const gateway = await startGateway();

		const post = await call(gateway, 'POST', '/message/sendNothing/acme', {});
		const get = await call(gateway, 'GET', '/message/sendText/acme');
		const remove = await call(gateway, 'DELETE', '/v1/anything');

		expect(post.status).toBe(404);
		expect(post.body).toEqual({
			status: 404,
			error: 'Not Found',
			response: { message: ['Cannot POST /message/sendNothing/acme'] },
		});
		expect(get.body.response.message).toEqual(['Cannot GET /message/sendText/acme']);
		expect(remove.body.response.message).toEqual(['Cannot DELETE /v1/anything']);
	});

	it('decodes instance names in paths', async () => {
		const gateway = await startGateway({ instances: ['Acme Sales/1'] });

		const answer = await call(
			gateway,
			'POST',
			`/message/sendText/${encodeURIComponent('Acme Sales/1')}`,
			{
				number: '34600000001',
				text: 'Hi',
			},
		);

		expect(answer.status).toBe(201);
		expect(gateway.received[0].instance).toBe('Acme Sales/1');
	});
});

describe('SandboxGateway guards', () => {
	it('checks the instance before the key', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/ghost', {}, {});

		expect(answer.status).toBe(404);
		expect(answer.body).toEqual({
			status: 404,
			error: 'Not Found',
			response: { message: ['The "ghost" instance does not exist'] },
		});
	});

	it('rejects a missing key', async () => {
		const gateway = await startGateway();

		const answer = await call(
			gateway,
			'POST',
			'/message/sendText/acme',
			{ number: '1', text: 'x' },
			{},
		);

		expect(answer.status).toBe(401);
		expect(answer.body).toEqual({
			status: 401,
			error: 'Unauthorized',
			response: { message: 'Unauthorized' },
		});
	});

	it('rejects a wrong key', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'GET', '/instance/connectionState/acme', undefined, {
			apikey: 'wrong',
		});

		expect(answer.status).toBe(401);
	});

	it("accepts the instance's token", async () => {
		const gateway = await startGateway({
			instances: [{ name: 'acme', token: 'acme-token' }, 'beta'],
		});

		const own = await call(gateway, 'GET', '/instance/connectionState/acme', undefined, {
			apikey: 'acme-token',
		});
		const other = await call(gateway, 'GET', '/instance/connectionState/beta', undefined, {
			apikey: 'acme-token',
		});

		expect(own.status).toBe(200);
		expect(other.status).toBe(401);
	});

	it('checks the key before the body', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {}, { apikey: 'wrong' });

		expect(answer.status).toBe(401);
	});

	it('uses the sandbox key by default', async () => {
		const gateway = await startGateway();

		expect(gateway.apiKey).toBe(SANDBOX_API_KEY);
	});
});

describe('SandboxGateway body checks', () => {
	it('lists every missing field', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {});

		expect(answer.status).toBe(400);
		expect(answer.body).toEqual({
			status: 400,
			error: 'Bad Request',
			response: { message: ['requires property "number"', 'requires property "text"'] },
		});
	});

	it('rejects an unknown media type', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendMedia/acme', {
			number: '34600000001',
			mediatype: 'gif',
			media: 'https://media.example/a.gif',
		});

		expect(answer.body.response.message).toEqual([
			'mediatype is not one of enum values: image,document,video,audio',
		]);
	});

	it('rejects contacts without wuid', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendContact/acme', {
			number: '34600000001',
			contact: [{ fullName: 'Ana', phoneNumber: '34600000002' }],
		});

		expect(answer.body.response.message).toEqual(['contact[0] requires property "wuid"']);
	});

	it('rejects non-numeric coordinates', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendLocation/acme', {
			number: '34600000001',
			latitude: '40.4',
			longitude: -3.7,
		});

		expect(answer.body.response.message).toEqual(['latitude is not of a type(s) number']);
	});

	it('rejects invalid JSON', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', '{"number":');

		expect(answer.status).toBe(400);
		expect(answer.body.response.message[0]).toMatch(/^Invalid JSON body/);
	});

	it('rejects a negative delay', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000001',
			text: 'x',
			delay: -5,
		});

		expect(answer.body.response.message).toEqual(['delay must be an integer of at least 0']);
	});
});

describe('SandboxGateway sends', () => {
	it('blocks for the delay field', async () => {
		const gateway = await startGateway();
		const startedAt = Date.now();

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000001',
			text: 'x',
			delay: 300,
		});

		expect(answer.status).toBe(201);
		expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
	});

	it('rejects numbers not on WhatsApp', async () => {
		const gateway = await startGateway({ notOnWhatsApp: ['34600000009'] });

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000009',
			text: 'x',
		});

		expect(answer.status).toBe(400);
		expect(answer.body).toEqual({
			status: 400,
			error: 'Bad Request',
			response: {
				message: [{ jid: '34600000009@s.whatsapp.net', exists: false, number: '34600000009' }],
			},
		});
	});

	it('never checks group recipients', async () => {
		const gateway = await startGateway({ notOnWhatsApp: ['120363000000000001'] });

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '120363000000000001@g.us',
			text: 'x',
		});

		expect(answer.status).toBe(201);
	});

	it('fails sends while connecting', async () => {
		const gateway = await startGateway({ instances: [{ name: 'acme', state: 'connecting' }] });

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000001',
			text: 'x',
		});

		expect(answer.status).toBe(500);
		expect(answer.body.response.message).toEqual([
			"Cannot read properties of undefined (reading 'id')",
		]);
	});

	it('fails sends while closed', async () => {
		const gateway = await startGateway();
		gateway.setInstanceState('acme', 'close');

		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000001',
			text: 'x',
		});

		expect(answer.status).toBe(400);
		expect(answer.body.response.message).toEqual(['Connection Closed']);
	});

	it('records requests and sends', async () => {
		const gateway = await startGateway();

		await call(gateway, 'POST', '/message/sendText/acme', { number: '34600000001', text: 'a' });
		await call(gateway, 'POST', '/message/sendText/acme', { number: '34600000001' });
		await call(gateway, 'POST', '/message/sendText/beta', { number: '34600000002', text: 'b' });

		expect(gateway.requests).toHaveLength(3);
		expect(gateway.requests[1].statusCode).toBe(400);
		expect(gateway.requests[1].authorized).toBe(true);
		expect(gateway.received.map((message) => message.number)).toEqual([
			'34600000001',
			'34600000002',
		]);
		expect(gateway.received[0].body).toEqual({ number: '34600000001', text: 'a' });
		expect(gateway.stats().instances.acme).toEqual({ state: 'open', requests: 2, received: 1 });
		expect(gateway.stats().instances.beta).toEqual({ state: 'open', requests: 1, received: 1 });
	});

	it('drops the oldest records past maxRecords', async () => {
		const gateway = await startGateway({ maxRecords: 2 });

		for (const text of ['a', 'b', 'c']) {
			await call(gateway, 'POST', '/message/sendText/acme', { number: '34600000001', text });
		}

		expect(gateway.received.map((message) => message.body.text)).toEqual(['b', 'c']);
		expect(gateway.stats().received).toBe(3);
	});
});

describe('SandboxGateway faults', () => {
	const send = (gateway: SandboxGateway, instance = 'acme', number = '34600000001') =>
		call(gateway, 'POST', `/message/sendText/${instance}`, { number, text: 'x' });

	it('answers with status and headers', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'respond', status: 429, headers: { 'Retry-After': '2' }, count: 1 });

		const limited = await send(gateway);
		const next = await send(gateway);

		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toBe('2');
		expect(limited.body).toEqual({
			status: 429,
			error: 'Too Many Requests',
			response: { message: ['Too Many Requests'] },
		});
		expect(next.status).toBe(201);
	});

	it('puts the message in the envelope', async () => {
		const gateway = await startGateway();
		gateway.addFault({
			action: 'respond',
			status: 400,
			message: 'Media upload failed on all hosts',
		});

		const answer = await send(gateway);

		expect(answer.body.response.message).toEqual(['Media upload failed on all hosts']);
	});

	it('matches by instance and number', async () => {
		const gateway = await startGateway();
		gateway.addFault({
			action: 'respond',
			status: 500,
			instance: 'beta',
			number: '+34 600 000 002',
		});

		const otherInstance = await send(gateway, 'acme', '34600000002');
		const otherNumber = await send(gateway, 'beta', '34600000001');
		const matching = await send(gateway, 'beta', '34600000002');

		expect(otherInstance.status).toBe(201);
		expect(otherNumber.status).toBe(201);
		expect(matching.status).toBe(500);
	});

	it('matches by route', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'respond', status: 503, route: 'connectionState' });

		const state = await call(gateway, 'GET', '/instance/connectionState/acme');
		const sent = await send(gateway);

		expect(state.status).toBe(503);
		expect(sent.status).toBe(201);
	});

	it('keeps unlimited rules active', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'respond', status: 502 });

		const statuses = [];
		for (let index = 0; index < 3; index += 1) {
			statuses.push((await send(gateway)).status);
		}

		expect(statuses).toEqual([502, 502, 502]);
		expect(gateway.faults[0].matched).toBe(3);
		expect(gateway.faults[0].remaining).toBeNull();
	});

	it('uses rules in order', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'respond', status: 500, count: 1 });
		gateway.addFault({ action: 'respond', status: 503, count: 1 });

		const first = await send(gateway);
		const second = await send(gateway);
		const third = await send(gateway);

		expect([first.status, second.status, third.status]).toEqual([500, 503, 201]);
		expect(gateway.faults).toHaveLength(0);
	});

	it('resets the socket', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'reset', count: 1 });

		await expect(send(gateway)).rejects.toThrow('fetch failed');
		expect(gateway.requests[0].fault).toBe('reset');
	});

	it('hangs until the client aborts', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'hang', count: 1 });

		const hanging = fetch(`${gateway.url}/message/sendText/acme`, {
			method: 'POST',
			headers: { apikey: gateway.apiKey, 'content-type': 'application/json' },
			body: JSON.stringify({ number: '34600000001', text: 'x' }),
			signal: AbortSignal.timeout(200),
		});

		await expect(hanging).rejects.toThrow(/aborted|timeout/i);
		expect(gateway.requests[0].statusCode).toBeUndefined();
	});

	it('adds latency from delay rules', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'delay', latencyMs: 250, count: 1 });
		const startedAt = Date.now();

		const answer = await send(gateway);

		expect(answer.status).toBe(201);
		expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
	});

	it('removes rules by id', async () => {
		const gateway = await startGateway();
		const fault = gateway.addFault({ action: 'respond', status: 500 });

		expect(gateway.removeFault(fault.id)).toBe(true);
		expect((await send(gateway)).status).toBe(201);
	});

	it('rejects invalid rules', async () => {
		const gateway = await startGateway();

		expect(() => gateway.addFault({ action: 'explode' } as never)).toThrow(
			/Invalid fault action "explode"/,
		);
		expect(() => gateway.addFault({ action: 'respond', count: 0 })).toThrow(
			/Invalid fault count 0/,
		);
		expect(() => gateway.addFault({ action: 'delay' })).toThrow(/Invalid fault latencyMs/);
	});

	it('applies fixed global latency', async () => {
		const gateway = await startGateway({ latency: 200 });
		const startedAt = Date.now();

		await send(gateway);

		expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
	});

	it('applies ranged global latency', async () => {
		const gateway = await startGateway();
		gateway.setLatency({ minMs: 150, maxMs: 200 });
		const startedAt = Date.now();

		await send(gateway);

		expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
	});

	it('rejects an inverted latency range', async () => {
		const gateway = await startGateway();

		expect(() => gateway.setLatency({ minMs: 200, maxMs: 100 })).toThrow(/Invalid latency/);
	});
});

describe('SandboxGateway admin routes', () => {
	it('requires the global key', async () => {
		const gateway = await startGateway({ instances: [{ name: 'acme', token: 'acme-token' }] });

		const none = await call(gateway, 'GET', '/_sandbox/stats', undefined, {});
		const token = await call(gateway, 'GET', '/_sandbox/stats', undefined, {
			apikey: 'acme-token',
		});

		expect(none.status).toBe(401);
		expect(token.status).toBe(401);
	});

	it('adds and lists faults', async () => {
		const gateway = await startGateway();

		const added = await call(gateway, 'POST', '/_sandbox/faults', {
			action: 'respond',
			status: 500,
			count: 2,
		});
		await call(gateway, 'POST', '/message/sendText/acme', { number: '1', text: 'x' });
		const listed = await call(gateway, 'GET', '/_sandbox/faults');

		expect(added.status).toBe(201);
		expect(added.body.id).toMatch(/^fault-/);
		expect(listed.body.faults[0].remaining).toBe(1);
	});

	it('deletes faults', async () => {
		const gateway = await startGateway();
		const one = gateway.addFault({ action: 'respond', status: 500 });
		gateway.addFault({ action: 'respond', status: 502 });

		const byId = await call(gateway, 'DELETE', `/_sandbox/faults/${one.id}`);
		const missing = await call(gateway, 'DELETE', `/_sandbox/faults/${one.id}`);
		const all = await call(gateway, 'DELETE', '/_sandbox/faults');

		expect(byId.body).toEqual({ removed: 1 });
		expect(missing.status).toBe(404);
		expect(all.body).toEqual({ removed: 1 });
	});

	it('rejects invalid fault rules', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'POST', '/_sandbox/faults', {
			action: 'respond',
			status: 99,
		});

		expect(answer.status).toBe(400);
		expect(answer.body.error).toMatch(/Invalid fault status 99/);
	});

	it('changes instance state', async () => {
		const gateway = await startGateway();

		const changed = await call(gateway, 'PUT', '/_sandbox/instances/acme', { state: 'connecting' });
		const state = await call(gateway, 'GET', '/instance/connectionState/acme');

		expect(changed.body.state).toBe('connecting');
		expect(state.body.instance.state).toBe('connecting');
	});

	it('creates instances', async () => {
		const gateway = await startGateway();

		await call(gateway, 'PUT', '/_sandbox/instances/gamma', {});
		const answer = await call(gateway, 'POST', '/message/sendText/gamma', {
			number: '1',
			text: 'x',
		});

		expect(answer.status).toBe(201);
	});

	it('rejects an unknown state', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'PUT', '/_sandbox/instances/acme', { state: 'asleep' });

		expect(answer.status).toBe(400);
		expect(answer.body.error).toMatch(/Invalid state "asleep"/);
	});

	it('sets numbers not on WhatsApp', async () => {
		const gateway = await startGateway();

		await call(gateway, 'PUT', '/_sandbox/not-on-whatsapp', { numbers: ['34600000009'] });
		const answer = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000009',
			text: 'x',
		});

		expect(answer.body.response.message[0].exists).toBe(false);
	});

	it('sets and clears latency', async () => {
		const gateway = await startGateway();

		const set = await call(gateway, 'PUT', '/_sandbox/latency', { minMs: 10, maxMs: 20 });
		const cleared = await call(gateway, 'PUT', '/_sandbox/latency', {});
		const invalid = await call(gateway, 'PUT', '/_sandbox/latency', { latencyMs: -1 });

		expect(set.body).toEqual({ latency: { minMs: 10, maxMs: 20 } });
		expect(cleared.body).toEqual({ latency: null });
		expect(invalid.status).toBe(400);
	});

	it('lists received messages by instance', async () => {
		const gateway = await startGateway();
		await call(gateway, 'POST', '/message/sendText/acme', { number: '1', text: 'a' });
		await call(gateway, 'POST', '/message/sendText/beta', { number: '2', text: 'b' });

		const all = await call(gateway, 'GET', '/_sandbox/received');
		const beta = await call(gateway, 'GET', '/_sandbox/received?instance=beta');

		expect(all.body.count).toBe(2);
		expect(beta.body.received.map((message: { number: string }) => message.number)).toEqual(['2']);
	});

	it('lists requests', async () => {
		const gateway = await startGateway();
		await call(gateway, 'GET', '/instance/connectionState/acme');

		const answer = await call(gateway, 'GET', '/_sandbox/requests');

		expect(answer.body.requests[0]).toMatchObject({
			method: 'GET',
			path: '/instance/connectionState/acme',
			instance: 'acme',
			statusCode: 200,
		});
	});

	it('returns stats', async () => {
		const gateway = await startGateway();
		await call(gateway, 'POST', '/message/sendText/acme', { number: '1', text: 'a' });

		const answer = await call(gateway, 'GET', '/_sandbox/stats');

		expect(answer.body).toEqual({
			requests: 1,
			received: 1,
			instances: {
				acme: { state: 'open', requests: 1, received: 1 },
				beta: { state: 'open', requests: 0, received: 0 },
			},
			webhooks: { delivered: 0, failed: 0, pending: 0 },
		});
	});

	it('resets to the configured state', async () => {
		const gateway = await startGateway({ notOnWhatsApp: ['34600000009'] });
		gateway.addFault({ action: 'respond', status: 500, count: 1 });
		gateway.setInstanceState('acme', 'close');
		gateway.setNotOnWhatsApp([]);
		await call(gateway, 'GET', '/instance/connectionState/acme');

		const reset = await call(gateway, 'POST', '/_sandbox/reset');
		const missing = await call(gateway, 'POST', '/message/sendText/acme', {
			number: '34600000009',
			text: 'x',
		});

		expect(reset.body).toEqual({ reset: true });
		expect(gateway.faults).toHaveLength(0);
		expect(missing.body.response.message[0].exists).toBe(false);
		expect(gateway.stats().instances.acme.state).toBe('open');
		expect(gateway.requests).toHaveLength(1);
	});

	it('answers unknown admin routes with 404', async () => {
		const gateway = await startGateway();

		const answer = await call(gateway, 'GET', '/_sandbox/nothing');

		expect(answer.status).toBe(404);
		expect(answer.body.error).toMatch(/No sandbox admin route GET \/_sandbox\/nothing/);
	});

	it('keeps admin requests out of records', async () => {
		const gateway = await startGateway();

		await call(gateway, 'GET', '/_sandbox/stats');

		expect(gateway.requests).toHaveLength(0);
	});
});

describe('SandboxGateway webhooks', () => {
	let receiver: WebhookReceiver;

	beforeEach(async () => {
		receiver = new WebhookReceiver();
		await receiver.start();
	});

	afterEach(async () => {
		await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
		await receiver.stop();
	});

	const fastWebhook = () => ({
		url: receiver.url,
		headers: { 'x-webhook-secret': 'hook-secret' },
		deliveredAfterMs: 10,
		readAfterMs: 30,
		readRatio: 1,
		retryDelayMs: 10,
	});

	const sendText = async (gateway: SandboxGateway, number = '34600000001') =>
		(await call(gateway, 'POST', '/message/sendText/acme', { number, text: 'x' })).body;

	it('posts delivery and read updates', async () => {
		const gateway = await startGateway({
			instances: [{ name: 'acme', token: 'acme-token', ownerNumber: '34911000000' }],
			webhook: fastWebhook(),
		});

		const record = await sendText(gateway);
		await waitFor(() => receiver.ofEvent('messages.update').length === 2, {
			description: 'two status updates',
		});

		const updates = receiver.ofEvent('messages.update');
		const delivered = updates.find((hook) => hook.body.data.status === 'DELIVERY_ACK')!;
		expect(updates.map((hook) => hook.body.data.status).sort()).toEqual(['DELIVERY_ACK', 'READ']);
		expect(delivered.body).toMatchObject({
			event: 'messages.update',
			instance: 'acme',
			destination: receiver.url,
			sender: '34911000000@s.whatsapp.net',
			server_url: gateway.url,
			apikey: 'acme-token',
		});
		expect(Number.isNaN(Date.parse(delivered.body.date_time))).toBe(false);
		expect(delivered.body.data).toMatchObject({
			keyId: record.key.id,
			remoteJid: '34600000001@s.whatsapp.net',
			fromMe: true,
			instanceId: record.instanceId,
		});
		expect(typeof delivered.body.data.messageId).toBe('string');
		expect(delivered.headers['x-webhook-secret']).toBe('hook-secret');
	});

	it('posts PLAYED for voice notes', async () => {
		const gateway = await startGateway({ webhook: fastWebhook() });

		await call(gateway, 'POST', '/message/sendWhatsAppAudio/acme', {
			number: '34600000001',
			audio: 'https://media.example/voice.ogg',
		});
		await waitFor(() => receiver.ofEvent('messages.update').length === 2);

		const statuses = receiver.ofEvent('messages.update').map((hook) => hook.body.data.status);
		expect(statuses.sort()).toEqual(['DELIVERY_ACK', 'PLAYED']);
	});

	it('picks read messages by id hash', async () => {
		const gateway = await startGateway({ webhook: { ...fastWebhook(), readRatio: 0.5 } });

		const ids: string[] = [];
		for (let index = 0; index < 12; index += 1) {
			ids.push((await sendText(gateway)).key.id);
		}
		const expectedRead = ids.filter((id) => shareOf(id, 'read') < 0.5);
		await waitFor(
			() => receiver.ofEvent('messages.update').length === ids.length + expectedRead.length,
			{
				description: 'all status updates',
			},
		);
		await waitFor(() => gateway.stats().webhooks.pending === 0);

		const read = receiver
			.ofEvent('messages.update')
			.filter((hook) => hook.body.data.status === 'READ')
			.map((hook) => hook.body.data.keyId);
		expect(read.sort()).toEqual(expectedRead.sort());
	});

	it('posts replies as upserts', async () => {
		const gateway = await startGateway({
			webhook: { ...fastWebhook(), replyRatio: 1, replyAfterMs: 20, replyText: 'Yes please' },
		});

		await sendText(gateway);
		const [reply] = await waitFor(() => {
			const upserts = receiver.ofEvent('messages.upsert');
			return upserts.length > 0 ? upserts : undefined;
		});

		expect(reply.body.data).toMatchObject({
			key: { remoteJid: '34600000001@s.whatsapp.net', fromMe: false },
			message: { conversation: 'Yes please' },
			messageType: 'conversation',
			status: 'DELIVERY_ACK',
			pushName: 'Sandbox contact',
		});
		expect(typeof reply.body.data.messageTimestamp).toBe('number');
	});

	it('sends duplicates when configured', async () => {
		const gateway = await startGateway({
			webhook: { ...fastWebhook(), readRatio: 0, duplicateRatio: 1 },
		});

		const record = await sendText(gateway);
		await waitFor(() => receiver.ofEvent('messages.update').length === 2);

		const keys = receiver
			.ofEvent('messages.update')
			.map((hook) => `${hook.body.data.keyId}:${hook.body.data.status}`);
		expect(keys).toEqual([`${record.key.id}:DELIVERY_ACK`, `${record.key.id}:DELIVERY_ACK`]);
		expect(gateway.webhookDeliveries.map((delivery) => delivery.duplicate)).toEqual([false, true]);
	});

	it('retries failed posts', async () => {
		const gateway = await startGateway({ webhook: { ...fastWebhook(), readRatio: 0 } });
		receiver.statuses = [500, 503];

		await sendText(gateway);
		await waitFor(() => gateway.webhookDeliveries[0]?.ok);

		expect(receiver.hooks).toHaveLength(3);
		expect(gateway.webhookDeliveries[0].attempts).toBe(3);
	});

	it('gives up after maxAttempts', async () => {
		const gateway = await startGateway({
			webhook: { ...fastWebhook(), readRatio: 0, maxAttempts: 2 },
		});
		receiver.statuses = [500, 500, 500];

		await sendText(gateway);
		await waitFor(() => gateway.stats().webhooks.failed === 1);

		expect(receiver.hooks).toHaveLength(2);
	});

	it('skips retries after 4xx', async () => {
		const gateway = await startGateway({ webhook: { ...fastWebhook(), readRatio: 0 } });
		receiver.statuses = [401];

		await sendText(gateway);
		await waitFor(() => gateway.stats().webhooks.failed === 1);

		expect(gateway.webhookDeliveries[0].attempts).toBe(1);
		expect(gateway.webhookDeliveries[0].statusCode).toBe(401);
	});

	it('uses per-instance settings', async () => {
		const gateway = await startGateway({
			webhook: { deliveredAfterMs: 10, readAfterMs: 20, readRatio: 1 },
		});
		await call(gateway, 'POST', '/webhook/set/acme', {
			webhook: {
				enabled: true,
				url: receiver.url,
				byEvents: true,
				headers: { authorization: 'Bearer hook' },
				events: ['MESSAGES_UPDATE', 'SEND_MESSAGE'],
			},
		});

		await sendText(gateway);
		await waitFor(() => receiver.hooks.length === 3);

		expect(receiver.hooks.map((hook) => hook.path).sort()).toEqual([
			'/hooks/messages-update',
			'/hooks/messages-update',
			'/hooks/send-message',
		]);
		expect(receiver.hooks[0].headers.authorization).toBe('Bearer hook');
	});

	it('sends nothing to disabled webhooks', async () => {
		const gateway = await startGateway({ webhook: fastWebhook() });
		await call(gateway, 'POST', '/webhook/set/acme', { webhook: { enabled: false } });

		await sendText(gateway);

		expect(gateway.stats().webhooks.pending).toBe(0);
	});

	it('skips receipts for groups', async () => {
		const gateway = await startGateway({
			webhook: { ...fastWebhook(), events: ['MESSAGES_UPDATE', 'SEND_MESSAGE'] },
		});

		await sendText(gateway, '120363000000000001@g.us');
		await waitFor(() => gateway.stats().webhooks.pending === 0);

		expect(receiver.hooks.map((hook) => hook.body.event)).toEqual(['send.message']);
	});

	it('posts inbound messages on demand', async () => {
		const gateway = await startGateway({ webhook: fastWebhook() });

		const record = await gateway.sendInbound('acme', '34600000005', 'Hi there');

		expect(receiver.ofEvent('messages.upsert')).toHaveLength(1);
		expect(receiver.hooks[0].body.data.key).toEqual({
			remoteJid: '34600000005@s.whatsapp.net',
			fromMe: false,
			id: record.key.id,
		});
	});

	it('posts inbound messages over HTTP', async () => {
		const gateway = await startGateway({ webhook: fastWebhook() });

		const answer = await call(gateway, 'POST', '/_sandbox/inbound', {
			instance: 'acme',
			from: '34600000005',
			text: 'Hi',
		});

		expect(answer.status).toBe(201);
		expect(receiver.hooks[0].body.data.message).toEqual({ conversation: 'Hi' });
	});

	it('rejects inbound without a webhook', async () => {
		const gateway = await startGateway();

		await expect(gateway.sendInbound('acme', '34600000005', 'Hi')).rejects.toThrow(
			/has no webhook URL/,
		);
	});

	it('cancels pending webhooks on stop', async () => {
		const gateway = await startGateway({ webhook: { ...fastWebhook(), deliveredAfterMs: 60_000 } });
		await sendText(gateway);

		expect(gateway.stats().webhooks.pending).toBeGreaterThan(0);
		await gateway.stop();

		expect(gateway.stats().webhooks.pending).toBe(0);
		expect(receiver.hooks).toHaveLength(0);
	});

	it('cancels retry waits on stop', async () => {
		const gateway = await startGateway({
			webhook: { ...fastWebhook(), readRatio: 0, retryDelayMs: 60_000 },
		});
		receiver.statuses = [500];

		await sendText(gateway);
		await waitFor(() => receiver.hooks.length === 1);
		await gateway.stop();

		expect(gateway.stats().webhooks.failed).toBe(1);
	});
});

describe('SandboxGateway lifecycle', () => {
	it('closes hanging connections on stop', async () => {
		const gateway = await startGateway();
		gateway.addFault({ action: 'hang' });
		const hanging = fetch(`${gateway.url}/instance/connectionState/acme`, {
			headers: { apikey: gateway.apiKey },
		});
		await waitFor(() => gateway.requests.length === 1);

		await gateway.stop();

		await expect(hanging).rejects.toThrow('fetch failed');
	});

	it('ends latency waits on stop', async () => {
		const gateway = await startGateway({ latency: 60_000 });
		const waiting = call(gateway, 'GET', '/instance/connectionState/acme');
		await waitFor(() => gateway.requests.length === 1);

		await gateway.stop();

		await expect(waiting).rejects.toThrow('fetch failed');
	});

	it('rejects start after stop', async () => {
		const gateway = await startGateway();
		await gateway.stop();

		await expect(gateway.start()).rejects.toThrow(/was stopped/);
	});

	it('throws for url before start', () => {
		const gateway = new SandboxGateway();

		expect(() => gateway.url).toThrow(/not listening/);
	});

	it('rejects an empty API key', () => {
		expect(() => new SandboxGateway({ apiKey: '' })).toThrow(/Invalid sandbox API key/);
	});

	it('rejects invalid webhook ratios', () => {
		expect(() => new SandboxGateway({ webhook: { readRatio: 2 } })).toThrow(
			/Invalid webhook.readRatio 2/,
		);
	});
});
