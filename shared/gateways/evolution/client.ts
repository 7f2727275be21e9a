/**
 * HTTP client for Evolution API v2: one POST per message, every failure
 * classified into a `GatewayError`.
 */

import { ConfigError, GatewayError, ValidationError } from '../../errors';
import { silentLogger, type Logger } from '../../logger';
import type {
	ContactContent,
	LocationContent,
	MediaContent,
	NormalizedMessage,
	TextContent,
} from '../../message';
import type { GatewayClient, SendOptions, SendResult } from '../types';
import {
	classifyEvolutionResponse,
	classifyNetworkError,
	limitGatewayResponse,
	parseGatewayBody,
	type ClassifyContext,
} from './classify';
import type {
	EvolutionConnectionStateBody,
	EvolutionMessageRecord,
	EvolutionSendBody,
} from './types';

/** Default request timeout in milliseconds, covering the response body too. */
export const DEFAULT_EVOLUTION_TIMEOUT_MS = 20_000;

/** Options of `EvolutionClient`. */
export interface EvolutionClientOptions {
	/**
	 * Base URL of the Evolution API server, such as `http://127.0.0.1:8080`.
	 * Must be an absolute http or https URL without user name or password. A
	 * trailing slash is ignored.
	 */
	baseUrl: string;
	/** The global API key or the instance's token, sent in the `apikey` header. */
	apiKey: string;
	/**
	 * Time allowed for one request, from sending to the end of the response body, in milliseconds.
	 * @defaultValue `20000`
	 */
	timeoutMs?: number;
	/** Receives one `debug` line per request, without the API key or message content. */
	logger?: Logger;
}

/** A request ready to post: the route below `/message/` and its JSON body. */
interface SendRequest {
	route: string;
	body: EvolutionSendBody;
}

/** An HTTP response with its body parsed from the redacted text. */
interface GatewayAnswer {
	status: number;
	headers: Headers;
	body: unknown;
}

/**
 * Sends messages through Evolution API v2. Node's global fetch keeps
 * connections alive between requests. The API key is sent only in the
 * `apikey` header, and is replaced by `[redacted]` wherever a gateway response
 * repeats it.
 *
 * @throws ConfigError from the constructor, for an invalid option.
 */
export class EvolutionClient implements GatewayClient {
	/** The base URL without a trailing slash. */
	readonly baseUrl: string;
	/** Request timeout in milliseconds. */
	readonly timeoutMs: number;
	readonly #apiKey: string;
	readonly #logger: Logger;

	constructor(options: EvolutionClientOptions) {
		this.#apiKey = validateApiKey(options.apiKey);
		this.baseUrl = withoutSecret(() => validateBaseUrl(options.baseUrl), this.#apiKey);
		this.timeoutMs = validateTimeout(options.timeoutMs);
		this.#logger = options.logger ?? silentLogger;
	}

	/**
	 * Sends one message. Resolves with `key.id` of the stored message once the
	 * gateway accepted it.
	 *
	 * @throws GatewayError for every other response, classified by `classifyEvolutionResponse`
	 * or `classifyNetworkError`.
	 * @throws ValidationError when `options.textPart` does not index `message.textParts`.
	 */
	async send(message: NormalizedMessage, options: SendOptions = {}): Promise<SendResult> {
		const { route, body } = buildSendRequest(message, options.textPart);
		const path = `/message/${route}/${encodeURIComponent(message.instanceName)}`;
		const context = this.#context('POST', path, message.instanceName);

		const answer = await this.#request(context, body, options.signal);
		const record = answer.body as Partial<EvolutionMessageRecord> | undefined;
		const messageId = record?.key?.id;
		if (
			answer.status < 200 ||
			answer.status >= 300 ||
			typeof messageId !== 'string' ||
			!messageId
		) {
			throw classifyEvolutionResponse(answer.status, answer.body, answer.headers, context);
		}

		return {
			messageId,
			// Evolution reports PENDING at send time, so a body without status counts as PENDING.
			status: typeof record?.status === 'string' ? record.status : 'PENDING',
			...(typeof record?.key?.remoteJid === 'string' ? { remoteJid: record.key.remoteJid } : {}),
			statusCode: answer.status,
		};
	}

	/**
	 * Reads the WhatsApp connection state of an instance: `open`, `connecting`
	 * or `close`.
	 *
	 * @throws GatewayError classified like a send, or with reason `invalid_response`
	 * when the body has no `instance.state`.
	 */
	async getConnectionState(instanceName: string, signal?: AbortSignal): Promise<string> {
		const path = `/instance/connectionState/${encodeURIComponent(instanceName)}`;
		const context = this.#context('GET', path, instanceName);

		const answer = await this.#request(context, undefined, signal);
		if (answer.status < 200 || answer.status >= 300) {
			throw classifyEvolutionResponse(answer.status, answer.body, answer.headers, context);
		}
		const state = (answer.body as Partial<EvolutionConnectionStateBody> | undefined)?.instance
			?.state;
		if (typeof state !== 'string') {
			throw new GatewayError(
				`Evolution API returned HTTP ${answer.status} for GET ${path} without instance.state. ` +
					'Check that EVOLUTION_API_URL points at an Evolution API v2 server.',
				{
					kind: 'transient',
					reason: 'invalid_response',
					statusCode: answer.status,
					gatewayResponse: limitGatewayResponse(answer.body),
				},
			);
		}
		return state;
	}

	/**
	 * Opens a connection to the gateway with one GET of the base URL, so the
	 * first send does not pay for loading the HTTP client and connecting.
	 * Any answer will do; failures are ignored.
	 */
	async warmUp(): Promise<void> {
		try {
			const response = await fetch(`${this.baseUrl}/`, { signal: AbortSignal.timeout(this.timeoutMs) });
			await response.arrayBuffer();
		} catch {
			// The first send reports a gateway that is down.
		}
	}

	#context(method: string, path: string, instanceName: string): ClassifyContext {
		return { method, path, instanceName, baseUrl: this.baseUrl, timeoutMs: this.timeoutMs };
	}

