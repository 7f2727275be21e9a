/**
 * A local stand-in for Evolution API v2 on node:http, for trying the package
 * without a WhatsApp account and for tests: the same routes, guards, bodies
 * and errors as the real gateway, plus fault injection and webhooks.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ConfigError } from '../shared/errors';
import type {
	EvolutionConnectionState,
	EvolutionMessageRecord,
	EvolutionNumberCheck,
} from '../shared/gateways/evolution/types';
import { describeError, silentLogger, type Logger } from '../shared/logger';
import { handleAdminRequest } from './adminRoutes';
import { faultResponse, FaultRules, type SandboxFault, type SandboxFaultRule } from './faults';
import { BodyTooLargeError, errorEnvelope, readBody, sendBody } from './http';
import { checkLatency, sampleLatency } from './latency';
import { pushBounded, shortenStrings } from './records';
import { matchRoute, parseJson, type RouteMatch } from './routing';
import {
	createMessageId,
	isGroupOrBroadcast,
	isPlayedRoute,
	storedContent,
	toDigits,
	toJid,
	validateSendBody,
	type SendRouteName,
} from './sendRoutes';
import { TimerSet } from './timers';
import {
	SANDBOX_API_KEY,
	SANDBOX_DEFAULT_INSTANCE,
	type SandboxGatewayOptions,
	type SandboxInstanceOptions,
	type SandboxLatency,
	type SandboxReceivedMessage,
	type SandboxRequestRecord,
	type SandboxStats,
	type SandboxWebhookDelivery,
} from './types';
import { describeWebhook, validateWebhookSettings } from './webhookSettings';
import {
	DEFAULT_WEBHOOK_EVENTS,
	inboundRecord,
	resolveWebhookBehavior,
	resolveWebhookTarget,
	WebhookDispatcher,
	type WebhookInstance,
	type WebhookTarget,
} from './webhooks';

/**
 * Error text of the 500 that sends get while an instance is connecting. It
 * stands in for the unhandled TypeError of the real gateway in that state.
 */
const CONNECTING_ERROR = "Cannot read properties of undefined (reading 'id')";

/** Error text Baileys raises when the instance's WhatsApp socket is closed. */
const CLOSED_ERROR = 'Connection Closed';

/** A sandbox instance with its settings and state. */
interface SandboxInstance extends WebhookInstance {
	state: EvolutionConnectionState;
	profileName: string;
	/** Target set through `/webhook/set`, which replaces the default. */
	webhook?: WebhookTarget;
}

/** One request in progress. */
interface Exchange {
	request: IncomingMessage;
	response: ServerResponse;
	record: SandboxRequestRecord;
	match: RouteMatch;
	instance: SandboxInstance;
	body: unknown;
}

/**
 * A local Evolution API v2. Call `start()` before use and `stop()` after.
 *
 * @example
 * const gateway = new SandboxGateway({ instances: ['acme'] });
 * const url = await gateway.start();
 * // POST `${url}/message/sendText/acme` with header `apikey: SANDBOX_API_KEY`
 * await gateway.stop();
 */
export class SandboxGateway {
	/** The global API key. */
	readonly apiKey: string;
	readonly #options: SandboxGatewayOptions;
	readonly #logger: Logger;
	readonly #maxRecords: number;
	readonly #server: Server;
	readonly #requestTimers = new TimerSet();
	readonly #faults = new FaultRules();
	readonly #instances = new Map<string, SandboxInstance>();
	readonly #counts = new Map<string, { requests: number; received: number }>();
	readonly #defaultWebhook?: WebhookTarget;
	readonly #webhooks: WebhookDispatcher;
	#notOnWhatsApp = new Set<string>();
	#latency?: SandboxLatency;
	#requests: SandboxRequestRecord[] = [];
	#received: SandboxReceivedMessage[] = [];
	#totalRequests = 0;
	#totalReceived = 0;
	#url?: string;
	#stopped = false;

