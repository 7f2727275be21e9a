/**
 * Options and records of the sandbox gateway, a local stand-in for
 * Evolution API v2.
 */

import type { Logger } from '../shared/logger';
import type { EvolutionConnectionState } from '../shared/gateways/evolution/types';

/**
 * API key the sandbox accepts when none is configured. It is public and
 * protects nothing, so never reuse it for a real gateway.
 */
export const SANDBOX_API_KEY = 'sandbox-api-key-not-secret';

/** Instance the sandbox creates when no instances are configured. */
export const SANDBOX_DEFAULT_INSTANCE = 'sandbox';

/** One sandbox instance, the stand-in for one connected WhatsApp number. */
export interface SandboxInstanceOptions {
	/** Instance name, the last segment of every route. */
	name: string;
	/** The instance's own API key, accepted besides the global key. */
	token?: string;
	/** Connection state. Sends fail while it is `connecting` or `close`. @defaultValue `'open'` */
	state?: EvolutionConnectionState;
	/** Digits of the instance's own WhatsApp number, the webhook `sender`. @defaultValue `'15550000000'` */
	ownerNumber?: string;
	/** Profile name, the `pushName` of sent messages. @defaultValue `'Sandbox'` */
	profileName?: string;
}

/** Latency added before each response, in milliseconds: a fixed value or a uniform range. */
export type SandboxLatency = number | { minMs: number; maxMs: number };

/**
 * Webhooks the sandbox posts after accepted sends. Timings count from the
 * moment the send was accepted. Which messages are read, replied to or posted
 * twice depends on a hash of the message id, so a run is reproducible.
 */
export interface SandboxWebhookOptions {
	/** URL for every instance without its own `/webhook/set`. Without it only those instances get webhooks. */
	url?: string;
	/** Headers sent with every POST, such as `{ 'x-webhook-secret': '…' }`. */
	headers?: Record<string, string>;
	/** Upper-case events to send. @defaultValue `['MESSAGES_UPDATE', 'MESSAGES_UPSERT']` */
	events?: string[];
	/** Whether the event is appended to the URL, such as `/messages-update`. @defaultValue `false` */
	byEvents?: boolean;
	/** Delay of the `SERVER_ACK` update in milliseconds. None is sent when unset. */
	sentAfterMs?: number;
	/** Delay of the `DELIVERY_ACK` update in milliseconds. @defaultValue `300` */
	deliveredAfterMs?: number;
	/** Delay of the `READ` (`PLAYED` for audio) update in milliseconds. @defaultValue `1500` */
	readAfterMs?: number;
	/** Share of messages, 0 to 1, that get read. @defaultValue `0.6` */
	readRatio?: number;
	/** Delay of the inbound reply in milliseconds. @defaultValue `3000` */
	replyAfterMs?: number;
	/** Share of messages, 0 to 1, that get a `messages.upsert` reply. @defaultValue `0` */
	replyRatio?: number;
	/** Text of simulated replies. @defaultValue `'Thanks, got it.'` */
	replyText?: string;
	/** Share of webhook POSTs, 0 to 1, sent twice, as a retrying gateway does. @defaultValue `0` */
	duplicateRatio?: number;
	/** Attempts per webhook POST, the first included. @defaultValue `4` */
	maxAttempts?: number;
	/** Wait before the first retry in milliseconds, doubled for each later one. @defaultValue `200` */
	retryDelayMs?: number;
	/** Timeout of one webhook POST in milliseconds. @defaultValue `5000` */
	timeoutMs?: number;
}

/** Options of `SandboxGateway`. */
export interface SandboxGatewayOptions {
	/** Address to bind. @defaultValue `'127.0.0.1'` */
	host?: string;
	/** Port to bind, where 0 picks a free one. @defaultValue `0` */
	port?: number;
	/** The global API key. @defaultValue `SANDBOX_API_KEY` */
	apiKey?: string;
	/** Instances, by name or with settings. @defaultValue `['sandbox']` */
	instances?: Array<string | SandboxInstanceOptions>;
	/** Latency added before every response except those of `/_sandbox/` routes. @defaultValue `0` */
	latency?: SandboxLatency;
	/** Numbers that the send-time check reports as not on WhatsApp, compared by digits. */
	notOnWhatsApp?: string[];
	/** Webhooks after accepted sends. None are sent when unset. */
	webhook?: SandboxWebhookOptions;
	/** Maximum number of kept `requests`, `received` and webhook records each. Older ones are dropped. @defaultValue `10000` */
	maxRecords?: number;
	/** Receives starts, stops and webhook failures. */
	logger?: Logger;
}

/** One HTTP request the sandbox received. */
export interface SandboxRequestRecord {
	method: string;
	/** Path without the query string. */
	path: string;
	/** Instance named in the path, when the route has one. */
	instance?: string;
	/** Whether the `apikey` header matched, absent when the guard did not run. */
	authorized?: boolean;
	/** Status sent. Absent while no response was sent, or when the socket was reset or left hanging. */
	statusCode?: number;
	/** `reset` or `hang` when a fault rule handled the request instead of the route. */
	fault?: 'reset' | 'hang';
	/** Client port, which stays the same while a keep-alive connection is reused. */
	remotePort?: number;
	/** Unix time in milliseconds. */
	time: number;
}

/** One send the sandbox accepted. */
export interface SandboxReceivedMessage {
	instance: string;
	/** Request path, such as `/message/sendText/acme`. */
	path: string;
	/** Route name, such as `sendText`. */
	route: string;
	/** `number` exactly as sent. */
	number: string;
	/** JSON body as sent. */
	body: Record<string, unknown>;
	/** `key.id` returned in the 201 response. */
	messageId: string;
	remoteJid: string;
	/** Unix time in milliseconds. */
	time: number;
}

/** One webhook POST, with its attempts. */
export interface SandboxWebhookDelivery {
	instance: string;
	event: string;
	url: string;
	/** `keyId` or `key.id` of the message the event is about. */
	keyId?: string;
	/** Message status of a `messages.update` event. */
	status?: string;
	/** Whether this POST is the deliberate second copy of another. */
	duplicate: boolean;
	attempts: number;
	/** Status of the last response, absent after network errors. */
	statusCode?: number;
	/** Whether the receiver returned a 2xx status. */
	ok: boolean;
	/** Error of the last attempt, when no response arrived. */
	error?: string;
	/** Unix time in milliseconds of the first attempt. */
	time: number;
}

/** Counts for one instance. */
export interface SandboxInstanceStats {
	state: EvolutionConnectionState;
	requests: number;
	received: number;
}

/** Counts returned by `stats()` and `GET /_sandbox/stats`. */
export interface SandboxStats {
	requests: number;
	received: number;
	instances: Record<string, SandboxInstanceStats>;
	webhooks: { delivered: number; failed: number; pending: number };
}
