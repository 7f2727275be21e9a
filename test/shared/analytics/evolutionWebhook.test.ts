import { parseEvolutionWebhook } from '../../../shared/analytics';
import { ValidationError } from '../../../shared/errors';

/** Builds an envelope as Evolution API v2 posts it, with a fake API key. */
function envelope(event: string, data: unknown): Record<string, unknown> {
	return {
		event,
		instance: 'acme-sales',
		data,
		destination: 'http://127.0.0.1:5678/webhook/evolution',
		date_time: new Date().toISOString(),
		sender: '34699999999@s.whatsapp.net',
		server_url: 'http://127.0.0.1:8080',
		apikey: 'B6D711FCDE4D4FD5936544120E713976',
	};
}

function statusUpdate(
	status: unknown,
	extra: Record<string, unknown> = {},
): Record<string, unknown> {
	return envelope('messages.update', {
		keyId: 'BAE58DA6CBC941BC',
		remoteJid: '34600000001@s.whatsapp.net',
		fromMe: true,
		status,
		instanceId: '0b5a1c53-2f2e-4a0c-9a55-5a2e6f4f1c11',
		messageId: 'cm8x2k1l00001qz0h3b7c9d2e',
		...extra,
	});
}

function inboundText(key: Record<string, unknown>, extra: Record<string, unknown> = {}) {
	return envelope('messages.upsert', {
		key: {
			remoteJid: '34600000001@s.whatsapp.net',
			fromMe: false,
			id: '3EB0C767D26A1D8C1F2A',
			...key,
		},
		pushName: 'Ana',
		status: 'DELIVERY_ACK',
		message: { conversation: 'Yes, please book me in' },
		messageType: 'conversation',
		messageTimestamp: Math.floor(Date.now() / 1000),
		instanceId: '0b5a1c53-2f2e-4a0c-9a55-5a2e6f4f1c11',
		source: 'android',
		...extra,
	});
}

describe('parseEvolutionWebhook', () => {
	it.each([
		['SERVER_ACK', 2],
		['DELIVERY_ACK', 3],
		['READ', 4],
		['PLAYED', 4],
	])('maps %s to receipt level %i', (status, level) => {
		const [event] = parseEvolutionWebhook(statusUpdate(status));
		expect(event).toMatchObject({ kind: 'receipt', level, status, messageId: 'BAE58DA6CBC941BC' });
	});

	it('reads the phone from remoteJid', () => {
		const [event] = parseEvolutionWebhook(statusUpdate('DELIVERY_ACK'));
		expect(event).toMatchObject({ phone: '34600000001', instanceName: 'acme-sales' });
	});

	it('takes key.id when keyId is missing', () => {
		const body = envelope('messages.update', {
			key: { id: 'BAE5AAAA00000001', remoteJid: '34600000001@s.whatsapp.net', fromMe: true },
			status: 'READ',
		});
		const [event] = parseEvolutionWebhook(body);
		expect(event).toMatchObject({ kind: 'receipt', messageId: 'BAE5AAAA00000001' });
	});

	it('maps numeric Baileys statuses', () => {
		const [event] = parseEvolutionWebhook(statusUpdate(3));
		expect(event).toMatchObject({ kind: 'receipt', status: 'DELIVERY_ACK', level: 3 });
	});

	it.each(['PENDING', 'ERROR', 'DELETED'])('ignores the %s status', (status) => {
		const [event] = parseEvolutionWebhook(statusUpdate(status));
		expect(event).toMatchObject({ kind: 'ignored', reason: `${status.toLowerCase()}_status` });
	});

	it('ignores receipts for inbound messages', () => {
		const [event] = parseEvolutionWebhook(statusUpdate('READ', { fromMe: false }));
		expect(event).toMatchObject({ kind: 'ignored', reason: 'inbound_status' });
	});

	it('parses an inbound text message', () => {
		const [event] = parseEvolutionWebhook(inboundText({}));
		expect(event).toMatchObject({
			kind: 'inbound',
			messageId: '3EB0C767D26A1D8C1F2A',
			phone: '34600000001',
			messageType: 'text',
		});
	});

	it('uses messageTimestamp as the inbound time', () => {
		const seconds = Math.floor(Date.now() / 1000) - 600;
		const [event] = parseEvolutionWebhook(inboundText({}, { messageTimestamp: seconds }));
		expect(event).toMatchObject({ atMs: seconds * 1000 });
	});

	it('maps media record types', () => {
		const [event] = parseEvolutionWebhook(inboundText({}, { messageType: 'imageMessage' }));
		expect(event).toMatchObject({ kind: 'inbound', messageType: 'image' });
	});

	it('resolves LID chats to phones', () => {
		const key = { remoteJid: '201234567890123@lid', senderPn: '34600000002@s.whatsapp.net' };
		const [event] = parseEvolutionWebhook(inboundText(key));
		expect(event).toMatchObject({ kind: 'inbound', phone: '34600000002' });
	});

	it('ignores messages sent from the phone', () => {
		const [event] = parseEvolutionWebhook(inboundText({ fromMe: true }));
		expect(event).toMatchObject({ kind: 'ignored', reason: 'from_me' });
	});

	it('ignores status broadcasts', () => {
		const [event] = parseEvolutionWebhook(inboundText({ remoteJid: 'status@broadcast' }));
		expect(event).toMatchObject({ kind: 'ignored', reason: 'status_broadcast' });
	});

	it('ignores protocol messages', () => {
		const [event] = parseEvolutionWebhook(inboundText({}, { messageType: 'protocolMessage' }));
		expect(event).toMatchObject({ kind: 'ignored', reason: 'system_message' });
	});

	it.each(['connection.update', 'send.message', 'presence.update', 'qrcode.updated'])(
		'ignores the %s event',
		(name) => {
			const [event] = parseEvolutionWebhook(envelope(name, { state: 'open' }));
			expect(event).toMatchObject({ kind: 'ignored', reason: 'other_event', event: name });
		},
	);

	it('accepts upper-case event names', () => {
		const [event] = parseEvolutionWebhook({ ...statusUpdate('READ'), event: 'MESSAGES_UPDATE' });
		expect(event).toMatchObject({ kind: 'receipt', event: 'messages.update' });
	});

	it('parses every record of an array', () => {
		const single = statusUpdate('READ');
		const body = { ...single, data: [single.data, { ...(single.data as object), keyId: 'BAE5B' }] };
		expect(parseEvolutionWebhook(body)).toHaveLength(2);
	});

	it('parses a JSON string body', () => {
		const [event] = parseEvolutionWebhook(JSON.stringify(statusUpdate('READ')));
		expect(event).toMatchObject({ kind: 'receipt', level: 4 });
	});

	it('never copies the apikey', () => {
		const events = parseEvolutionWebhook(statusUpdate('READ'));
		expect(JSON.stringify(events)).not.toContain('B6D711FCDE4D4FD5936544120E713976');
	});

	it.each([[null], ['not json'], [{ instance: 'acme' }], [[1, 2]]])(
		'rejects the body %j',
		(body) => {
			expect(() => parseEvolutionWebhook(body)).toThrow(ValidationError);
		},
	);

	it('names the body in the error', () => {
		expect(() => parseEvolutionWebhook({})).toThrow(
			/body: Invalid Evolution API webhook: missing "event"/,
		);
	});
});
