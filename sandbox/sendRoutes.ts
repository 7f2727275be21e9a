/**
 * The sandbox's send routes: body checks in the manner of Evolution's schema
 * validation, and the Baileys content stored for each accepted message.
 */

import { randomBytes } from 'node:crypto';

/** Names of the send routes, the segment after `/message/`. */
export const SEND_ROUTE_NAMES = [
	'sendText',
	'sendMedia',
	'sendWhatsAppAudio',
	'sendPtv',
	'sendSticker',
	'sendLocation',
	'sendContact',
] as const;

/** A send route name. */
export type SendRouteName = (typeof SEND_ROUTE_NAMES)[number];

/** Baileys content of a stored message and its kind. */
export interface StoredContent {
	/** Such as `conversation` or `imageMessage`. */
	messageType: string;
	message: Record<string, unknown>;
}

type Body = Record<string, unknown>;

const MEDIA_TYPES = ['image', 'document', 'video', 'audio'];

const DEFAULT_MIME_TYPES: Record<string, string> = {
	image: 'image/jpeg',
	video: 'video/mp4',
	document: 'application/pdf',
	audio: 'audio/mpeg',
};

/** Returns whether `name` is one of the send routes. */
export function isSendRoute(name: string): name is SendRouteName {
	return (SEND_ROUTE_NAMES as readonly string[]).includes(name);
}

/** Returns whether the recipient plays this route's messages rather than reads them. */
export function isPlayedRoute(route: SendRouteName): boolean {
	return route === 'sendWhatsAppAudio' || route === 'sendPtv';
}

/**
 * Checks a send body: the common fields, then the route's own. Returns one
 * human-readable message per problem, empty when the body is valid.
 */
export function validateSendBody(route: SendRouteName, body: unknown): string[] {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return ['instance is not of a type(s) object'];
	}
	const record = body as Body;
	const issues: string[] = [];

	requireString(record, 'number', issues);
	if (
		record.delay !== undefined &&
		!(Number.isInteger(record.delay) && (record.delay as number) >= 0)
	) {
		issues.push('delay must be an integer of at least 0');
	}
	for (const flag of ['linkPreview', 'mentionsEveryOne']) {
		if (record[flag] !== undefined && typeof record[flag] !== 'boolean') {
			issues.push(`${flag} is not of a type(s) boolean`);
		}
	}

	ROUTE_CHECKS[route](record, issues);
	return issues;
}

const ROUTE_CHECKS: Record<SendRouteName, (body: Body, issues: string[]) => void> = {
	sendText: (body, issues) => requireString(body, 'text', issues),
	sendMedia: (body, issues) => {
		requireString(body, 'mediatype', issues);
		if (typeof body.mediatype === 'string' && !MEDIA_TYPES.includes(body.mediatype)) {
			issues.push(`mediatype is not one of enum values: ${MEDIA_TYPES.join(',')}`);
		}
		requireString(body, 'media', issues);
		for (const field of ['mimetype', 'caption', 'fileName']) {
			optionalString(body, field, issues);
		}
	},
	sendWhatsAppAudio: (body, issues) => requireString(body, 'audio', issues),
	sendPtv: (body, issues) => requireString(body, 'video', issues),
	sendSticker: (body, issues) => requireString(body, 'sticker', issues),
	sendLocation: (body, issues) => {
		requireNumber(body, 'latitude', issues);
		requireNumber(body, 'longitude', issues);
		optionalString(body, 'name', issues);
		optionalString(body, 'address', issues);
	},
	sendContact: (body, issues) => {
		if (body.contact === undefined) {
			issues.push('requires property "contact"');
			return;
		}
		if (!Array.isArray(body.contact) || body.contact.length === 0) {
			issues.push('contact must be an array with at least 1 item');
			return;
		}
		body.contact.forEach((card: unknown, index: number) => {
			if (typeof card !== 'object' || card === null) {
				issues.push(`contact[${index}] is not of a type(s) object`);
				return;
			}
			for (const field of ['fullName', 'wuid', 'phoneNumber']) {
				requireString(card as Body, field, issues, `contact[${index}].`);
			}
		});
	},
};

function requireString(body: Body, field: string, issues: string[], prefix = ''): void {
	const value = body[field];
	if (value === undefined) {
		issues.push(`${prefix ? prefix.slice(0, -1) + ' ' : ''}requires property "${field}"`);
	} else if (typeof value !== 'string') {
		issues.push(`${prefix}${field} is not of a type(s) string`);
	} else if (value.trim() === '') {
		issues.push(`${prefix}${field} must not be empty`);
	}
}

