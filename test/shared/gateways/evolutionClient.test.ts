import { SandboxGateway } from '../../../sandbox/sandboxGateway';
import type { SandboxFaultRule } from '../../../sandbox/faults';
import { ConfigError, GatewayError, ValidationError } from '../../../shared/errors';
import { EvolutionClient } from '../../../shared/gateways/evolution/client';
import type { LogMetadata, Logger } from '../../../shared/logger';
import type { NormalizedMessage } from '../../../shared/message';
import { getFreePort } from '../../helpers/ports';

const API_KEY = 'evo-test-key-7f3a9c';

function textMessage(overrides: Partial<NormalizedMessage> = {}): NormalizedMessage {
	return {
		instanceName: 'acme',
		recipientPhone: '34600000001',
		recipientInput: '+34 600 000 001',
		messageType: 'text',
		content: { text: 'Hello' },
		metadata: { priority: 'normal' },
		...overrides,
	};
}

/** Runs `promise` and returns the GatewayError it rejects with. */
async function gatewayError(promise: Promise<unknown>): Promise<GatewayError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof GatewayError) {
			return error;
		}
		throw error;
	}
	throw new Error('Expected a GatewayError, but the call succeeded.');
}

let gateway: SandboxGateway;
let client: EvolutionClient;

beforeEach(async () => {
	gateway = new SandboxGateway({
		apiKey: API_KEY,
		instances: ['acme', 'Acme Sales/1'],
		notOnWhatsApp: ['34600000009'],
	});
	await gateway.start();
	client = new EvolutionClient({ baseUrl: gateway.url, apiKey: API_KEY });
});

afterEach(async () => {
	await gateway.stop();
});

describe('EvolutionClient constructor', () => {
	it('rejects a relative base URL', () => {
		expect(() => new EvolutionClient({ baseUrl: '/api', apiKey: API_KEY })).toThrow(ConfigError);
	});

	it('rejects a non-HTTP protocol', () => {
		expect(() => new EvolutionClient({ baseUrl: 'ftp://127.0.0.1', apiKey: API_KEY })).toThrow(
			/Invalid Evolution API base URL protocol "ftp:"/,
		);
	});

	it('rejects credentials in the URL', () => {
		const create = () =>
			new EvolutionClient({ baseUrl: 'http://user:pa55@127.0.0.1', apiKey: API_KEY });

		expect(create).toThrow(/contains a user name or password/);
		expect(create).not.toThrow(/pa55/);
	});

	it('rejects an empty API key', () => {
		expect(() => new EvolutionClient({ baseUrl: 'http://127.0.0.1', apiKey: ' ' })).toThrow(
			/Missing Evolution API key/,
		);
	});

	it('rejects an invalid timeout', () => {
		expect(
			() => new EvolutionClient({ baseUrl: 'http://127.0.0.1', apiKey: API_KEY, timeoutMs: 0 }),
		).toThrow(/Invalid timeoutMs 0/);
	});

	it('keeps the key out of errors', () => {
		const create = () => new EvolutionClient({ baseUrl: `not a url ${API_KEY}`, apiKey: API_KEY });

		expect(create).toThrow(/Invalid Evolution API base URL/);
		expect(create).not.toThrow(API_KEY);
	});

	it('tolerates a trailing slash', async () => {
		const slashed = new EvolutionClient({ baseUrl: `${gateway.url}/`, apiKey: API_KEY });

		const result = await slashed.send(textMessage());

		expect(slashed.baseUrl).toBe(gateway.url);
		expect(result.statusCode).toBe(201);
	});

	it('defaults the timeout to 20 s', () => {
		expect(client.timeoutMs).toBe(20_000);
	});
});

