/**
 * Webhooks from the sandbox to the caller: status updates and replies after
 * accepted sends, posted in Evolution's envelope and retried like the real
 * gateway retries them.
 */

import { createHash, randomBytes } from 'node:crypto';

import { ConfigError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type {
	EvolutionMessageRecord,
	EvolutionMessageStatus,
	EvolutionMessageUpdate,
	EvolutionWebhookEnvelope,
} from '../shared/gateways/evolution/types';
import { toJid } from './sendRoutes';
import type { TimerSet } from './timers';
import type { SandboxWebhookDelivery, SandboxWebhookOptions } from './types';

/** Events sent when neither the options nor `/webhook/set` list any. */
export const DEFAULT_WEBHOOK_EVENTS = ['MESSAGES_UPDATE', 'MESSAGES_UPSERT'];

/** Response statuses after which a webhook POST is not retried, as in Evolution API. */
const NO_RETRY_STATUSES = new Set([400, 401, 403, 404, 422]);

/** Destination, headers and events of one instance's webhooks. */
export interface WebhookTarget {
	enabled: boolean;
	url: string;
	headers: Record<string, string>;
	/** Upper-case event names, such as `MESSAGES_UPDATE`. */
	events: readonly string[];
	byEvents: boolean;
}

/** Timings, shares and retries of webhooks, with defaults applied. */
export interface WebhookBehavior {
	sentAfterMs?: number;
	deliveredAfterMs: number;
	readAfterMs: number;
	readRatio: number;
	replyAfterMs: number;
	replyRatio: number;
	replyText: string;
	duplicateRatio: number;
	maxAttempts: number;
	retryDelayMs: number;
	timeoutMs: number;
}

/** The instance fields that webhooks carry. */
export interface WebhookInstance {
	name: string;
	instanceId: string;
	ownerNumber: string;
	token?: string;
}

/** Details of an accepted message for `scheduleAfterSend`. */
export interface AcceptedSend {
	record: EvolutionMessageRecord;
	/** Database id of the stored message, sent as `messageId` in updates. */
	databaseId: string;
	/** Whether the recipient plays the message (voice note, video note). */
	played: boolean;
	/** Whether the recipient is a group or broadcast, which gets no receipts. */
	isGroup: boolean;
}

/** Applies defaults to the webhook options and checks them. @throws ConfigError */
export function resolveWebhookBehavior(options: SandboxWebhookOptions = {}): WebhookBehavior {
	const behavior: WebhookBehavior = {
		sentAfterMs: options.sentAfterMs,
		deliveredAfterMs: options.deliveredAfterMs ?? 300,
		readAfterMs: options.readAfterMs ?? 1500,
		readRatio: options.readRatio ?? 0.6,
		replyAfterMs: options.replyAfterMs ?? 3000,
		replyRatio: options.replyRatio ?? 0,
		replyText: options.replyText ?? 'Thanks, got it.',
		duplicateRatio: options.duplicateRatio ?? 0,
		maxAttempts: options.maxAttempts ?? 4,
		retryDelayMs: options.retryDelayMs ?? 200,
		timeoutMs: options.timeoutMs ?? 5000,
	};

	const durations = [
		'sentAfterMs',
		'deliveredAfterMs',
		'readAfterMs',
		'replyAfterMs',
		'retryDelayMs',
	] as const;
	for (const field of durations) {
		const value = behavior[field];
		if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
			throw new ConfigError(
				`webhook.${field}`,
				`Invalid webhook.${field} ${value}. Use whole milliseconds of at least 0.`,
			);
		}
	}
	for (const field of ['readRatio', 'replyRatio', 'duplicateRatio'] as const) {
		const value = behavior[field];
		if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
			throw new ConfigError(
				`webhook.${field}`,
				`Invalid webhook.${field} ${value}. Use a number from 0 to 1.`,
			);
		}
	}
	for (const field of ['maxAttempts', 'timeoutMs'] as const) {
		const value = behavior[field];
		if (!(Number.isInteger(value) && value >= 1)) {
			throw new ConfigError(
				`webhook.${field}`,
				`Invalid webhook.${field} ${value}. Use a whole number of at least 1.`,
			);
		}
	}
	return behavior;
}

