/**
 * The contract between the delivery worker and a WhatsApp gateway client.
 */

import type { NormalizedMessage } from '../message';

/** What the gateway returned for an accepted message. */
export interface SendResult {
	/**
	 * The gateway's id of the sent message (Evolution API: `key.id`). Delivery
	 * and read receipts refer to it.
	 */
	messageId: string;
	/** Status the gateway reported at send time, such as `PENDING`. Accepted, not delivered. */
	status: string;
	/** JID the gateway addressed, such as `34600000001@s.whatsapp.net`. */
	remoteJid?: string;
	/** HTTP status of the answer, 201 for Evolution API. */
	statusCode: number;
}

/** Per-call options of `GatewayClient.send`. */
export interface SendOptions {
	/**
	 * For a message whose text was split, the index of the part to send.
	 * The client sends `message.textParts[textPart]` as a text message.
	 */
	textPart?: number;
	/** Aborts the request, for a forced shutdown. */
	signal?: AbortSignal;
}

/**
 * Sends one message through a gateway. Resolves when the gateway accepted
 * it; rejects with a `GatewayError` that classifies every other outcome.
 */
export interface GatewayClient {
	send(message: NormalizedMessage, options?: SendOptions): Promise<SendResult>;
	/** Prepares the connection before the first send; optional. */
	warmUp?(): Promise<void>;
}