describe('EvolutionClient.send', () => {
	it('sends text and returns key.id', async () => {
		const result = await client.send(textMessage());

		expect(gateway.received[0].path).toBe('/message/sendText/acme');
		expect(gateway.received[0].body).toEqual({ number: '34600000001', text: 'Hello' });
		expect(result).toEqual({
			messageId: gateway.received[0].messageId,
			status: 'PENDING',
			remoteJid: '34600000001@s.whatsapp.net',
			statusCode: 201,
		});
	});

	it('authenticates with the apikey header', async () => {
		await client.send(textMessage());

		expect(gateway.requests[0].authorized).toBe(true);
	});

	it('sends the chosen text part', async () => {
		await client.send(textMessage({ textParts: ['Part one', 'Part two'] }), { textPart: 1 });

		expect(gateway.received[0].body.text).toBe('Part two');
	});

	it('rejects a missing text part', async () => {
		await expect(
			client.send(textMessage({ textParts: ['Only'] }), { textPart: 3 }),
		).rejects.toThrow(ValidationError);
		expect(gateway.requests).toHaveLength(0);
	});

	it('rejects unknown message types', async () => {
		await expect(client.send(textMessage({ messageType: 'poll' as never }))).rejects.toThrow(
			/Unsupported message type "poll"/,
		);
	});

	it('keeps JID recipients as given', async () => {
		await client.send(textMessage({ recipientPhone: '120363000000000001@g.us' }));

		expect(gateway.received[0].number).toBe('120363000000000001@g.us');
	});

	it('encodes the instance name', async () => {
		await client.send(textMessage({ instanceName: 'Acme Sales/1' }));

		expect(gateway.received[0].path).toBe('/message/sendText/Acme%20Sales%2F1');
		expect(gateway.received[0].instance).toBe('Acme Sales/1');
	});

	it('sends image URLs with caption', async () => {
		await client.send(
			textMessage({
				messageType: 'image',
				content: { url: 'https://media.example/a.jpg', mimeType: 'image/jpeg', caption: 'Look' },
			}),
		);

		expect(gateway.received[0].path).toBe('/message/sendMedia/acme');
		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			mediatype: 'image',
			media: 'https://media.example/a.jpg',
			mimetype: 'image/jpeg',
			caption: 'Look',
		});
	});

	it('sends base64 video', async () => {
		await client.send(
			textMessage({
				messageType: 'video',
				content: { base64: 'AAAAGGZ0eXA=', mimeType: 'video/mp4' },
			}),
		);

		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			mediatype: 'video',
			media: 'AAAAGGZ0eXA=',
			mimetype: 'video/mp4',
		});
	});

	it('sends documents with file name', async () => {
		await client.send(
			textMessage({
				messageType: 'document',
				content: { url: 'https://media.example/r.pdf', fileName: 'report.pdf', caption: 'Q3' },
			}),
		);

		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			mediatype: 'document',
			media: 'https://media.example/r.pdf',
			caption: 'Q3',
			fileName: 'report.pdf',
		});
	});

	it('sends audio as voice note', async () => {
		await client.send(
			textMessage({ messageType: 'audio', content: { url: 'https://media.example/v.ogg' } }),
		);

		expect(gateway.received[0].path).toBe('/message/sendWhatsAppAudio/acme');
		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			audio: 'https://media.example/v.ogg',
		});
	});

	it('sends locations', async () => {
		await client.send(
			textMessage({
				messageType: 'location',
				content: { latitude: 40.4168, longitude: -3.7038, name: 'Sol', address: 'Madrid' },
			}),
		);

		expect(gateway.received[0].path).toBe('/message/sendLocation/acme');
		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			latitude: 40.4168,
			longitude: -3.7038,
			name: 'Sol',
			address: 'Madrid',
		});
	});

	it('sends contacts with wuid digits', async () => {
		await client.send(
			textMessage({
				messageType: 'contact',
				content: {
					contacts: [
						{
							fullName: 'Ana Ruiz',
							phoneNumber: '+34 600-000-002',
							organization: 'Acme',
							email: 'ana@acme.test',
						},
						{ fullName: 'Luis Gil', phoneNumber: '34600000003' },
					],
				},
			}),
		);

		expect(gateway.received[0].path).toBe('/message/sendContact/acme');
		expect(gateway.received[0].body).toEqual({
			number: '34600000001',
			contact: [
				{
					fullName: 'Ana Ruiz',
					wuid: '34600000002',
					phoneNumber: '+34 600-000-002',
					organization: 'Acme',
					email: 'ana@acme.test',
				},
				{ fullName: 'Luis Gil', wuid: '34600000003', phoneNumber: '34600000003' },
			],
		});
	});

	it('reuses kept-alive connections', async () => {
		for (let index = 0; index < 4; index += 1) {
			await client.send(textMessage());
		}

		const ports = new Set(gateway.requests.map((request) => request.remotePort));
		expect(ports.size).toBeLessThan(4);
	});
});

