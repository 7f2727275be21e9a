/**
 * The one place that creates Redis clients. Two profiles:
 * - `producer` (nodes, queue managers): fails fast while Redis is down, so a
 *   workflow run ends with a clear error instead of hanging.
 * - `consumer` (workers, triggers): retries every command and reconnects
 *   forever, so it waits out an outage, as BullMQ's production guide recommends.
 */

import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

import { ConfigError, RedisUnavailableError } from '../errors';

/** TLS settings for a Redis connection. */
export interface RedisTlsOptions {
	/** PEM-encoded CA certificate(s) to trust, for servers with a private CA. */
	ca?: string;
	/**
	 * Whether to reject a server certificate that the CA list does not vouch for.
	 * @defaultValue `true`
	 */
	rejectUnauthorized?: boolean;
	/** Server name for SNI and certificate checks, when it differs from `host`. */
	servername?: string;
}

/** Connection settings for Redis. Each field is passed to ioredis on its own. */
export interface RedisConnectionConfig {
	/**
	 * `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
	 * Fields given next to it override the URL's parts.
	 */
	url?: string;
	/** @defaultValue `'127.0.0.1'` */
	host?: string;
	/** @defaultValue `6379` */
	port?: number;
	/** ACL user name (Redis 6 and later). */
	username?: string;
	/** Password; any characters work because it is never put into a URL. */
	password?: string;
	/** Database number. @defaultValue `0` for the queue, `1` for analytics */
	db?: number;
	/** `true` for TLS with the system CAs, or TLS settings. @defaultValue `false` */
	tls?: boolean | RedisTlsOptions;
	/**
	 * How long to wait for the connection and, in the producer profile, for a
	 * command before failing.
	 * @defaultValue `5000`
	 */
	connectTimeoutMs?: number;
}

/** Retry behaviour of a client, as the file header describes. */
export type ConnectionProfile = 'producer' | 'consumer';

/** Connection settings with the URL resolved and defaults applied. */
export interface ResolvedRedisConfig {
	host: string;
	port: number;
	username?: string;
	password?: string;
	db: number;
	tls?: RedisTlsOptions;
	connectTimeoutMs: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Applies defaults and splits `url` into fields. Throws `ConfigError` for a
 * malformed URL, port or database number, naming the option without its secret.
 */
export function resolveRedisConfig(config: RedisConnectionConfig = {}, defaultDb = 0): ResolvedRedisConfig {
	const fromUrl = config.url ? parseRedisUrl(config.url) : {};
	const merged: RedisConnectionConfig = { ...fromUrl, ...dropUndefined(config) };

	const port = merged.port ?? 6379;
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new ConfigError('redis.port', `Invalid Redis port ${String(port)}. Use a whole number from 1 to 65535.`);
	}
	const db = merged.db ?? defaultDb;
	if (!Number.isInteger(db) || db < 0 || db > 15) {
		throw new ConfigError('redis.db', `Invalid Redis database ${String(db)}. Use a whole number from 0 to 15.`);
	}
	const connectTimeoutMs = merged.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
	if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 100) {
		throw new ConfigError(
			'redis.connectTimeoutMs',
			`Invalid connectTimeoutMs ${String(connectTimeoutMs)}. Use a whole number of milliseconds, at least 100.`,
		);
	}

	const tls = merged.tls === true ? {} : merged.tls || undefined;
	return {
		host: merged.host || '127.0.0.1',
		port,
		username: merged.username || undefined,
		password: merged.password || undefined,
		db,
		tls,
		connectTimeoutMs,
	};
}

function dropUndefined<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parseRedisUrl(url: string): RedisConnectionConfig {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ConfigError('redis.url', 'Invalid Redis URL. Use redis://[user[:password]@]host[:port][/db], or rediss:// for TLS.');
	}
	if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
		throw new ConfigError(
			'redis.url',
			`Invalid Redis URL scheme "${parsed.protocol}". Use redis:// or rediss:// for TLS.`,
		);
	}
	const result: RedisConnectionConfig = { host: parsed.hostname.replace(/^\[|\]$/g, '') || undefined };
	if (parsed.port) {
		result.port = Number(parsed.port);
	}
	if (parsed.username) {
		result.username = decodeURIComponent(parsed.username);
	}
	if (parsed.password) {
		result.password = decodeURIComponent(parsed.password);
	}
	const dbPath = parsed.pathname.replace(/^\//, '');
	if (dbPath) {
		if (!/^\d+$/.test(dbPath)) {
			throw new ConfigError('redis.url', `Invalid database "${dbPath}" in the Redis URL. Use a number such as /0.`);
		}
		result.db = Number(dbPath);
	}
	if (parsed.protocol === 'rediss:') {
		result.tls = true;
	}
	return result;
}