	/**
	 * Runs one request under the timeout and the caller's signal, and reads the
	 * whole response. Network errors, timeouts and aborts become `GatewayError`s.
	 */
	async #request(
		context: ClassifyContext,
		body: unknown,
		callerSignal: AbortSignal | undefined,
	): Promise<GatewayAnswer> {
		const controller = new AbortController();
		let outcome: 'timeout' | 'aborted' | undefined;
		const timer = setTimeout(() => {
			outcome = 'timeout';
			controller.abort(new DOMException('The request timed out.', 'TimeoutError'));
		}, this.timeoutMs);
		const onCallerAbort = (): void => {
			outcome ??= 'aborted';
			controller.abort(new DOMException('The caller aborted the request.', 'AbortError'));
		};
		if (callerSignal?.aborted) {
			onCallerAbort();
		} else {
			callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
		}

		const startedAt = Date.now();
		try {
			const response = await fetch(`${this.baseUrl}${context.path}`, {
				method: context.method,
				headers: {
					apikey: this.#apiKey,
					accept: 'application/json',
					...(body === undefined ? {} : { 'content-type': 'application/json' }),
				},
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: controller.signal,
			});
			const text = this.#redact(await response.text());
			this.#logger.debug('Gateway responded', {
				instance: context.instanceName,
				path: context.path,
				statusCode: response.status,
				durationMs: Date.now() - startedAt,
			});
			return { status: response.status, headers: response.headers, body: parseGatewayBody(text) };
		} catch (error) {
			const cause =
				outcome === 'timeout'
					? new DOMException('The request timed out.', 'TimeoutError')
					: outcome === 'aborted'
						? new DOMException('The caller aborted the request.', 'AbortError')
						: error;
			// The key travels only in a header, which fetch's errors never quote.
			const failure = classifyNetworkError(cause, context);
			this.#logger.debug('Gateway request failed', {
				instance: context.instanceName,
				path: context.path,
				reason: failure.reason,
				durationMs: Date.now() - startedAt,
			});
			throw failure;
		} finally {
			clearTimeout(timer);
			callerSignal?.removeEventListener('abort', onCallerAbort);
		}
	}

	/**
	 * Replaces every occurrence of the API key in a gateway body, so messages
	 * and `gatewayResponse` built from it cannot leak the key.
	 */
	#redact(text: string): string {
		return text.split(this.#apiKey).join('[redacted]');
	}
}

/**
 * Maps a message to its Evolution route and body. `number` is the recipient
 * exactly as stored, digits or a JID.
 */
