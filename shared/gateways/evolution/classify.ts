/**
 * Sorts every Evolution API response that is not an accepted send into one of
 * the `GatewayError` kinds, by what a retry can achieve.
 */

import { GatewayError, type GatewayErrorDetails } from '../../errors';
import type { EvolutionNumberCheck } from './types';

/** Maximum size of the `gatewayResponse` kept on an error, in bytes of UTF-8. */
export const GATEWAY_RESPONSE_MAX_BYTES = 4096;

/** Wait after a 429 without a usable `Retry-After`, in milliseconds. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Maximum wait taken from `Retry-After`, in milliseconds (one hour). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Maximum length of a gateway message quoted inside an error message, in characters. */
const MAX_QUOTED_MESSAGE_CHARS = 500;

/** Request details that the classifier quotes in its error messages. */
export interface ClassifyContext {
	/** HTTP method, such as `POST`. */
	method?: string;
	/** Request path without the base URL, such as `/message/sendText/acme`. */
	path?: string;
	/** Instance name, for errors about the instance. */
	instanceName?: string;
	/** Base URL of the gateway, for network errors. Must not contain credentials. */
	baseUrl?: string;
	/** Timeout of the request in milliseconds, for timeout errors. */
	timeoutMs?: number;
}

/** Response headers: a fetch `Headers` object or a plain object. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/** A 400 message that means the send failed for a reason a retry can fix. */
export interface TransientRejection {
	reason: 'media_failed' | 'connection_closed';
	pattern: RegExp;
	/** A gateway message the pattern matches. */
	example: string;
}

/**
 * 400 messages that Evolution API returns when the send itself failed rather
 * than the request being wrong, so the same request can succeed later.
 * `Media upload failed on all hosts` and `Connection Closed` are errors that
 * Baileys raises. The other examples are phrasings the patterns also cover.
 * The tests classify every example.
 */
export const TRANSIENT_REJECTIONS: readonly TransientRejection[] = [
	{
		reason: 'media_failed',
		pattern: /media upload failed/i,
		example: 'Media upload failed on all hosts',
	},
	{
		reason: 'media_failed',
		pattern:
			/\b(could not|couldn't|cannot|can't|failed to|unable to) (fetch|download|upload|get)\b.*\bmedia\b/i,
		example: 'Failed to download media from the given URL',
	},
	{
		reason: 'media_failed',
		pattern: /\bmedia\b.*\b(fetch|download|upload)\w* (failed|error)/i,
		example: 'Error: media download failed: getaddrinfo ENOTFOUND cdn.example.com',
	},
	{
		reason: 'connection_closed',
		pattern: /\bconnection (is |was )?(closed|lost|terminated)\b/i,
		example: 'Error: Connection Closed',
	},
	{
		reason: 'connection_closed',
		pattern: /\bsocket (is |was )?(closed|not open)\b/i,
		example: 'Socket closed before the message was sent',
	},
	{
		reason: 'connection_closed',
		pattern: /\bwebsocket\b.*\bclosed\b/i,
		example: 'WebSocket was closed before the connection was established',
	},
	{
		reason: 'connection_closed',
		pattern: /\bnot connected\b/i,
		example: 'Instance not connected',
	},
];

/**
 * Converts a `Retry-After` header into milliseconds: delay seconds or an HTTP
 * date (a date in the past gives 0). A missing or unreadable value gives
 * `DEFAULT_RETRY_AFTER_MS`, and every result is capped at `MAX_RETRY_AFTER_MS`.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number {
	const text = value?.trim();
	if (!text) {
		return DEFAULT_RETRY_AFTER_MS;
	}

	let delayMs: number;
	if (/^\d+(\.\d+)?$/.test(text)) {
		delayMs = Math.ceil(Number(text) * 1000);
	} else {
		// Every HTTP date format names the month, and V8 would read "-5" as a year.
		const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
		if (Number.isNaN(date)) {
			return DEFAULT_RETRY_AFTER_MS;
		}
		delayMs = Math.max(0, date - now);
	}
	return Math.min(delayMs, MAX_RETRY_AFTER_MS);
}

/**
 * Parses a gateway body: JSON when it parses, otherwise the text itself.
 * An empty body gives `undefined`.
 */
