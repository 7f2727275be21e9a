/**
 * The `/_sandbox/` admin routes: JSON over HTTP for the demo and for worker
 * processes that tests start, mirroring the programmatic API of
 * `SandboxGateway`. Every route needs the global API key in `apikey`.
 *
 * | Route | Body | Response |
 * |---|---|---|
 * | `GET /_sandbox/stats` | | `SandboxStats` |
 * | `GET /_sandbox/received?instance=` | | `{count, received: SandboxReceivedMessage[]}` |
 * | `GET /_sandbox/requests?instance=` | | `{count, requests: SandboxRequestRecord[]}` |
 * | `GET /_sandbox/webhooks` | | `{count, deliveries: SandboxWebhookDelivery[]}` |
 * | `GET /_sandbox/faults` | | `{faults: SandboxFault[]}` |
 * | `POST /_sandbox/faults` | `SandboxFaultRule` | 201 `SandboxFault` |
 * | `DELETE /_sandbox/faults` | | `{removed: number}` |
 * | `DELETE /_sandbox/faults/{id}` | | `{removed: 1}`, or 404 |
 * | `PUT /_sandbox/latency` | `{latencyMs}`, `{minMs, maxMs}` or `{}` to remove | `{latency}` |
 * | `GET /_sandbox/instances` | | `{instances: [{name, state, instanceId}]}` |
 * | `PUT /_sandbox/instances/{name}` | `{state?, token?, ownerNumber?, profileName?}` | `{name, state, instanceId}` |
 * | `PUT /_sandbox/not-on-whatsapp` | `{numbers: string[]}` | `{count}` |
 * | `POST /_sandbox/inbound` | `{instance, from, text}` | 201 `EvolutionMessageRecord` |
 * | `POST /_sandbox/reset` | | `{reset: true}` |
 *
 * Errors return `{error: "<what failed and what to do>"}` with 400, 401 or 404.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendBody } from './http';
import type { SandboxGateway } from './sandboxGateway';
import type { SandboxLatency } from './types';

/** An admin request with its body read. */
export interface AdminExchange {
	request: IncomingMessage;
	response: ServerResponse;
	/** Path without the query string. */
	path: string;
	/** Body text. */
	body: string;
}

type Json = Record<string, unknown>;

/** Runs one admin request. */
export async function handleAdminRequest(
	gateway: SandboxGateway,
	exchange: AdminExchange,
): Promise<void> {
	const { request, response, path } = exchange;
	const method = request.method ?? 'GET';
	const reply = (status: number, body: unknown): void => sendBody(response, status, body);

	if (request.headers.apikey !== gateway.apiKey) {
		return reply(401, {
			error:
				'Missing or wrong apikey header. The /_sandbox/ routes take the global sandbox API key.',
		});
	}
	let body: Json;
	try {
		body = exchange.body.trim() === '' ? {} : (JSON.parse(exchange.body) as Json);
	} catch (error) {
		return reply(400, { error: `Invalid JSON body: ${(error as Error).message}` });
	}
	const query = new URL(request.url ?? '/', 'http://sandbox').searchParams;
	const route = `${method} ${path.replace(/\/(faults|instances)\/[^/]+$/, '/$1/:id')}`;
	const id = decodeURIComponent(path.split('/').pop() ?? '');

	try {
		switch (route) {
			case 'GET /_sandbox/stats':
				return reply(200, gateway.stats());
			case 'GET /_sandbox/received': {
				const received = filterByInstance(gateway.received, query.get('instance'));
				return reply(200, { count: received.length, received });
			}
			case 'GET /_sandbox/requests': {
				const requests = filterByInstance(gateway.requests, query.get('instance'));
				return reply(200, { count: requests.length, requests });
			}
			case 'GET /_sandbox/webhooks':
				return reply(200, {
					count: gateway.webhookDeliveries.length,
					deliveries: gateway.webhookDeliveries,
				});
			case 'GET /_sandbox/faults':
				return reply(200, { faults: gateway.faults });
			case 'POST /_sandbox/faults':
				return reply(201, gateway.addFault(body as never));
			case 'DELETE /_sandbox/faults':
				return reply(200, { removed: gateway.clearFaults() });
			case 'DELETE /_sandbox/faults/:id':
				return gateway.removeFault(id)
					? reply(200, { removed: 1 })
					: reply(404, {
							error: `Fault rule "${id}" was not found. List the rules with GET /_sandbox/faults.`,
						});
			case 'PUT /_sandbox/latency':
				gateway.setLatency(parseLatency(body));
				return reply(200, { latency: parseLatency(body) ?? null });
			case 'GET /_sandbox/instances':
				return reply(200, { instances: gateway.listInstances() });
			case 'PUT /_sandbox/instances/:id':
				gateway.upsertInstance({ ...(body as Json), name: id } as never);
				return reply(
					200,
					gateway.listInstances().find((instance) => instance.name === id),
				);
			case 'PUT /_sandbox/not-on-whatsapp':
				return setNotOnWhatsApp(gateway, body, reply);
			case 'POST /_sandbox/inbound':
				return reply(201, await sendInbound(gateway, body));
			case 'POST /_sandbox/reset':
				gateway.reset();
				return reply(200, { reset: true });
			default:
				return reply(404, {
					error: `No sandbox admin route ${method} ${path}. See the route list in sandbox/adminRoutes.ts.`,
				});
		}
	} catch (error) {
		return reply(400, { error: (error as Error).message });
	}
}

function filterByInstance<T extends { instance?: string }>(
	list: readonly T[],
	instance: string | null,
): readonly T[] {
	return instance === null ? list : list.filter((entry) => entry.instance === instance);
}

/** Reads `{latencyMs}` or `{minMs, maxMs}`. An empty body gives undefined, which removes the latency. */
function parseLatency(body: Json): SandboxLatency | undefined {
	if (body.latencyMs !== undefined) {
		return body.latencyMs as number;
	}
	if (body.minMs !== undefined || body.maxMs !== undefined) {
		return { minMs: body.minMs as number, maxMs: body.maxMs as number };
	}
	return undefined;
}

function setNotOnWhatsApp(
	gateway: SandboxGateway,
	body: Json,
	reply: (status: number, body: unknown) => void,
): void {
	const numbers = body.numbers;
	if (!Array.isArray(numbers) || numbers.some((number) => typeof number !== 'string')) {
		return reply(400, { error: 'Invalid numbers: expected {"numbers": ["34600000009", …]}.' });
	}
	gateway.setNotOnWhatsApp(numbers as string[]);
	reply(200, { count: numbers.length });
}

async function sendInbound(gateway: SandboxGateway, body: Json): Promise<unknown> {
	const { instance, from, text } = body;
	if (typeof instance !== 'string' || typeof from !== 'string' || typeof text !== 'string') {
		throw new Error(
			'Invalid inbound message: expected {"instance": "…", "from": "…", "text": "…"} with strings.',
		);
	}
	return await gateway.sendInbound(instance, from, text);
}