function buildSendRequest(message: NormalizedMessage, textPart: number | undefined): SendRequest {
	const number = message.recipientPhone;

	switch (message.messageType) {
		case 'text':
			return { route: 'sendText', body: { number, text: selectText(message, textPart) } };

		case 'image':
		case 'video':
		case 'document': {
			const media = message.content as MediaContent;
			return {
				route: 'sendMedia',
				body: {
					number,
					mediatype: message.messageType,
					media: mediaSource(media),
					...optional('mimetype', media.mimeType),
					...optional('caption', media.caption),
					...(message.messageType === 'document' ? optional('fileName', media.fileName) : {}),
				},
			};
		}

		case 'audio':
			return {
				route: 'sendWhatsAppAudio',
				body: { number, audio: mediaSource(message.content as MediaContent) },
			};

		case 'location': {
			const location = message.content as LocationContent;
			return {
				route: 'sendLocation',
				body: {
					number,
					latitude: location.latitude,
					longitude: location.longitude,
					...optional('name', location.name),
					...optional('address', location.address),
				},
			};
		}

		case 'contact': {
			const { contacts } = message.content as ContactContent;
			const contact = contacts.map((card) => ({
				fullName: card.fullName,
				wuid: card.phoneNumber.replace(/\D/g, ''),
				phoneNumber: card.phoneNumber,
				...optional('organization', card.organization),
				...optional('email', card.email),
			}));
			return { route: 'sendContact', body: { number, contact } };
		}

		default: {
			// Reachable only with job data from outside the type system, such as an older version.
			const type = String((message as { messageType: unknown }).messageType);
			throw new ValidationError([
				{
					path: 'messageType',
					message: `Unsupported message type "${type}". Use text, image, video, audio, document, location or contact.`,
				},
			]);
		}
	}
}

function selectText(message: NormalizedMessage, textPart: number | undefined): string {
	if (textPart === undefined) {
		return (message.content as TextContent).text;
	}
	const part = message.textParts?.[textPart];
	if (part === undefined) {
		const count = message.textParts?.length ?? 0;
		throw new ValidationError([
			{
				path: 'textPart',
				message: `Invalid text part ${textPart}: the message has ${count} text parts. Use an index from 0 to ${count - 1}.`,
			},
		]);
	}
	return part;
}

function mediaSource(media: MediaContent): string {
	return media.url ?? media.base64 ?? '';
}

/** Returns `{ [key]: value }`, or nothing when the value is undefined, so bodies omit unset fields. */
function optional<Key extends string, Value>(
	key: Key,
	value: Value | undefined,
): { [K in Key]?: Value } {
	return value === undefined ? {} : ({ [key]: value } as { [K in Key]?: Value });
}

function validateBaseUrl(baseUrl: unknown): string {
	const advice = 'Use an absolute http or https URL such as http://127.0.0.1:8080.';
	if (typeof baseUrl !== 'string' || baseUrl.trim() === '') {
		throw new ConfigError('baseUrl', `Missing Evolution API base URL. ${advice}`);
	}

	let url: URL;
	try {
		url = new URL(baseUrl.trim());
	} catch {
		throw new ConfigError('baseUrl', `Invalid Evolution API base URL "${baseUrl}". ${advice}`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError(
			'baseUrl',
			`Invalid Evolution API base URL protocol "${url.protocol}". ${advice}`,
		);
	}
	if (url.username || url.password) {
		throw new ConfigError(
			'baseUrl',
			'Invalid Evolution API base URL: it contains a user name or password. ' +
				'Remove them and pass the key as apiKey.',
		);
	}
	if (url.search || url.hash) {
		throw new ConfigError(
			'baseUrl',
			`Invalid Evolution API base URL "${url.origin}${url.pathname}…": it has a query or fragment. ${advice}`,
		);
	}
	return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Runs a validation and removes the API key from its error, in case the URL repeated it. */
function withoutSecret<T>(validate: () => T, apiKey: string): T {
	try {
		return validate();
	} catch (error) {
		if (error instanceof ConfigError && error.message.includes(apiKey)) {
			throw new ConfigError(error.option, error.message.split(apiKey).join('[redacted]'));
		}
		throw error;
	}
}

function validateApiKey(apiKey: unknown): string {
	if (typeof apiKey !== 'string' || apiKey.trim() === '') {
		throw new ConfigError(
			'apiKey',
			"Missing Evolution API key. Pass the global key or the instance's token as apiKey.",
		);
	}
	return apiKey;
}

function validateTimeout(timeoutMs: unknown): number {
	if (timeoutMs === undefined) {
		return DEFAULT_EVOLUTION_TIMEOUT_MS;
	}
	if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
		throw new ConfigError(
			'timeoutMs',
			`Invalid timeoutMs ${String(timeoutMs)}. Use a whole number of milliseconds above 0.`,
		);
	}
	return timeoutMs;
}