/** `host:port` for messages; never includes credentials. */
export function describeRedisTarget(config: ResolvedRedisConfig): string {
	const host = config.host.includes(':') ? `[${config.host}]` : config.host;
	return `${host}:${config.port}`;
}

/** Options shared by both profiles. */
function baseOptions(config: ResolvedRedisConfig, connectionName?: string): RedisOptions {
	const options: RedisOptions = {
		host: config.host,
		port: config.port,
		username: config.username,
		password: config.password,
		db: config.db,
		connectTimeout: config.connectTimeoutMs,
		connectionName,
		lazyConnect: true,
	};
	if (config.tls) {
		const tls: TlsConnectionOptions = {
			rejectUnauthorized: config.tls.rejectUnauthorized ?? true,
			servername: config.tls.servername ?? (isIpAddress(config.host) ? undefined : config.host),
		};
		if (config.tls.ca) {
			tls.ca = config.tls.ca;
		}
		options.tls = tls;
	}
	return options;
}

function isIpAddress(host: string): boolean {
	return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * Creates a client in the given profile. The client connects lazily; call
 * `connectRedis` to connect and turn connection failures into clear errors.
 */
export function createRedisClient(
	config: ResolvedRedisConfig,
	profile: ConnectionProfile,
	connectionName?: string,
): Redis {
	const options = baseOptions(config, connectionName);
	if (profile === 'producer') {
		Object.assign(options, {
			enableOfflineQueue: false,
			maxRetriesPerRequest: 1,
			commandTimeout: config.connectTimeoutMs,
			// Reconnect in the background so a long-lived producer recovers.
			retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
		} satisfies RedisOptions);
	} else {
		Object.assign(options, {
			enableOfflineQueue: true,
			maxRetriesPerRequest: null,
			retryStrategy: (attempt: number) => Math.min(attempt * 250, 5000),
		} satisfies RedisOptions);
	}
	return new Redis(options);
}

/**
 * Connects `client` and waits until it is ready, failing within the connect
 * timeout with a `RedisUnavailableError` whose message names the address and
 * the likely fix, never the password. With `waitForever`, for consumers, it
 * waits until Redis is reachable.
 */
export async function connectRedis(
	client: Redis,
	config: ResolvedRedisConfig,
	options: { waitForever?: boolean } = {},
): Promise<void> {
	if (client.status === 'ready') {
		return;
	}
	let lastError: unknown;
	const onError = (error: unknown) => {
		lastError = error;
	};
	client.on('error', onError);
	try {
		if (options.waitForever) {
			// Consumers reconnect on their own; wait however long Redis is away,
			// but not for a password or TLS setting that can never work.
			await Promise.race([
				waitUntilReady(client).ready.catch(() => waitForReadyEvent(client)),
				rejectOnPermanentError(client),
			]);
		} else {
			const waiting = waitUntilReady(client);
			try {
				await withTimeout(waiting.ready, config.connectTimeoutMs + 500);
			} finally {
				waiting.cancel();
			}
		}
		await assertDatabase(client, config);
	} catch (error) {
		if (error instanceof ConfigError) {
			throw error;
		}
		throw toRedisUnavailableError(lastError ?? error, config);
	} finally {
		client.off('error', onError);
	}
}

/**
 * Resolves when the client is ready. `cancel` removes the listeners it added,
 * for a caller that stopped waiting.
 */
function waitUntilReady(client: Redis): { ready: Promise<void>; cancel: () => void } {
	if (client.status === 'wait') {
		return { ready: client.connect(), cancel: () => undefined };
	}
	if (client.status === 'ready') {
		return { ready: Promise.resolve(), cancel: () => undefined };
	}
	let cleanup = () => undefined as void;
	const ready = new Promise<void>((resolve, reject) => {
		const onReady = () => {
			cleanup();
			resolve();
		};
		const onEnd = () => {
			cleanup();
			reject(new Error('Connection closed'));
		};
		cleanup = () => {
			client.off('ready', onReady);
			client.off('end', onEnd);
		};
		client.on('ready', onReady);
		client.on('end', onEnd);
	});
	return { ready, cancel: () => cleanup() };
}

/**
 * Selects the configured database again and fails when Redis has no such
 * database. ioredis reports a failed SELECT at connect only as an 'error'
 * event and goes on with database 0, which would mix queue and analytics data.
 */
async function assertDatabase(client: Redis, config: ResolvedRedisConfig): Promise<void> {
	if (config.db === 0) {
		return;
	}
	try {
		await client.select(config.db);
	} catch (error) {
		const text = error instanceof Error ? error.message : String(error);
		if (/DB index is out of range|not allowed in cluster mode|invalid DB index/i.test(text)) {
			throw new ConfigError(
				'redis.db',
				`Redis at ${describeRedisTarget(config)} has no database ${config.db}: ${firstLine(text)}. ` +
					'Use a database the server has (0 to 15 by default, only 0 on Redis Cluster), or keep queue and analytics apart with key prefixes.',
			);
		}
		throw error;
	}
}

/** Errors that reconnecting cannot fix: wrong credentials, missing permissions, TLS mismatches. */
export function isPermanentConnectionError(error: unknown): boolean {
	const text = `${(error as Error)?.message ?? ''} ${(error as NodeJS.ErrnoException)?.code ?? ''}`;
	return /WRONGPASS|NOAUTH|invalid username-password|NOPERM|wrong version number|packet length too long|unknown protocol|ERR_SSL|certificate|self.signed|unable to verify|CERT_/i.test(
		text,
	);
}

/** Rejects on the first permanent connection error; resolves never otherwise. */
function rejectOnPermanentError(client: Redis): Promise<never> {
	return new Promise((_, reject) => {
		const onError = (error: unknown) => {
			if (isPermanentConnectionError(error)) {
				client.off('error', onError);
				client.off('ready', onReady);
				reject(error);
			}
		};
		const onReady = () => client.off('error', onError);
		client.on('error', onError);
		client.once('ready', onReady);
	});
}

function waitForReadyEvent(client: Redis): Promise<void> {
	return new Promise((resolve) => client.once('ready', () => resolve()));
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Maps a connection or command failure to a `RedisUnavailableError` with advice.
 * The original error is kept as `cause` with any password removed from its text.
 */
export function toRedisUnavailableError(error: unknown, config: ResolvedRedisConfig): RedisUnavailableError {
	const target = describeRedisTarget(config);
	const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
	const text = error instanceof Error ? error.message : String(error);
	const tlsOn = Boolean(config.tls);
	let message: string;

	if (/WRONGPASS|NOAUTH|invalid username-password|invalid password/i.test(text)) {
		message = `Redis at ${target} rejected the credentials. Check the username and password.`;
	} else if (/NOPERM/i.test(text)) {
		message = `The Redis user has no permission for a command the queue needs (${firstLine(text)}). Grant it in the ACL.`;
	} else if (/wrong version number|packet length too long|unknown protocol|EPROTO|ERR_SSL/i.test(text + code)) {
		message = tlsOn
			? `TLS handshake with Redis at ${target} failed: the server does not speak TLS on this port. Turn TLS off or use the TLS port.`
			: `Redis at ${target} expects TLS. Turn TLS on.`;
	} else if (/certificate|self.signed|unable to verify|CERT_/i.test(text + code)) {
		message = `Redis at ${target} presented a certificate that is not trusted. Add its CA certificate, or turn off certificate checks for testing only.`;
	} else if (code === 'ECONNREFUSED') {
		message = `Redis refused the connection at ${target}. Check the host and port, and that Redis is running.`;
	} else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		message = `Redis host "${config.host}" was not found. Check the host name.`;
	} else if (code === 'ECONNRESET' && !tlsOn) {
		message = `Redis at ${target} closed the connection. If the server expects TLS, turn TLS on.`;
	} else if (code === 'ETIMEDOUT' || /timed? ?out/i.test(text)) {
		message = tlsOn
			? `Redis at ${target} did not answer within ${config.connectTimeoutMs} ms. Check the host and port, and whether this port speaks TLS.`
			: `Redis at ${target} did not answer within ${config.connectTimeoutMs} ms. Check the host, port and firewall; if the server expects TLS, turn TLS on.`;
	} else if (/max retries|enableOfflineQueue|Stream isn't writeable|Connection is closed/i.test(text)) {
		message = `Redis at ${target} is unavailable. Check that it is running and reachable.`;
	} else {
		message = `Redis at ${target} failed: ${firstLine(text)}`;
	}
	return new RedisUnavailableError(message, scrub(error, config));
}

function firstLine(text: string): string {
	return text.split('\n')[0].slice(0, 200);
}

/** Returns an error whose message no longer contains the password. */
function scrub(error: unknown, config: ResolvedRedisConfig): unknown {
	if (!config.password || !(error instanceof Error) || !error.message.includes(config.password)) {
		return error;
	}
	const copy = new Error(error.message.split(config.password).join('***'));
	copy.name = error.name;
	return copy;
}

/** True for errors that mean Redis is unreachable rather than a bad command. */
export function isConnectionError(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN'].includes(code)) {
		return true;
	}
	const text = error instanceof Error ? error.message : '';
	return /max retries|enableOfflineQueue|Stream isn't writeable|Connection is closed|Command timed out|connect ETIMEDOUT/i.test(
		text,
	);
}
