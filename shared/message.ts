/**
 * The message a caller enqueues, and the normalised form that is stored on
 * the job once validation has passed.
 */

/** Priority names, highest first. */
export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

/** A message priority. `critical` is sent first, `low` last. */
export type Priority = (typeof PRIORITIES)[number];

/** Message types the queue accepts. */
export const MESSAGE_TYPES = [
	'text',
	'image',
	'video',
	'audio',
	'document',
	'location',
	'contact',
] as const;

/** A message type. */
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Content of a `text` message. */
export interface TextContent {
	/** The text, at most 4,096 characters counted as Unicode code points. */
	text: string;
}

/**
 * Content of an `image`, `video`, `audio` or `document` message: either `url`,
 * or `base64` together with `mimeType`.
 */
export interface MediaContent {
	/** Public http or https URL the gateway downloads the media from. */
	url?: string;
	/** Base64-encoded media, without a `data:` prefix. */
	base64?: string;
	/** MIME type such as `image/jpeg`; required with `base64`. */
	mimeType?: string;
	/** Caption shown under an image, video or document, at most 1,024 characters. */
	caption?: string;
	/** File name shown for a document. */
	fileName?: string;
}

/** Content of a `location` message. */
export interface LocationContent {
	/** Latitude in degrees, from -90 to 90. */
	latitude: number;
	/** Longitude in degrees, from -180 to 180. */
	longitude: number;
	name?: string;
	address?: string;
}

/** One contact card of a `contact` message. */
export interface ContactCard {
	fullName: string;
	/** Phone number of the contact, normalised like a recipient number. */
	phoneNumber: string;
	organization?: string;
	email?: string;
}

/** Content of a `contact` message. */
export interface ContactContent {
	contacts: ContactCard[];
}

/** Content of any message type. */
export type MessageContent = TextContent | MediaContent | LocationContent | ContactContent;

/** Metadata kept on the job. Fields other than the named ones are kept as given. */
export interface MessageMetadata {
	/**
	 * Priority as a name, or its number: 1 critical, 2 high, 3 normal, 4 low.
	 * @defaultValue `'normal'`
	 */
	priority?: Priority | 1 | 2 | 3 | 4;
	/** Your id for the contact, kept for reports and events. */
	contactId?: string;
	/** Campaign the message belongs to, for campaign analytics and `cancelCampaign`. */
	campaignId?: string;
	/**
	 * Key that makes enqueueing idempotent within one instance: while a job with
	 * this key exists, enqueueing again queues nothing and returns that job.
	 */
	idempotencyKey?: string;
	[field: string]: unknown;
}

/** A message as callers pass it to `addMessage`, `addBulk` and `scheduleMessage`. */
export interface WhatsAppMessage {
	/** Name of the gateway instance (the sending WhatsApp number). */
	instanceName: string;
	/** Recipient: a phone number with country code, or a WhatsApp JID. */
	recipientPhone: string;
	messageType: MessageType;
	content: MessageContent;
	metadata?: MessageMetadata;
}

/** A message after validation: normalised recipient, checked content, resolved priority. */
export interface NormalizedMessage {
	instanceName: string;
	/** Digits with country code, or a group, LID, broadcast or newsletter JID. */
	recipientPhone: string;
	/** The recipient exactly as the caller gave it. */
	recipientInput: string;
	messageType: MessageType;
	content: MessageContent;
	metadata: MessageMetadata & { priority: Priority };
	/**
	 * Ordered text parts when a long text was split (the `split` text policy).
	 * Each part is sent as its own WhatsApp message, in order.
	 */
	textParts?: string[];
}