	/** @throws ConfigError for an invalid option. */
	constructor(options: SandboxGatewayOptions = {}) {
		this.#options = options;
		this.#logger = options.logger ?? silentLogger;
		this.apiKey = options.apiKey ?? SANDBOX_API_KEY;
		if (this.apiKey === '') {
			throw new ConfigError(
				'apiKey',
				'Invalid sandbox API key: it is empty. Leave it unset to use the sandbox key.',
			);
		}
		this.#maxRecords = options.maxRecords ?? 10_000;
		if (!(Number.isInteger(this.#maxRecords) && this.#maxRecords >= 1)) {
			throw new ConfigError(
				'maxRecords',
				`Invalid maxRecords ${this.#maxRecords}. Use a whole number of at least 1.`,
			);
		}
		this.#defaultWebhook = resolveWebhookTarget(options.webhook);
		this.#webhooks = new WebhookDispatcher({
			behavior: resolveWebhookBehavior(options.webhook),
			timers: new TimerSet(),
			logger: this.#logger,
			maxRecords: this.#maxRecords,
			targetFor: (name) => this.#instances.get(name)?.webhook ?? this.#defaultWebhook,
			instanceFor: (name) => this.#instances.get(name),
			serverUrl: () => this.#url ?? '',
		});
		this.#applyInitialState();
		this.#server = createServer((request, response) => void this.#handle(request, response));
	}

	/** Base URL once started, such as `http://127.0.0.1:41234`. @throws Error before `start()` */
	get url(): string {
		if (this.#url === undefined) {
			throw new Error('The sandbox gateway is not listening. Call start() first.');
		}
		return this.#url;
	}

	/** Every request except `/_sandbox/` ones, oldest first, at most `maxRecords`. */
	get requests(): readonly SandboxRequestRecord[] {
		return this.#requests;
	}

	/** Every accepted send, oldest first, at most `maxRecords`. */
	get received(): readonly SandboxReceivedMessage[] {
		return this.#received;
	}

	/** Every webhook POST, oldest first, at most `maxRecords`. */
	get webhookDeliveries(): readonly SandboxWebhookDelivery[] {
		return this.#webhooks.deliveries;
	}

	/** Fault rules still active, in matching order. */
	get faults(): readonly SandboxFault[] {
		return this.#faults.list;
	}

