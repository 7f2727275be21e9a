/**
 * Request and response shapes of Evolution API v2 (as of version 2.3.6), for
 * the routes this package calls and the webhooks it receives.
 */

/** Connection state of an instance, as Baileys reports it. */
export type EvolutionConnectionState = 'open' | 'connecting' | 'close';

/** Media types that `sendMedia` accepts in its `mediatype` field. */
export type EvolutionMediaType = 'image' | 'video' | 'document' | 'audio';

/**
 * Message status in `messages.update` webhooks, from Baileys' acknowledgement
 * levels: `SERVER_ACK` is one tick (sent), `DELIVERY_ACK` two ticks, `READ` blue
 * ticks, `PLAYED` a played voice note or video.
 */
export type EvolutionMessageStatus =
	| 'ERROR'
	| 'PENDING'
	| 'SERVER_ACK'
	| 'DELIVERY_ACK'
	| 'READ'
	| 'PLAYED'
	| 'DELETED';

/** Optional fields every send body accepts. */
export interface EvolutionSendCommon {
	/**
	 * Recipient: digits with country code, or a JID such as
	 * `34600000001@s.whatsapp.net` or `123@g.us`.
	 */
	number: string;
	/**
	 * Milliseconds the gateway shows "composing…" before it sends. The HTTP call
	 * blocks for this long.
	 */
	delay?: number;
	linkPreview?: boolean;
	mentionsEveryOne?: boolean;
	/** Digits of the members to mention. */
	mentioned?: string[];
}

/** Body of `POST /message/sendText/{instance}`. */
export interface EvolutionSendTextBody extends EvolutionSendCommon {
	text: string;
}

/** Body of `POST /message/sendMedia/{instance}`. */
export interface EvolutionSendMediaBody extends EvolutionSendCommon {
	mediatype: EvolutionMediaType;
	/** A public URL, or base64 without a `data:` prefix. */
	media: string;
	mimetype?: string;
	caption?: string;
	/** File name shown for a document. */
	fileName?: string;
}

/** Body of `POST /message/sendWhatsAppAudio/{instance}`, sent as a voice note. */
export interface EvolutionSendAudioBody extends EvolutionSendCommon {
	/** A public URL, or base64 without a `data:` prefix. */
	audio: string;
	/** Whether the gateway converts the audio to ogg/opus. @defaultValue `true` */
	encoding?: boolean;
}

/** Body of `POST /message/sendPtv/{instance}`, a round video note. */
export interface EvolutionSendPtvBody extends EvolutionSendCommon {
	video: string;
}

/** Body of `POST /message/sendSticker/{instance}`. */
export interface EvolutionSendStickerBody extends EvolutionSendCommon {
	sticker: string;
}

/** Body of `POST /message/sendLocation/{instance}`. */
export interface EvolutionSendLocationBody extends EvolutionSendCommon {
	/** Degrees, from -90 to 90. */
	latitude: number;
	/** Degrees, from -180 to 180. */
	longitude: number;
	name?: string;
	address?: string;
}

/** One card of `sendContact`. */
export interface EvolutionContact {
	fullName: string;
	/** WhatsApp user id of the contact: the digits of its phone number. */
	wuid: string;
	phoneNumber: string;
	organization?: string;
	email?: string;
	url?: string;
}

/** Body of `POST /message/sendContact/{instance}`. */
export interface EvolutionSendContactBody extends EvolutionSendCommon {
	contact: EvolutionContact[];
}

/** Any send body this package builds. */
export type EvolutionSendBody =
	| EvolutionSendTextBody
	| EvolutionSendMediaBody
	| EvolutionSendAudioBody
	| EvolutionSendLocationBody
	| EvolutionSendContactBody;

/** Key of a stored message. `id` is the correlation id that status webhooks repeat as `keyId`. */
export interface EvolutionMessageKey {
	remoteJid: string;
	fromMe: boolean;
	id: string;
	/** Sender inside a group. */
	participant?: string;
}

/**
 * A stored message record: the 201 body of every send, the `data` of
 * `send.message` and of `messages.upsert` webhooks.
 */
export interface EvolutionMessageRecord {
	key: EvolutionMessageKey;
	pushName?: string;
	/** `PENDING` at send time; inbound messages start at `DELIVERY_ACK`. */
	status?: EvolutionMessageStatus;
	/** Baileys message content, keyed by kind: `conversation`, `imageMessage`… */
	message?: Record<string, unknown>;
	contextInfo?: Record<string, unknown> | null;
	/** Kind of `message`, such as `conversation` or `imageMessage`. */
	messageType?: string;
	/** Unix time in seconds. */
	messageTimestamp?: number;
	instanceId?: string;
	/** Device guessed from the message id: `android`, `ios`, `web`, `desktop` or `unknown`. */
	source?: string;
}

/**
 * The error envelope of every handled error. `message` is a string, an array
 * of strings, or (for a number not on WhatsApp) an array of number checks.
 */
export interface EvolutionErrorEnvelope {
	status: number;
	error: string;
	response: { message: unknown };
}

/** One result of `POST /chat/whatsappNumbers/{instance}` and of the send-time check. */
export interface EvolutionNumberCheck {
	exists: boolean;
	/** Such as `34600000001@s.whatsapp.net`. */
	jid: string;
	/** The number as the caller sent it. */
	number: string;
	name?: string;
	lid?: string;
}

/** Body of `GET /instance/connectionState/{instance}`. */
export interface EvolutionConnectionStateBody {
	instance: { instanceName: string; state: EvolutionConnectionState };
}

/** Webhook settings of one instance, the body of `POST /webhook/set/{instance}`. */
export interface EvolutionWebhookSettings {
	webhook: {
		enabled: boolean;
		url: string;
		/** Headers sent with every webhook POST, such as a shared secret. */
		headers?: Record<string, string>;
		/** Whether the event name is appended to the URL as a kebab-case path, such as `/messages-update`. */
		byEvents?: boolean;
		/** Whether media is sent inline as base64. */
		base64?: boolean;
		/** Upper-case event names, such as `MESSAGES_UPDATE`. */
		events: string[];
	};
}

/** The JSON envelope of every webhook POST. */
export interface EvolutionWebhookEnvelope<Data = unknown> {
	/** Dotted lower-case event name, such as `messages.update`. */
	event: string;
	/** Instance name. */
	instance: string;
	data: Data;
	/** The URL the webhook was posted to. */
	destination: string;
	/** ISO 8601 time of sending. */
	date_time: string;
	/** JID of the instance's own WhatsApp number. */
	sender: string;
	/** Public URL of the gateway. */
	server_url: string;
	/** The instance's token; null when the instance has none. */
	apikey: string | null;
}

/** `data` of a `messages.update` webhook. */
export interface EvolutionMessageUpdate {
	/** `key.id` of the message, as returned by the send. */
	keyId: string;
	remoteJid: string;
	fromMe: boolean;
	participant?: string;
	status: EvolutionMessageStatus;
	instanceId: string;
	/** Database id of the stored message, not `key.id`. */
	messageId?: string;
}