export function parseGatewayBody(text: string): unknown {
	if (text === '') {
		return undefined;
	}
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return text;
	}
}

/**
 * Returns the body to keep as `gatewayResponse`: the parsed body when its JSON
 * fits in `GATEWAY_RESPONSE_MAX_BYTES`, else its text cut to that size and
 * marked `…[truncated]`.
 */
export function limitGatewayResponse(body: unknown): unknown {
	if (body === undefined) {
		return undefined;
	}
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	const bytes = Buffer.from(text, 'utf8');
	if (bytes.length <= GATEWAY_RESPONSE_MAX_BYTES) {
		return body;
	}
	// A cut inside a multi-byte character decodes to U+FFFD, which is dropped.
	const head = bytes
		.subarray(0, GATEWAY_RESPONSE_MAX_BYTES)
		.toString('utf8')
		.replace(/\uFFFD+$/, '');
	return `${head}…[truncated]`;
}

/**
 * Returns the human-readable message of a gateway response: the envelope's
 * `response.message` (array entries joined with `; `, objects as JSON), or the
 * text of a non-JSON body.
 */
export function gatewayMessageText(body: unknown): string {
	if (body === undefined || body === null) {
		return '';
	}
	if (typeof body === 'string') {
		return body.trim();
	}
	if (typeof body !== 'object') {
		return String(body);
	}

	const record = body as Record<string, unknown>;
	const response = record.response as Record<string, unknown> | undefined;
	const message = response && typeof response === 'object' ? response.message : record.message;
	if (message === undefined) {
		return typeof record.error === 'string' ? record.error : JSON.stringify(body);
	}
	const entries = Array.isArray(message) ? message : [message];
	return entries
		.map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry)))
		.join('; ');
}

/**
 * Classifies an Evolution API response that is not an accepted send. A 2xx
 * reaching this function had no `key.id`, so it is an invalid response.
 *
 * @param status - HTTP status code.
 * @param body - Parsed JSON body, or its text when it was not JSON.
 * @param headers - Response headers, read for `Retry-After`.
 * @param context - Request details quoted in the message.
 */
