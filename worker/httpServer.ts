/**
 * The worker's HTTP server: `GET /health` for orchestrators and
 * `POST /webhooks/evolution` for the gateway's receipts and inbound messages.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { ValidationError } from '../shared/errors';
import { describeError, type Logger } from '../shared/logger';

/** Largest webhook body accepted, in bytes. Evolution's message records are a few KiB. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** Dependencies of the HTTP server. */
export interface HttpServerOptions {
	host: string;
	port: number;
	/** Secret the gateway sends in `x-webhook-secret` or `?token=`; without it webhooks return 503. */
	webhookSecret?: string;
	/** Handles one parsed Evolution webhook body; a rejection returns 500 so the gateway retries. */
	onEvolutionWebhook?: (body: unknown) => Promise<void>;
	/** Returns the health snapshot and whether the worker is healthy. */
	health: () => { healthy: boolean; details: Record<string, unknown> };
	logger: Logger;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
	const payload = JSON.stringify(body);
	response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
	response.end(payload);
}

function secretMatches(expected: string, given: string | undefined): boolean {
	if (given === undefined) {
		return false;
	}
	const a = Buffer.from(expected);
	const b = Buffer.from(given);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads the body up to `MAX_WEBHOOK_BYTES`; resolves undefined when it is larger. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		size += (chunk as Buffer).length;
		if (size > MAX_WEBHOOK_BYTES) {
			return undefined;
		}
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

/** The worker's HTTP server. */
export class WorkerHttpServer {
	private readonly server: Server;

	constructor(private readonly options: HttpServerOptions) {
		// Slow senders cannot hold a connection open for long. Node checks these
		// timeouts every connectionsCheckingInterval ms (30 s by default).
		const timeouts = {
			connectionsCheckingInterval: 1000,
			headersTimeout: 10_000,
			requestTimeout: 15_000,
			keepAliveTimeout: 5_000,
		};
		this.server = createServer(timeouts, (request, response) => {
			this.route(request, response).catch((error) => {
				options.logger.error('HTTP request failed.', { path: request.url?.split('?')[0], ...describeError(error) });
				if (!response.headersSent) {
					sendJson(response, 500, { error: 'Internal error' });
				} else {
					response.destroy();
				}
			});
		});
	}

	/** Starts listening; resolves to the port taken. */
	async listen(): Promise<number> {
		await new Promise<void>((resolve, reject) => {
			const onError = (error: NodeJS.ErrnoException) => {
				const address = `${this.options.host}:${this.options.port}`;
				if (error.code === 'EADDRINUSE') {
					reject(new Error(`Port ${address} is in use (EADDRINUSE). Set HTTP_PORT to a free port, or 0 to pick one.`));
				} else {
					reject(new Error(`The HTTP server failed to listen on ${address}: ${error.message}`));
				}
			};
			this.server.once('error', onError);
			this.server.listen(this.options.port, this.options.host, () => {
				this.server.off('error', onError);
				resolve();
			});
		});
		return (this.server.address() as AddressInfo).port;
	}

	/** Stops accepting connections and closes idle ones. */
	async close(): Promise<void> {
		this.server.closeIdleConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://worker.local');
		if (request.method === 'GET' && url.pathname === '/health') {
			const { healthy, details } = this.options.health();
			sendJson(response, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unavailable', ...details });
			return;
		}
		if (url.pathname === '/webhooks/evolution' || url.pathname.startsWith('/webhooks/evolution/')) {
			if (request.method !== 'POST') {
				sendJson(response, 405, { error: 'Use POST.' });
				return;
			}
			await this.handleWebhook(request, response, url);
			return;
		}
		sendJson(response, 404, { error: `Not found: ${request.method} ${url.pathname}` });
	}

	private async handleWebhook(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
		const { webhookSecret, onEvolutionWebhook } = this.options;
		if (!webhookSecret || !onEvolutionWebhook) {
			request.resume();
			sendJson(response, 503, { error: 'Webhooks are off: set WEBHOOK_SECRET on the worker.' });
			return;
		}
		const header = request.headers['x-webhook-secret'];
		const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('token') ?? undefined;
		if (!secretMatches(webhookSecret, given)) {
			request.resume();
			sendJson(response, 401, { error: 'Missing or wrong webhook secret.' });
			return;
		}
		const body = await readBody(request);
		if (body === undefined) {
			sendJson(response, 413, { error: `Body larger than ${MAX_WEBHOOK_BYTES} bytes.` });
			request.destroy();
			return;
		}
		let parsed: unknown;
		try {
			parsed = JSON.parse(body.toString('utf8'));
		} catch {
			sendJson(response, 400, { error: 'Body is not valid JSON.' });
			return;
		}
		try {
			await onEvolutionWebhook(parsed);
		} catch (error) {
			if (error instanceof ValidationError) {
				// A malformed body fails the same way every time, and Evolution does not retry a 400.
				this.options.logger.warn('Webhook body rejected.', { reason: error.message });
				sendJson(response, 400, { error: error.message });
				return;
			}
			throw error;
		}
		sendJson(response, 200, { received: true });
	}
}
