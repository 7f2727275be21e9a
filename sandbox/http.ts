/**
 * Small node:http helpers of the sandbox: body reading, JSON responses and
 * Evolution's error envelope.
 */

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

import type { EvolutionErrorEnvelope } from '../shared/gateways/evolution/types';

/** Maximum request body the sandbox reads, in bytes. Larger bodies get a 413. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A request body over `MAX_BODY_BYTES`. */
export class BodyTooLargeError extends Error {
	constructor() {
		super(`Request body is larger than ${MAX_BODY_BYTES} bytes.`);
		this.name = 'BodyTooLargeError';
	}
}

/** Reads the whole request body as UTF-8 text. */
export async function readBody(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > MAX_BODY_BYTES) {
			throw new BodyTooLargeError();
		}
		chunks.push(buffer);
	}
	return Buffer.concat(chunks).toString('utf8');
}

/** Sends a JSON body, or plain text when `body` is a string. */
export function sendBody(
	response: ServerResponse,
	statusCode: number,
	body: unknown,
	headers: Record<string, string> = {},
): void {
	if (response.destroyed || response.headersSent) {
		return;
	}
	const isText = typeof body === 'string';
	let payload = '';
	if (isText) {
		payload = body;
	} else if (body !== undefined) {
		payload = JSON.stringify(body);
	}
	response.writeHead(statusCode, {
		'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(payload),
		...headers,
	});
	response.end(payload);
}

/** Builds Evolution's error envelope `{status, error, response: {message}}`. */
export function errorEnvelope(status: number, message: unknown): EvolutionErrorEnvelope {
	return { status, error: STATUS_CODES[status] ?? 'Error', response: { message } };
}
