/**
 * Parser of Evolution API v2 webhook envelopes:
 * `{ event, instance, data, destination, date_time, sender, server_url, apikey }`.
 * Only the fields analytics needs are read; `apikey` and the message content
 * are never copied.
 *
 * - `messages.update` with `fromMe: true` is a receipt for an outbound
 *   message: `SERVER_ACK` (accepted), `DELIVERY_ACK` (delivered), `READ` and
 *   `PLAYED` (read). `data.keyId` is the id the send returned as `key.id`.
 * - `messages.upsert` with `key.fromMe: false` is an inbound message.
 * - Every other event, and upserts of messages sent from the phone, are ignored.
 */

import { ValidationError } from '../errors';
import type { MessageType } from '../message';
import { normalizePhone } from './arguments';
import { RECEIPT_LEVEL } from './recorder';
import type { InboundMessageType } from './types';

/** A receipt for an outbound message. */
export interface ParsedReceipt {
	kind: 'receipt';
	event: string;
	instanceName: string;
	messageId: string;
	phone: string;
	/** Gateway status, such as `DELIVERY_ACK`. */
	status: string;
	/** 2 accepted, 3 delivered, 4 read. */
	level: number;
	/** When the gateway sent the event, epoch ms, when the envelope has a valid `date_time`. */
	atMs?: number;
}

/** An inbound message from a contact. */
export interface ParsedInbound {
	kind: 'inbound';
	event: string;
	instanceName: string;
	messageId: string;
	phone: string;
	messageType: InboundMessageType;
	/** When the contact sent the message, epoch ms, when the record has a valid time. */
	atMs?: number;
}

/** An event that analytics does not count. */
export interface ParsedIgnored {
	kind: 'ignored';
	event: string;
	instanceName: string;
	messageId?: string;
	phone?: string;
	status?: string;
	/** Such as `other_event`, `from_me`, `pending_status`. */
	reason: string;
}

/** One event of a webhook body. */
export type ParsedWebhookEvent = ParsedReceipt | ParsedInbound | ParsedIgnored;

/** Baileys numbers statuses 0 to 5; Evolution sends the names. */
const STATUS_NAMES = ['ERROR', 'PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED'];

const STATUS_LEVELS: Record<string, number> = {
	SERVER_ACK: RECEIPT_LEVEL.sent,
	DELIVERY_ACK: RECEIPT_LEVEL.delivered,
	READ: RECEIPT_LEVEL.read,
	PLAYED: RECEIPT_LEVEL.read,
};

/** WhatsApp message record types mapped to the queue's message types. */
const INBOUND_TYPES: Record<string, MessageType> = {
	conversation: 'text',
	extendedTextMessage: 'text',
	imageMessage: 'image',
	videoMessage: 'video',
	ptvMessage: 'video',
	audioMessage: 'audio',
	documentMessage: 'document',
	documentWithCaptionMessage: 'document',
	locationMessage: 'location',
	liveLocationMessage: 'location',
	contactMessage: 'contact',
	contactsArrayMessage: 'contact',
};

/** Record types that carry no message from the contact, such as deletions. */
const SYSTEM_TYPES = new Set(['protocolMessage', 'senderKeyDistributionMessage']);

type Fields = Record<string, unknown>;

/**
 * Parses one webhook body into events. Throws `ValidationError` when the body
 * is not an Evolution envelope, so the HTTP endpoint can respond with 400,
 * which Evolution does not retry. Tolerates unknown events and missing
 * optional fields.
 */
export function parseEvolutionWebhook(body: unknown): ParsedWebhookEvent[] {
	const envelope = asFields(typeof body === 'string' ? parseJson(body) : body);
	if (!envelope || typeof envelope.event !== 'string' || envelope.event === '') {
		throw new ValidationError([
			{
				path: 'body',
				message:
					'Invalid Evolution API webhook: missing "event". Point the Evolution webhook at this endpoint with JSON bodies.',
			},
		]);
	}
	const event = normalizeEventName(envelope.event);
	const instanceName = typeof envelope.instance === 'string' ? envelope.instance : '';
	const sentAtMs = parseDateTime(envelope.date_time);
	const records = Array.isArray(envelope.data) ? envelope.data : [envelope.data];

	if (event === 'messages.update') {
		return records.map((data) => parseUpdate(asFields(data) ?? {}, event, instanceName, sentAtMs));
	}
	if (event === 'messages.upsert') {
		return records.map((data) => parseUpsert(asFields(data) ?? {}, event, instanceName, sentAtMs));
	}
	return [{ kind: 'ignored', event, instanceName, reason: 'other_event' }];
}

/** `MESSAGES_UPDATE` and `messages-update` become `messages.update`. */
function normalizeEventName(name: string): string {
	return name.trim().toLowerCase().replace(/[_-]/g, '.');
}