	/** Starts listening and resolves with the base URL. */
	async start(): Promise<string> {
		if (this.#stopped) {
			throw new Error(
				'The sandbox gateway was stopped. Create a new SandboxGateway to start again.',
			);
		}
		if (this.#url !== undefined) {
			return this.#url;
		}
		const host = this.#options.host ?? '127.0.0.1';
		await new Promise<void>((resolve, reject) => {
			this.#server.once('error', reject);
			this.#server.listen(this.#options.port ?? 0, host, () => {
				this.#server.off('error', reject);
				resolve();
			});
		});
		const { port } = this.#server.address() as AddressInfo;
		this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
		this.#logger.info('Sandbox gateway listening', { url: this.#url });
		return this.#url;
	}

	/**
	 * Stops the server: ends waits, cancels webhook timers, aborts webhook
	 * POSTs, and closes every connection, including hanging ones.
	 */
	async stop(): Promise<void> {
		if (this.#stopped) {
			return;
		}
		this.#stopped = true;
		this.#requestTimers.cancelAll();
		await this.#webhooks.stop();
		if (this.#server.listening) {
			const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
			this.#server.closeAllConnections();
			await closed;
			this.#logger.info('Sandbox gateway stopped', { url: this.#url });
		}
	}

	/** Adds a fault rule after the existing ones and returns it with its id. @throws Error for an invalid rule */
	addFault(rule: SandboxFaultRule): SandboxFault {
		return this.#faults.add(rule);
	}

	/** Removes a fault rule and returns whether it existed. */
	removeFault(id: string): boolean {
		return this.#faults.remove(id);
	}

	/** Removes every fault rule and returns how many there were. */
	clearFaults(): number {
		return this.#faults.clear();
	}

	/** Sets the latency added before each response, or removes it when undefined. @throws ConfigError */
	setLatency(latency: SandboxLatency | undefined): void {
		this.#latency = checkLatency(latency);
	}

	/** Creates an instance, or updates the given settings of an existing one. @throws ConfigError */
	upsertInstance(options: string | SandboxInstanceOptions): void {
		const settings = typeof options === 'string' ? { name: options } : options;
		if (typeof settings.name !== 'string' || settings.name === '') {
			throw new ConfigError(
				'instances',
				'Invalid instance: the name is missing. Give every instance a name.',
			);
		}
		if (settings.state !== undefined && !['open', 'connecting', 'close'].includes(settings.state)) {
			throw new ConfigError(
				'state',
				`Invalid state "${settings.state}" for instance "${settings.name}". Use open, connecting or close.`,
			);
		}

		const existing = this.#instances.get(settings.name);
		this.#instances.set(settings.name, {
			name: settings.name,
			instanceId: existing?.instanceId ?? randomUUID(),
			state: settings.state ?? existing?.state ?? 'open',
			token: settings.token ?? existing?.token,
			ownerNumber: settings.ownerNumber ?? existing?.ownerNumber ?? '15550000000',
			profileName: settings.profileName ?? existing?.profileName ?? 'Sandbox',
			webhook: existing?.webhook,
		});
	}

	/** Changes the connection state of an instance. @throws ConfigError for an unknown instance */
	setInstanceState(name: string, state: EvolutionConnectionState): void {
		if (!this.#instances.has(name)) {
			throw new ConfigError(
				'instance',
				`Instance "${name}" does not exist in the sandbox. Create it with upsertInstance().`,
			);
		}
		this.upsertInstance({ name, state });
	}

	/** Names, states and ids of the instances. */
	listInstances(): Array<{ name: string; state: EvolutionConnectionState; instanceId: string }> {
		return [...this.#instances.values()].map(({ name, state, instanceId }) => ({
			name,
			state,
			instanceId,
		}));
	}

	/** Replaces the numbers that are not on WhatsApp. They are compared by digits. */
	setNotOnWhatsApp(numbers: readonly string[]): void {
		this.#notOnWhatsApp = new Set(numbers.map(toDigits));
	}

	/**
	 * Simulates an inbound text from `fromNumber` and posts it as a
	 * `messages.upsert` webhook. Resolves with the message record once the POST
	 * and its retries finished.
	 *
	 * @throws ConfigError for an unknown instance, or when the instance has no webhook URL.
	 */
	async sendInbound(
		instanceName: string,
		fromNumber: string,
		text: string,
	): Promise<EvolutionMessageRecord> {
		const instance = this.#instances.get(instanceName);
		if (!instance) {
			throw new ConfigError(
				'instance',
				`Instance "${instanceName}" does not exist in the sandbox. Create it first.`,
			);
		}
		if (!(instance.webhook ?? this.#defaultWebhook)) {
			throw new ConfigError(
				'webhook',
				`Instance "${instanceName}" has no webhook URL. Set webhook.url or call /webhook/set first.`,
			);
		}
		const record = inboundRecord(instance, fromNumber, text);
		await this.#webhooks.postInbound(instanceName, record);
		return record;
	}

	/**
	 * Returns the sandbox to its configured state: records, counts, fault rules,
	 * latency, instances, not-on-WhatsApp numbers and `/webhook/set` targets.
	 * Scheduled webhooks are cancelled, but requests in progress go on.
	 */
	reset(): void {
		this.#faults.clear();
		this.#webhooks.cancelScheduled();
		this.#webhooks.clearRecords();
		this.#requests = [];
		this.#received = [];
		this.#counts.clear();
		this.#totalRequests = 0;
		this.#totalReceived = 0;
		this.#instances.clear();
		this.#applyInitialState();
	}

	/** Counts of requests and sends, in total and per instance, and of webhooks. */
	stats(): SandboxStats {
		const instances: SandboxStats['instances'] = {};
		for (const instance of this.#instances.values()) {
			const counts = this.#counts.get(instance.name) ?? { requests: 0, received: 0 };
			instances[instance.name] = { state: instance.state, ...counts };
		}
		return {
			requests: this.#totalRequests,
			received: this.#totalReceived,
			instances,
			webhooks: this.#webhooks.counts,
		};
	}

	#applyInitialState(): void {
		const instances = this.#options.instances ?? [SANDBOX_DEFAULT_INSTANCE];
		for (const instance of instances) {
			this.upsertInstance(instance);
		}
		this.setNotOnWhatsApp(this.#options.notOnWhatsApp ?? []);
		this.setLatency(this.#options.latency);
	}

	async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const path = (request.url ?? '/').split('?')[0];
		try {
			if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
				const body = await readBody(request);
				await handleAdminRequest(this, { request, response, path, body });
				return;
			}
			await this.#handleGatewayRequest(request, response, path);
		} catch (error) {
			if (error instanceof BodyTooLargeError) {
				sendBody(response, 413, errorEnvelope(413, [error.message]));
				return;
			}
			if (response.destroyed) {
				return;
			}
			this.#logger.error('Sandbox gateway failed to handle a request', {
				path,
				...describeError(error),
			});
			sendBody(response, 500, errorEnvelope(500, [(error as Error).message]));
		}
	}

	/** Runs one Evolution request: latency, faults, route, guards, then the route itself. */
	async #handleGatewayRequest(
		request: IncomingMessage,
		response: ServerResponse,
		path: string,
	): Promise<void> {
		const method = request.method ?? 'GET';
		const match = matchRoute(method, path);
		const record: SandboxRequestRecord = {
			method,
			path,
			time: Date.now(),
			remotePort: request.socket.remotePort,
		};
		if (match) {
			record.instance = match.instance;
		}
		this.#recordRequest(record);
		response.on('finish', () => {
			record.statusCode = response.statusCode;
		});

		const text = await readBody(request);
		const body = parseJson(text);
		if (!(await this.#wait(sampleLatency(this.#latency), response))) {
			return;
		}
		if (!(await this.#applyFault(request, response, record, match, body))) {
			return;
		}

		if (!match) {
			sendBody(response, 404, errorEnvelope(404, [`Cannot ${method} ${path}`]));
			return;
		}
		const instance = this.#instances.get(match.instance);
		if (!instance) {
			sendBody(
				response,
				404,
				errorEnvelope(404, [`The "${match.instance}" instance does not exist`]),
			);
			return;
		}
		const key = request.headers.apikey;
		record.authorized =
			key === this.apiKey || (instance.token !== undefined && key === instance.token);
		if (!record.authorized) {
			sendBody(response, 401, errorEnvelope(401, 'Unauthorized'));
			return;
		}
		if (body instanceof SyntaxError) {
			sendBody(response, 400, errorEnvelope(400, [`Invalid JSON body: ${body.message}`]));
			return;
		}

		await this.#route({ request, response, record, match, instance, body });
	}

	/** Applies the first matching fault rule and returns whether handling goes on. */
	async #applyFault(
		request: IncomingMessage,
		response: ServerResponse,
		record: SandboxRequestRecord,
		match: RouteMatch | undefined,
		body: unknown,
	): Promise<boolean> {
		const number = (body as { number?: unknown } | undefined)?.number;
		const fault = this.#faults.take({
			instance: match?.instance,
			route: match?.kind === 'send' ? match.route : match?.kind,
			number: typeof number === 'string' ? number : undefined,
		});
		switch (fault?.action) {
			case undefined:
				return true;
			case 'delay':
				return await this.#wait(fault.latencyMs ?? 0, response);
			case 'reset':
				record.fault = 'reset';
				request.socket.destroy();
				return false;
			case 'hang':
				// No response: the connection stays open until the client gives up or stop() closes it.
				record.fault = 'hang';
				return false;
			case 'respond': {
				const { status, body: faultBody, headers } = faultResponse(fault);
				sendBody(response, status, faultBody, headers);
				return false;
			}
		}
	}

	async #route(exchange: Exchange): Promise<void> {
		const { match } = exchange;
		switch (match.kind) {
			case 'send':
				return await this.#send(exchange, match.route);
			case 'whatsappNumbers':
				return this.#checkNumbers(exchange);
			case 'connectionState':
				return sendBody(exchange.response, 200, {
					instance: { instanceName: exchange.instance.name, state: exchange.instance.state },
				});
			case 'webhookSet':
				return this.#setWebhook(exchange);
			case 'webhookFind':
				return sendBody(
					exchange.response,
					200,
					describeWebhook(exchange.instance.webhook, exchange.instance.instanceId),
				);
		}
	}

	/**
	 * Handles a send in the real gateway's order: body checks, connection state,
	 * the number check, the `delay` wait, then the 201 with the stored record.
	 */
	async #send(exchange: Exchange, route: SendRouteName): Promise<void> {
		const { response, instance, body, record } = exchange;
		const issues = validateSendBody(route, body);
		if (issues.length > 0) {
			return sendBody(response, 400, errorEnvelope(400, issues));
		}
		if (!this.#isConnected(exchange)) {
			return;
		}
		const fields = body as Record<string, unknown>;
		const number = fields.number as string;
		const missing = this.#checkNumber(number);
		if (!missing.exists && !isGroupOrBroadcast(number)) {
			return sendBody(response, 400, errorEnvelope(400, [missing]));
		}
		if (!(await this.#wait((fields.delay as number | undefined) ?? 0, response))) {
			return;
		}

		const content = storedContent(route, fields);
		const messageRecord: EvolutionMessageRecord = {
			key: { remoteJid: toJid(number), fromMe: true, id: createMessageId() },
			pushName: instance.profileName,
			status: 'PENDING',
			message: content.message,
			messageType: content.messageType,
			messageTimestamp: Math.floor(Date.now() / 1000),
			instanceId: instance.instanceId,
			// Stand-in value. The real gateway guesses the device from the id's format.
			source: 'unknown',
		};
		this.#recordReceived({
			instance: instance.name,
			path: record.path,
			route,
			number,
			body: shortenStrings(fields),
			messageId: messageRecord.key.id,
			remoteJid: messageRecord.key.remoteJid,
			time: Date.now(),
		});
		sendBody(response, 201, messageRecord);

		this.#webhooks.scheduleAfterSend(instance, {
			record: messageRecord,
			databaseId: randomUUID(),
			played: isPlayedRoute(route),
			isGroup: isGroupOrBroadcast(number),
		});
	}

	/**
	 * Responds as the real gateway does when the WhatsApp socket is not open:
	 * 500 while connecting, 400 `Connection Closed` when closed. Returns
	 * whether the instance is open.
	 */
	#isConnected({ instance, response }: Exchange): boolean {
		if (instance.state === 'connecting') {
			sendBody(response, 500, errorEnvelope(500, [CONNECTING_ERROR]));
			return false;
		}
		if (instance.state === 'close') {
			sendBody(response, 400, errorEnvelope(400, [CLOSED_ERROR]));
			return false;
		}
		return true;
	}

	#checkNumber(number: string): EvolutionNumberCheck {
		const digits = toDigits(number);
		const jid = isGroupOrBroadcast(number) ? number : `${digits}@s.whatsapp.net`;
		return { exists: !this.#notOnWhatsApp.has(digits), jid, number };
	}

	#checkNumbers(exchange: Exchange): void {
		const { response, body } = exchange;
		const numbers = (body as { numbers?: unknown } | undefined)?.numbers;
		if (numbers === undefined) {
			return sendBody(response, 400, errorEnvelope(400, ['requires property "numbers"']));
		}
		if (
			!Array.isArray(numbers) ||
			numbers.length === 0 ||
			numbers.some((entry) => typeof entry !== 'string')
		) {
			return sendBody(
				response,
				400,
				errorEnvelope(400, ['numbers must be an array of at least 1 string']),
			);
		}
		if (new Set(numbers).size !== numbers.length) {
			return sendBody(response, 400, errorEnvelope(400, ['numbers contains duplicate items']));
		}
		if (!this.#isConnected(exchange)) {
			return;
		}
		sendBody(
			response,
			200,
			(numbers as string[]).map((number) => this.#checkNumber(number)),
		);
	}

	#setWebhook({ response, instance, body }: Exchange): void {
		const webhook = (body as { webhook?: Record<string, unknown> } | undefined)?.webhook;
		const issues = validateWebhookSettings(webhook);
		if (issues.length > 0) {
			return sendBody(response, 400, errorEnvelope(400, issues));
		}
		const settings = webhook as Record<string, unknown>;
		const events = (settings.events as string[] | undefined) ?? [];
		instance.webhook = {
			enabled: settings.enabled as boolean,
			url: (settings.url as string | undefined) ?? '',
			headers: (settings.headers as Record<string, string> | undefined) ?? {},
			events: events.length > 0 ? events : DEFAULT_WEBHOOK_EVENTS,
			byEvents: (settings.byEvents as boolean | undefined) ?? false,
		};
		sendBody(response, 201, describeWebhook(instance.webhook, instance.instanceId));
	}

	/** Waits `delayMs`. When `stop()` ends the wait first, closes the connection and returns false. */
	async #wait(delayMs: number, response: ServerResponse): Promise<boolean> {
		if (delayMs <= 0) {
			return true;
		}
		const elapsed = await this.#requestTimers.sleep(delayMs);
		if (!elapsed) {
			response.destroy();
		}
		return elapsed;
	}

	#recordRequest(record: SandboxRequestRecord): void {
		this.#totalRequests += 1;
		if (record.instance !== undefined && this.#instances.has(record.instance)) {
			this.#countFor(record.instance).requests += 1;
		}
		pushBounded(this.#requests, record, this.#maxRecords);
	}

	#recordReceived(message: SandboxReceivedMessage): void {
		this.#totalReceived += 1;
		this.#countFor(message.instance).received += 1;
		pushBounded(this.#received, message, this.#maxRecords);
	}

	#countFor(instance: string): { requests: number; received: number } {
		let counts = this.#counts.get(instance);
		if (!counts) {
			counts = { requests: 0, received: 0 };
			this.#counts.set(instance, counts);
		}
		return counts;
	}
}
