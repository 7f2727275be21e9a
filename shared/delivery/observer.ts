/**
 * Hooks that see every step of a message's life. Analytics and the event
 * stream for the n8n trigger listen through them. The queue and the worker call
 * them after the state change in Redis. A failing hook is logged and does not
 * change what happens to the message.
 */

import type { Logger } from '../logger';
import { describeError } from '../logger';
import type { MessageType, NormalizedMessage } from '../message';

/** Fields every lifecycle event carries. */
export interface MessageEvent {
	/** Public job id, `<instance>:<id>`. */
	jobId: string;
	instanceName: string;
	/** Normalised recipient. */
	phone: string;
	messageType: MessageType;
	campaignId?: string;
	contactId?: string;
	templateId?: string;
	/** When it happened, epoch ms. */
	timestamp: number;
}

/** The gateway accepted the message. */
export interface SentEvent extends MessageEvent {
	/** Gateway message id that receipts refer to. */
	messageId: string;
	/** Every part's id when a long text was split. */
	messageIds?: string[];
	/** From the start of the successful attempt to the gateway's response, in ms. */
	processingTimeMs: number;
	/** Attempts made, this one included. */
	attempts: number;
}

/** An attempt failed and the message will be tried again. */
export interface AttemptFailedEvent extends MessageEvent {
	error: string;
	reason: string;
	/** The attempt that failed, starting at 1. */
	attempt: number;
	/** Attempts allowed in all. */
	attempts: number;
	/** When the next attempt is due, epoch ms. */
	nextAttemptAt: number;
	statusCode?: number;
	/** The queued message. */
	message: NormalizedMessage;
}

/** The message failed for good and is in the dead-letter queue. */
export interface DeadLetteredEvent extends MessageEvent {
	error: string;
	reason: string;
	attempts: number;
	statusCode?: number;
	gatewayResponse?: unknown;
	/** The queued message, as kept in the dead-letter entry. */
	message: NormalizedMessage;
}

/** Listener for message lifecycle events; every method is optional. */
export interface DeliveryObserver {
	onQueued?(events: MessageEvent[]): Promise<void>;
	onSent?(event: SentEvent): Promise<void>;
	onAttemptFailed?(event: AttemptFailedEvent): Promise<void>;
	onDeadLettered?(event: DeadLetteredEvent): Promise<void>;
	/** A dead-lettered message was queued again. */
	onRequeued?(event: MessageEvent): Promise<void>;
	/** Messages removed unsent by drain or cancel. */
	onCancelled?(events: MessageEvent[]): Promise<void>;
	/** An instance ran out of messages to send. */
	onDrained?(instanceName: string, timestamp: number): Promise<void>;
}

type ObserverMethod = Exclude<keyof DeliveryObserver, never>;

/** Calls one hook on every observer, logging and swallowing their failures. */
export async function notifyObservers<M extends ObserverMethod>(
	observers: readonly DeliveryObserver[],
	method: M,
	logger: Logger,
	...args: Parameters<NonNullable<DeliveryObserver[M]>>
): Promise<void> {
	await Promise.all(
		observers.map(async (observer) => {
			const hook = observer[method] as ((...a: unknown[]) => Promise<void>) | undefined;
			if (!hook) {
				return;
			}
			try {
				await hook.apply(observer, args);
			} catch (error) {
				logger.error('A delivery observer failed; the message itself is unaffected.', {
					hook: method,
					...describeError(error),
				});
			}
		}),
	);
}