function parseUpdate(
	data: Fields,
	event: string,
	instanceName: string,
	sentAtMs?: number,
): ParsedWebhookEvent {
	const key = asFields(data.key) ?? {};
	const messageId = checkedId(firstString(data.keyId, key.id));
	const jid = firstString(data.remoteJid, key.remoteJid);
	const status = statusName(data.status);
	const fromMe = data.fromMe ?? key.fromMe;
	const phone = safePhone(jid);
	const base = { event, instanceName, messageId, phone, status };

	if (!messageId) {
		return { kind: 'ignored', ...base, reason: 'missing_message_id' };
	}
	if (fromMe === false) {
		return { kind: 'ignored', ...base, reason: 'inbound_status' };
	}
	const level = STATUS_LEVELS[status];
	if (level === undefined) {
		// NOTE: an ERROR status after the gateway accepted the message is not counted as a failure.
		return { kind: 'ignored', ...base, reason: `${status.toLowerCase() || 'missing'}_status` };
	}
	return {
		kind: 'receipt',
		event,
		instanceName,
		messageId,
		phone: phone ?? '',
		status,
		level,
		atMs: sentAtMs,
	};
}

function parseUpsert(
	data: Fields,
	event: string,
	instanceName: string,
	sentAtMs?: number,
): ParsedWebhookEvent {
	const key = asFields(data.key) ?? {};
	const messageId = checkedId(firstString(key.id));
	const jid = contactJid(key);
	const phone = safePhone(jid);
	const base = { event, instanceName, messageId, phone };

	if (key.fromMe !== false) {
		return { kind: 'ignored', ...base, reason: 'from_me' };
	}
	if (jid === 'status@broadcast') {
		return { kind: 'ignored', ...base, reason: 'status_broadcast' };
	}
	const recordType = typeof data.messageType === 'string' ? data.messageType : '';
	if (SYSTEM_TYPES.has(recordType)) {
		return { kind: 'ignored', ...base, reason: 'system_message' };
	}
	if (!messageId || !phone) {
		return { kind: 'ignored', ...base, reason: messageId ? 'invalid_phone' : 'missing_message_id' };
	}
	return {
		kind: 'inbound',
		event,
		instanceName,
		messageId,
		phone,
		messageType: INBOUND_TYPES[recordType] ?? 'other',
		atMs: parseMessageTimestamp(data.messageTimestamp) ?? sentAtMs,
	};
}

/**
 * Returns the contact's JID. Newer WhatsApp versions address some chats by a
 * LID (`...@lid`), and Evolution then gives the phone JID in `senderPn` or
 * `remoteJidAlt`.
 */
function contactJid(key: Fields): string | undefined {
	const jid = firstString(key.remoteJid);
	if (jid?.endsWith('@lid')) {
		return firstString(key.senderPn, key.remoteJidAlt) ?? jid;
	}
	return jid;
}

function statusName(status: unknown): string {
	if (typeof status === 'number') {
		return STATUS_NAMES[status] ?? String(status);
	}
	return typeof status === 'string' ? status.toUpperCase() : '';
}

function safePhone(jid: string | undefined): string | undefined {
	if (!jid) {
		return undefined;
	}
	try {
		return normalizePhone(jid);
	} catch {
		return undefined;
	}
}

/** Evolution sends `messageTimestamp` in unix seconds, as a number or a string. */
function parseMessageTimestamp(value: unknown): number | undefined {
	const seconds = typeof value === 'string' ? Number(value) : value;
	if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
		return undefined;
	}
	return plausible(seconds * 1000);
}

function parseDateTime(value: unknown): number | undefined {
	return typeof value === 'string' ? plausible(Date.parse(value)) : undefined;
}

/**
 * Returns `ms` when it is within the past year and at most a day ahead of
 * this machine's clock. Otherwise it returns undefined, and the event counts as now.
 */
function plausible(ms: number): number | undefined {
	const dayMs = 24 * 3_600_000;
	const nowMs = Date.now();
	return Number.isFinite(ms) && ms > nowMs - 366 * dayMs && ms < nowMs + dayMs
		? Math.floor(ms)
		: undefined;
}

/** Drops message ids that could not be a gateway's: overlong, or with control characters. */
function checkedId(id: string | undefined): string | undefined {
	// eslint-disable-next-line no-control-regex -- control characters are what this rejects
	return id !== undefined && id.length <= 256 && !/[\u0000-\u001f\u007f]/.test(id) ? id : undefined;
}

function firstString(...values: unknown[]): string | undefined {
	for (const value of values) {
		if (typeof value === 'string' && value !== '') {
			return value;
		}
	}
	return undefined;
}

function asFields(value: unknown): Fields | undefined {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Fields)
		: undefined;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