/** Returns the default target from the options, or undefined when they have no URL. @throws ConfigError */
export function resolveWebhookTarget(
	options: SandboxWebhookOptions = {},
): WebhookTarget | undefined {
	if (options.url === undefined) {
		return undefined;
	}
	checkWebhookUrl(options.url, 'webhook.url');
	return {
		enabled: true,
		url: options.url,
		headers: options.headers ?? {},
		events: options.events ?? DEFAULT_WEBHOOK_EVENTS,
		byEvents: options.byEvents ?? false,
	};
}

/** Throws a ConfigError unless `url` is an absolute http or https URL. */
export function checkWebhookUrl(url: string, option: string): void {
	let protocol: string;
	try {
		protocol = new URL(url).protocol;
	} catch {
		throw new ConfigError(
			option,
			`Invalid webhook URL "${url}". Use an absolute http or https URL.`,
		);
	}
	if (protocol !== 'http:' && protocol !== 'https:') {
		throw new ConfigError(
			option,
			`Invalid webhook URL "${url}". Use an absolute http or https URL.`,
		);
	}
}

/**
 * Returns a number from 0 to 1 fixed by `id` and `salt`. A message is read,
 * replied to or duplicated when its share is below the ratio, so the same id
 * always gets the same treatment.
 */
export function shareOf(id: string, salt: string): number {
	return createHash('sha256').update(`${salt}:${id}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Builds the stored record of an inbound text message from `fromNumber`. */
export function inboundRecord(
	instance: WebhookInstance,
	fromNumber: string,
	text: string,
): EvolutionMessageRecord {
	return {
		// Stand-in id of 32 hex digits, reported with source `android`.
		key: {
			remoteJid: toJid(fromNumber),
			fromMe: false,
			id: randomBytes(16).toString('hex').toUpperCase(),
		},
		pushName: 'Sandbox contact',
		status: 'DELIVERY_ACK',
		message: { conversation: text },
		messageType: 'conversation',
		messageTimestamp: Math.floor(Date.now() / 1000),
		instanceId: instance.instanceId,
		source: 'android',
	};
}

/** Dependencies of `WebhookDispatcher`. */
export interface WebhookDispatcherOptions {
	behavior: WebhookBehavior;
	timers: TimerSet;
	logger: Logger;
	maxRecords: number;
	/** Looks up the target of an instance when a webhook fires. */
	targetFor: (instanceName: string) => WebhookTarget | undefined;
	/** Looks up the instance when a webhook fires, undefined once it is gone. */
	instanceFor: (instanceName: string) => WebhookInstance | undefined;
	/** Public URL of the sandbox, the `server_url` of envelopes. */
	serverUrl: () => string;
}

/** Schedules and posts webhooks, and keeps a record of each POST. */
export class WebhookDispatcher {
	readonly #options: WebhookDispatcherOptions;
	readonly #deliveries: SandboxWebhookDelivery[] = [];
	readonly #inFlight = new Set<Promise<unknown>>();
	readonly #controllers = new Set<AbortController>();
	#delivered = 0;
	#failed = 0;

	constructor(options: WebhookDispatcherOptions) {
		this.#options = options;
	}

	/** Records of webhook POSTs, oldest first. */
	get deliveries(): readonly SandboxWebhookDelivery[] {
		return this.#deliveries;
	}

	/** Counts of POSTs that got a 2xx, of failed POSTs, and of timers and POSTs still to finish. */
	get counts(): { delivered: number; failed: number; pending: number } {
		const pending = this.#options.timers.size + this.#inFlight.size;
		return { delivered: this.#delivered, failed: this.#failed, pending };
	}

	/**
	 * Schedules the webhooks that follow an accepted send: `send.message` at
	 * once, then `SERVER_ACK`, `DELIVERY_ACK`, `READ` or `PLAYED`, and a reply.
	 * Groups get no receipts and no reply, as on the real gateway.
	 */
	scheduleAfterSend(instance: WebhookInstance, send: AcceptedSend): void {
		if (!this.#options.targetFor(instance.name)?.enabled) {
			return;
		}
		const { behavior, timers } = this.#options;
		const { record } = send;
		const keyId = record.key.id;

		this.#track(this.#post(instance.name, 'send.message', record, keyId));
		if (send.isGroup) {
			return;
		}

		const update = (status: EvolutionMessageStatus) => () =>
			this.#track(
				this.#post(
					instance.name,
					'messages.update',
					this.#update(instance, send, status),
					keyId,
					status,
				),
			);
		if (behavior.sentAfterMs !== undefined) {
			timers.schedule(behavior.sentAfterMs, update('SERVER_ACK'));
		}
		timers.schedule(behavior.deliveredAfterMs, update('DELIVERY_ACK'));
		if (shareOf(keyId, 'read') < behavior.readRatio) {
			timers.schedule(behavior.readAfterMs, update(send.played ? 'PLAYED' : 'READ'));
		}
		if (shareOf(keyId, 'reply') < behavior.replyRatio) {
			timers.schedule(behavior.replyAfterMs, () => {
				const reply = inboundRecord(instance, record.key.remoteJid, behavior.replyText);
				this.#track(this.#post(instance.name, 'messages.upsert', reply, reply.key.id));
			});
		}
	}

	/**
	 * Posts a `messages.upsert` for an inbound message now. Resolves with the
	 * delivery record once the POST and its retries finished, or undefined when
	 * the instance's target does not take `MESSAGES_UPSERT`.
	 */
	async postInbound(
		instanceName: string,
		record: EvolutionMessageRecord,
	): Promise<SandboxWebhookDelivery | undefined> {
		return await this.#track(this.#post(instanceName, 'messages.upsert', record, record.key.id));
	}

	/** Cancels every scheduled webhook and retry wait, but POSTs in flight go on. */
	cancelScheduled(): void {
		this.#options.timers.cancelAll();
	}

	/** Cancels every scheduled webhook and aborts every POST in flight. */
	async stop(): Promise<void> {
		this.#options.timers.cancelAll();
		for (const controller of this.#controllers) {
			controller.abort();
		}
		await Promise.allSettled([...this.#inFlight]);
	}

	/** Forgets the records and counts. */
	clearRecords(): void {
		this.#deliveries.length = 0;
		this.#delivered = 0;
		this.#failed = 0;
	}

	#update(
		instance: WebhookInstance,
		send: AcceptedSend,
		status: EvolutionMessageStatus,
	): EvolutionMessageUpdate {
		return {
			keyId: send.record.key.id,
			remoteJid: send.record.key.remoteJid,
			fromMe: true,
			status,
			instanceId: instance.instanceId,
			messageId: send.databaseId,
		};
	}

	#track<T>(promise: Promise<T>): Promise<T> {
		this.#inFlight.add(promise);
		void promise.finally(() => this.#inFlight.delete(promise)).catch(() => undefined);
		return promise;
	}

	/**
	 * Posts one event to the instance's target, a second time when the
	 * duplicate share picks it. Returns the record of the first POST.
	 */
	async #post(
		instanceName: string,
		event: string,
		data: unknown,
		keyId: string,
		status?: string,
	): Promise<SandboxWebhookDelivery | undefined> {
		const target = this.#options.targetFor(instanceName);
		const instance = this.#options.instanceFor(instanceName);
		const eventName = event.toUpperCase().replace(/\./g, '_');
		if (!target?.enabled || !instance || !target.events.includes(eventName)) {
			return undefined;
		}

		const url = target.byEvents
			? `${target.url.replace(/\/+$/, '')}/${event.replace(/\./g, '-')}`
			: target.url;
		const envelope: EvolutionWebhookEnvelope = {
			event,
			instance: instanceName,
			data,
			destination: url,
			date_time: new Date().toISOString(),
			sender: `${instance.ownerNumber}@s.whatsapp.net`,
			server_url: this.#options.serverUrl(),
			apikey: instance.token ?? null,
		};
		const base = { instance: instanceName, event, url, keyId, ...(status ? { status } : {}) };

		const first = await this.#deliver(envelope, target, { ...base, duplicate: false });
		if (
			shareOf(`${keyId}:${status ?? event}`, 'duplicate') < this.#options.behavior.duplicateRatio
		) {
			await this.#deliver(envelope, target, { ...base, duplicate: true });
		}
		return first;
	}

	/** Posts an envelope with retries and backoff, and records the outcome. */
	async #deliver(
		envelope: EvolutionWebhookEnvelope,
		target: WebhookTarget,
		base: Omit<SandboxWebhookDelivery, 'attempts' | 'ok' | 'time'>,
	): Promise<SandboxWebhookDelivery> {
		const { behavior, timers } = this.#options;
		const delivery: SandboxWebhookDelivery = { ...base, attempts: 0, ok: false, time: Date.now() };
		this.#record(delivery);
		const payload = JSON.stringify(envelope);

		for (let attempt = 1; attempt <= behavior.maxAttempts; attempt += 1) {
			delivery.attempts = attempt;
			const outcome = await this.#attempt(base.url, payload, target.headers);
			delivery.statusCode = outcome.statusCode;
			delivery.error = outcome.error;
			if (
				outcome.statusCode !== undefined &&
				outcome.statusCode >= 200 &&
				outcome.statusCode < 300
			) {
				delivery.ok = true;
				this.#delivered += 1;
				return delivery;
			}
			if (
				outcome.aborted ||
				(outcome.statusCode !== undefined && NO_RETRY_STATUSES.has(outcome.statusCode))
			) {
				break;
			}
			if (
				attempt < behavior.maxAttempts &&
				!(await timers.sleep(behavior.retryDelayMs * 2 ** (attempt - 1)))
			) {
				break;
			}
		}

		this.#failed += 1;
		this.#options.logger.warn('Webhook delivery failed', {
			instance: base.instance,
			event: base.event,
			url: base.url,
			keyId: base.keyId,
			attempts: delivery.attempts,
			statusCode: delivery.statusCode,
			error: delivery.error,
		});
		return delivery;
	}

	async #attempt(
		url: string,
		payload: string,
		headers: Record<string, string>,
	): Promise<{ statusCode?: number; error?: string; aborted?: boolean }> {
		const controller = new AbortController();
		this.#controllers.add(controller);
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort();
		}, this.#options.behavior.timeoutMs);
		try {
			const response = await fetch(url, {
				method: 'POST',
				headers: { ...headers, 'content-type': 'application/json' },
				body: payload,
				signal: controller.signal,
			});
			await response.arrayBuffer();
			return { statusCode: response.status };
		} catch (error) {
			if (timedOut) {
				return { error: `Timed out after ${this.#options.behavior.timeoutMs} ms` };
			}
			if (controller.signal.aborted) {
				return { error: 'Aborted because the sandbox stopped', aborted: true };
			}
			const cause = (error as Error & { cause?: NodeJS.ErrnoException }).cause;
			return { error: cause?.code ?? (error as Error).message };
		} finally {
			clearTimeout(timer);
			this.#controllers.delete(controller);
		}
	}

	#record(delivery: SandboxWebhookDelivery): void {
		this.#deliveries.push(delivery);
		if (this.#deliveries.length > this.#options.maxRecords) {
			this.#deliveries.shift();
		}
	}
}