function optionalString(body: Body, field: string, issues: string[]): void {
	if (body[field] !== undefined && typeof body[field] !== 'string') {
		issues.push(`${field} is not of a type(s) string`);
	}
}

function requireNumber(body: Body, field: string, issues: string[]): void {
	const value = body[field];
	if (value === undefined) {
		issues.push(`requires property "${field}"`);
	} else if (typeof value !== 'number' || !Number.isFinite(value)) {
		issues.push(`${field} is not of a type(s) number`);
	}
}

/** Returns the Baileys content the gateway stores for a valid body. */
export function storedContent(route: SendRouteName, body: Body): StoredContent {
	switch (route) {
		case 'sendText':
			return { messageType: 'conversation', message: { conversation: body.text } };

		case 'sendMedia': {
			const mediatype = body.mediatype as string;
			const messageType = `${mediatype}Message`;
			const content: Body = {
				...mediaUrl(body.media),
				mimetype: body.mimetype ?? DEFAULT_MIME_TYPES[mediatype],
				...(body.caption === undefined ? {} : { caption: body.caption }),
				...(mediatype === 'document' && body.fileName !== undefined
					? { fileName: body.fileName }
					: {}),
			};
			return { messageType, message: { [messageType]: content } };
		}

		case 'sendWhatsAppAudio':
			return {
				messageType: 'audioMessage',
				message: {
					audioMessage: { ...mediaUrl(body.audio), mimetype: 'audio/ogg; codecs=opus', ptt: true },
				},
			};

		case 'sendPtv':
			return {
				messageType: 'ptvMessage',
				message: { ptvMessage: { ...mediaUrl(body.video), mimetype: 'video/mp4' } },
			};

		case 'sendSticker':
			return {
				messageType: 'stickerMessage',
				message: { stickerMessage: { ...mediaUrl(body.sticker), mimetype: 'image/webp' } },
			};

		case 'sendLocation':
			return {
				messageType: 'locationMessage',
				message: {
					locationMessage: {
						degreesLatitude: body.latitude,
						degreesLongitude: body.longitude,
						...(body.name === undefined ? {} : { name: body.name }),
						...(body.address === undefined ? {} : { address: body.address }),
					},
				},
			};

		case 'sendContact':
			return contactContent(body.contact as Body[]);
	}
}

/** Returns `{url}` for a media source that is a URL. Base64 sources are not echoed back. */
function mediaUrl(source: unknown): Body {
	return typeof source === 'string' && /^https?:\/\//i.test(source) ? { url: source } : {};
}

function contactContent(cards: Body[]): StoredContent {
	const contacts = cards.map((card) => ({
		displayName: card.fullName,
		vcard: buildVcard(card),
	}));
	if (contacts.length === 1) {
		return { messageType: 'contactMessage', message: { contactMessage: contacts[0] } };
	}
	return {
		messageType: 'contactsArrayMessage',
		message: {
			contactsArrayMessage: { displayName: `${contacts.length} contacts`, contacts },
		},
	};
}

function buildVcard(card: Body): string {
	const lines = ['BEGIN:VCARD', 'VERSION:3.0', `N:${card.fullName}`, `FN:${card.fullName}`];
	if (card.organization !== undefined) {
		lines.push(`ORG:${card.organization};`);
	}
	if (card.email !== undefined) {
		lines.push(`EMAIL:${card.email}`);
	}
	lines.push(`TEL;type=CELL;type=VOICE;waid=${card.wuid}:${card.phoneNumber}`, 'END:VCARD');
	return lines.join('\n');
}

/** Returns a new message id in the form WhatsApp Web uses: `BAE5` and 12 upper-case hex digits. */
export function createMessageId(): string {
	return `BAE5${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** Returns the JID for a number: a JID stays as given, digits get `@s.whatsapp.net`. */
export function toJid(number: string): string {
	return number.includes('@') ? number : `${toDigits(number)}@s.whatsapp.net`;
}

/** Returns the digits of a number, or of the user part of a JID. */
export function toDigits(number: string): string {
	return number.split('@')[0].replace(/\D/g, '');
}

/** Returns whether the number is a group or broadcast JID, which the send-time check skips. */
export function isGroupOrBroadcast(number: string): boolean {
	return /@(g\.us|broadcast)$/i.test(number);
}