export function classifyEvolutionResponse(
	status: number,
	body: unknown,
	headers: HeaderSource,
	context: ClassifyContext = {},
): GatewayError {
	const text = gatewayMessageText(body);
	const quoted = quote(text);
	const request = describeRequest(context);
	const fail = (
		message: string,
		kind: GatewayErrorDetails['kind'],
		reason: string,
		retryAfterMs?: number,
	): GatewayError =>
		new GatewayError(message, {
			kind,
			reason,
			statusCode: status,
			gatewayResponse: limitGatewayResponse(body),
			...(retryAfterMs === undefined ? {} : { retryAfterMs }),
		});

	if (status >= 200 && status < 300) {
		return fail(
			`Evolution API returned HTTP ${status} for ${request} without key.id in the body. ` +
				'Check that EVOLUTION_API_URL points at an Evolution API v2 server. A retry may succeed.',
			'transient',
			'invalid_response',
		);
	}

	if (status >= 500) {
		return fail(
			`Evolution API failed on ${request} with HTTP ${status}${quoted}. ` +
				'A retry may succeed. Check the Evolution API logs if it persists.',
			'transient',
			'server_error',
		);
	}

	if (status === 408) {
		return fail(
			`Evolution API timed out ${request} (HTTP 408)${quoted}. A retry may succeed.`,
			'transient',
			'request_timeout',
		);
	}

	if (status === 429) {
		const retryAfterMs = parseRetryAfter(readHeader(headers, 'retry-after'));
		return fail(
			`Evolution API rate-limited ${request} (HTTP 429)${quoted}. ` +
				`Wait ${retryAfterMs} ms before sending through this instance again.`,
			'rate_limited',
			'rate_limited',
			retryAfterMs,
		);
	}

	if (status === 401) {
		return fail(
			`Evolution API rejected the API key for ${describeInstance(context)} (HTTP 401 Unauthorized). ` +
				"Check EVOLUTION_API_KEY: it must be the global key or the instance's token.",
			'instance',
			'unauthorized',
		);
	}

	if (status === 404) {
		return classifyNotFound(text, body, request, context, fail);
	}

	if (status === 400) {
		const missing = findMissingNumber(body);
		if (missing) {
			return fail(
				`Number ${missing.number} is not on WhatsApp (gateway checked ${missing.jid}). ` +
					'Check the number or remove it from the list.',
				'permanent',
				'not_on_whatsapp',
			);
		}

		const transient = TRANSIENT_REJECTIONS.find((rejection) => rejection.pattern.test(text));
		if (transient?.reason === 'media_failed') {
			return fail(
				`Evolution API could not send the media of ${request} (HTTP 400)${quoted}. ` +
					'Check that the media URL is public and reachable. A retry may succeed.',
				'transient',
				'media_failed',
			);
		}
		if (transient?.reason === 'connection_closed') {
			return fail(
				`${capitalize(describeInstance(context))} is not connected to WhatsApp (HTTP 400)${quoted}. ` +
					'Reconnect it in Evolution API. A retry may succeed once it is connected.',
				'transient',
				'connection_closed',
			);
		}
	}

	return fail(
		`Evolution API rejected ${request} (HTTP ${status})${quoted}. ` +
			'Fix the message or recipient, because sending the same request again gets the same answer.',
		'permanent',
		'rejected',
	);
}

type FailFunction = (
	message: string,
	kind: GatewayErrorDetails['kind'],
	reason: string,
) => GatewayError;

/**
 * Splits 404 responses into three cases: an unknown instance, a missing route (Express's
 * `Cannot POST /…`, or a body that is no Evolution envelope, as a proxy or
 * another server would send), or any other 404, which is a rejection.
 */
function classifyNotFound(
	text: string,
	body: unknown,
	request: string,
	context: ClassifyContext,
	fail: FailFunction,
): GatewayError {
	const instance = /the "(.*)" instance does not exist/i.exec(text);
	if (instance || /instance does not exist/i.test(text)) {
		const name = instance?.[1] ?? context.instanceName;
		const subject = name === undefined ? 'The instance' : `Instance "${name}"`;
		return fail(
			`${subject} does not exist on the Evolution API server (HTTP 404). ` +
				'Create the instance in Evolution API or fix the instance name.',
			'instance',
			'instance_not_found',
		);
	}

	if (/cannot (get|post|put|patch|delete) \//i.test(text) || !isEnvelope(body)) {
		return fail(
			`Evolution API has no route for ${request} (HTTP 404${text ? `: ${truncateText(text)}` : ''}). ` +
				'Check EVOLUTION_API_URL: it must be the base URL of an Evolution API v2 server.',
			'instance',
			'route_not_found',
		);
	}

	return fail(
		`Evolution API rejected ${request} (HTTP 404): ${truncateText(text)}. ` +
			'Fix the message or recipient, because sending the same request again gets the same answer.',
		'permanent',
		'rejected',
	);
}

/**
 * Classifies a request that got no HTTP response: a timeout (`TimeoutError`),
 * an abort by the caller (`AbortError`), or a network error such as
 * `ECONNREFUSED`, `ECONNRESET` or a closed socket (`fetch failed`). All of
 * them are transient.
 */