describe('EvolutionClient.send classification', () => {
	const fault = (
		rule: Omit<SandboxFaultRule, 'action'> & { action?: SandboxFaultRule['action'] },
	) => gateway.addFault({ action: 'respond', ...rule });

	it('retries 500 answers', async () => {
		fault({ status: 500, message: 'Internal failure' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('server_error');
		expect(error.statusCode).toBe(500);
		expect(error.gatewayResponse).toEqual({
			status: 500,
			error: 'Internal Server Error',
			response: { message: ['Internal failure'] },
		});
	});

	it('retries while the instance connects', async () => {
		gateway.setInstanceState('acme', 'connecting');

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.message).toContain("Cannot read properties of undefined (reading 'id')");
	});

	it('retries while the instance is closed', async () => {
		gateway.setInstanceState('acme', 'close');

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('connection_closed');
		expect(error.message).toMatch(/^Instance "acme" is not connected to WhatsApp/);
	});

	it('dead-letters numbers not on WhatsApp', async () => {
		const error = await gatewayError(client.send(textMessage({ recipientPhone: '34600000009' })));

		expect(error.kind).toBe('permanent');
		expect(error.reason).toBe('not_on_whatsapp');
		expect(error.statusCode).toBe(400);
		expect(error.message).toMatch(
			/^Number 34600000009 is not on WhatsApp \(gateway checked 34600000009@s\.whatsapp\.net\)\./,
		);
	});

	it('retries failed media uploads', async () => {
		fault({ status: 400, message: 'Media upload failed on all hosts' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('media_failed');
	});

	it('rejects other 400 answers', async () => {
		fault({ status: 400, message: 'Text exceeds the allowed length' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('permanent');
		expect(error.reason).toBe('rejected');
		expect(error.message).toContain('Text exceeds the allowed length');
	});

	it('rejects schema errors', async () => {
		const error = await gatewayError(
			client.send(textMessage({ messageType: 'location', content: { latitude: 1 } as never })),
		);

		expect(error.kind).toBe('permanent');
		expect(error.message).toContain('requires property "longitude"');
	});

	it.each([403, 413, 422, 418])('rejects HTTP %i', async (status) => {
		fault({ status, message: 'Refused by policy' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('permanent');
		expect(error.statusCode).toBe(status);
		expect(error.message).toContain('Refused by policy');
	});

	it('retries 408 answers', async () => {
		fault({ status: 408 });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('request_timeout');
	});

	it('retries reset connections', async () => {
		fault({ action: 'reset' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('network');
		expect(error.statusCode).toBeUndefined();
	});

	it('retries refused connections', async () => {
		const port = await getFreePort();
		const closed = new EvolutionClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY });

		const error = await gatewayError(closed.send(textMessage()));

		expect(error.reason).toBe('network');
		expect(error.message).toContain('ECONNREFUSED');
	});

	it('times out hanging requests', async () => {
		fault({ action: 'hang' });
		const impatient = new EvolutionClient({
			baseUrl: gateway.url,
			apiKey: API_KEY,
			timeoutMs: 200,
		});

		const error = await gatewayError(impatient.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('timeout');
		expect(error.message).toContain('within 200 ms');
	});

	it('stops on the caller signal', async () => {
		fault({ action: 'hang' });
		const controller = new AbortController();

		const sending = gatewayError(client.send(textMessage(), { signal: controller.signal }));
		controller.abort();
		const error = await sending;

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('aborted');
	});

	it('reads Retry-After seconds', async () => {
		fault({ status: 429, headers: { 'Retry-After': '2' } });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('rate_limited');
		expect(error.retryAfterMs).toBe(2000);
	});

	it('reads Retry-After dates', async () => {
		fault({ status: 429, headers: { 'Retry-After': new Date(Date.now() + 30_000).toUTCString() } });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.retryAfterMs).toBeGreaterThan(25_000);
		expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
	});

	it('defaults Retry-After to 60 s', async () => {
		fault({ status: 429 });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.retryAfterMs).toBe(60_000);
	});

	it('caps Retry-After at one hour', async () => {
		fault({ status: 429, headers: { 'Retry-After': '86400' } });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.retryAfterMs).toBe(3_600_000);
	});

	it('pauses the instance on 401', async () => {
		const wrong = new EvolutionClient({ baseUrl: gateway.url, apiKey: 'wrong-key' });

		const error = await gatewayError(wrong.send(textMessage()));

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('unauthorized');
		expect(error.message).toContain('EVOLUTION_API_KEY');
	});

	it('pauses unknown instances', async () => {
		const error = await gatewayError(client.send(textMessage({ instanceName: 'ghost' })));

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('instance_not_found');
		expect(error.message).toMatch(/^Instance "ghost" does not exist/);
	});

	it('pauses on missing routes', async () => {
		const wrongVersion = new EvolutionClient({ baseUrl: `${gateway.url}/v1`, apiKey: API_KEY });

		const error = await gatewayError(wrongVersion.send(textMessage()));

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('route_not_found');
		expect(error.message).toContain('EVOLUTION_API_URL');
	});

	it('pauses on foreign 404 pages', async () => {
		fault({ status: 404, body: '<html>Not Found</html>' });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.reason).toBe('route_not_found');
		expect(error.gatewayResponse).toBe('<html>Not Found</html>');
	});

	it('retries 2xx without key.id', async () => {
		fault({ status: 201, body: { ok: true } });

		const error = await gatewayError(client.send(textMessage()));

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('invalid_response');
		expect(error.statusCode).toBe(201);
	});

	it('truncates large gateway responses', async () => {
		fault({ status: 500, body: 'x'.repeat(10_000) });

		const error = await gatewayError(client.send(textMessage()));

		expect(typeof error.gatewayResponse).toBe('string');
		expect(Buffer.byteLength(error.gatewayResponse as string)).toBeLessThanOrEqual(4096 + 20);
		expect(error.gatewayResponse as string).toMatch(/…\[truncated\]$/);
	});
});

describe('EvolutionClient secrecy', () => {
	const rules: SandboxFaultRule[] = [
		{ action: 'respond', status: 500, message: `Bad key ${API_KEY} in header` },
		{ action: 'respond', status: 400, body: { echo: { apikey: API_KEY } } },
		{ action: 'respond', status: 429, headers: { 'Retry-After': '1' } },
		{ action: 'respond', status: 404, body: `Cannot POST /x?apikey=${API_KEY}` },
		{ action: 'reset' },
	];

	it.each(rules.map((rule) => [`${rule.action} ${rule.status ?? ''}`.trim(), rule]))(
		'keeps the key out of %s errors',
		async (_name, rule) => {
			gateway.addFault(rule as SandboxFaultRule);

			const error = await gatewayError(client.send(textMessage()));

			expect(error.message).not.toContain(API_KEY);
			expect(JSON.stringify(error.gatewayResponse ?? null)).not.toContain(API_KEY);
			expect(JSON.stringify(error)).not.toContain(API_KEY);
		},
	);

	it('keeps the key out of 401 errors', async () => {
		const wrong = new EvolutionClient({ baseUrl: gateway.url, apiKey: 'not-the-key-b4d' });

		const error = await gatewayError(wrong.send(textMessage()));

		expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('not-the-key-b4d');
	});

	it('keeps the key out of logs', async () => {
		const lines: Array<{ message: string; metadata?: LogMetadata }> = [];
		const record = (message: string, metadata?: LogMetadata) => lines.push({ message, metadata });
		const logger: Logger = { debug: record, info: record, warn: record, error: record };
		const logged = new EvolutionClient({ baseUrl: gateway.url, apiKey: API_KEY, logger });
		gateway.addFault({ action: 'respond', status: 500, message: API_KEY, count: 1 });
		gateway.addFault({ action: 'reset', count: 1 });

		await logged.send(textMessage()).catch(() => undefined);
		await logged.send(textMessage()).catch(() => undefined);
		await logged.send(textMessage());

		expect(lines).toHaveLength(3);
		expect(JSON.stringify(lines)).not.toContain(API_KEY);
	});

	it('keeps the key off the client object', () => {
		expect(JSON.stringify(client)).not.toContain(API_KEY);
	});
});

describe('EvolutionClient.getConnectionState', () => {
	it('returns the open state', async () => {
		expect(await client.getConnectionState('acme')).toBe('open');
	});

	it('returns the connecting state', async () => {
		gateway.setInstanceState('acme', 'connecting');

		expect(await client.getConnectionState('acme')).toBe('connecting');
	});

	it('rejects unknown instances', async () => {
		const error = await gatewayError(client.getConnectionState('ghost'));

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('instance_not_found');
	});

	it('rejects bodies without state', async () => {
		gateway.addFault({ action: 'respond', status: 200, body: { instance: {} } });

		const error = await gatewayError(client.getConnectionState('acme'));

		expect(error.reason).toBe('invalid_response');
	});
});