export function classifyNetworkError(error: unknown, context: ClassifyContext = {}): GatewayError {
	const request = describeRequest(context);
	const name = isErrorLike(error) ? error.name : undefined;

	if (name === 'TimeoutError') {
		const limit = context.timeoutMs === undefined ? '' : ` within ${context.timeoutMs} ms`;
		return new GatewayError(
			`Evolution API did not respond to ${request}${limit}. ` +
				'A retry may succeed. Raise the timeout if the gateway is slow.',
			{ kind: 'transient', reason: 'timeout' },
		);
	}

	if (name === 'AbortError') {
		return new GatewayError(
			`${capitalize(request)} was aborted before Evolution API responded. ` +
				'The message may or may not have been sent.',
			{ kind: 'transient', reason: 'aborted' },
		);
	}

	const where = context.baseUrl ? ` at ${context.baseUrl}` : '';
	return new GatewayError(
		`${capitalize(request)} to Evolution API${where} failed (${describeNetworkCause(error)}). ` +
			'Check that the server is running and that EVOLUTION_API_URL is right. A retry may succeed.',
		{ kind: 'transient', reason: 'network' },
	);
}

/**
 * Returns the error code and message of a network error. Node's fetch throws
 * `TypeError: fetch failed` and puts the socket error, such as
 * `ECONNREFUSED` or `UND_ERR_SOCKET: other side closed`, in `cause`.
 */
function describeNetworkCause(error: unknown): string {
	const parts: string[] = [];
	let current: unknown = error;
	for (let depth = 0; current && depth < 4; depth += 1) {
		if (isErrorLike(current)) {
			const { code, message } = current;
			parts.push(code ? `${code}: ${message}` : message);
			current = current.cause;
		} else {
			parts.push(String(current));
			current = undefined;
		}
	}
	return parts.length > 0 ? parts.join(', caused by ') : 'unknown error';
}

/** Returns the first entry of a 400 body that reports `exists: false`. */
function findMissingNumber(body: unknown): EvolutionNumberCheck | undefined {
	const response = (body as { response?: { message?: unknown } } | undefined)?.response;
	const message = response?.message;
	if (!Array.isArray(message)) {
		return undefined;
	}
	return message.find(
		(entry): entry is EvolutionNumberCheck =>
			typeof entry === 'object' &&
			entry !== null &&
			(entry as EvolutionNumberCheck).exists === false,
	);
}

/**
 * Returns whether the value looks like an Error. Errors from another realm, such as
 * the ones fetch throws inside Jest's sandbox, fail `instanceof Error`.
 */
function isErrorLike(
	value: unknown,
): value is { name: string; message: string; code?: string; cause?: unknown } {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as Error).name === 'string' &&
		typeof (value as Error).message === 'string'
	);
}

function isEnvelope(body: unknown): boolean {
	return typeof body === 'object' && body !== null && 'response' in body;
}

function readHeader(headers: HeaderSource, name: string): string | undefined {
	if (typeof (headers as Headers).get === 'function') {
		return (headers as Headers).get(name) ?? undefined;
	}
	const record = headers as Record<string, string | string[] | undefined>;
	const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
	const value = key === undefined ? undefined : record[key];
	return Array.isArray(value) ? value[0] : value;
}

function describeRequest(context: ClassifyContext): string {
	if (context.path === undefined) {
		return 'the request';
	}
	return `${context.method ?? 'POST'} ${context.path}`;
}

function describeInstance(context: ClassifyContext): string {
	return context.instanceName === undefined ? 'the instance' : `instance "${context.instanceName}"`;
}

/** Formats a gateway message for the middle of a sentence, without its final period. */
function quote(text: string): string {
	const trimmed = text.replace(/[.\s]+$/, '');
	return trimmed ? `: ${truncateText(trimmed)}` : '';
}

function truncateText(text: string): string {
	return text.length <= MAX_QUOTED_MESSAGE_CHARS
		? text
		: `${text.slice(0, MAX_QUOTED_MESSAGE_CHARS)}…`;
}

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
