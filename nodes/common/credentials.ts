/**
 * Turns the WhatsApp Queue Redis credential into the connection settings of
 * the shared library. Every field is passed on its own, so no password is
 * ever put into a URL.
 */

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type {
	Logger,
	QueueManagerConfig,
	RedisConnectionConfig,
	AnalyticsManagerOptions,
} from '../../shared';

/**
 * Name of the credential type. Node descriptions spell it out instead of
 * using this constant, because n8n's lint reads the name from the source.
 */
export const CREDENTIAL_NAME = 'whatsAppQueueRedisApi';

/** Name of the credential test that every node offers, spelled out in the descriptions too. */
export const CREDENTIAL_TEST_NAME = 'whatsAppQueueRedisApiTest';

/** The credential's fields, typed. */
export interface QueueCredential {
	host: string;
	port: number;
	username?: string;
	password?: string;
	queueDatabase: number;
	analyticsDatabase: number;
	prefix: string;
	analyticsPrefix: string;
	analyticsTimeZone: string;
	tls: boolean;
	caCertificate?: string;
	rejectUnauthorized: boolean;
}

function readString(data: ICredentialDataDecryptedObject, name: string): string | undefined {
	const value = data[name];
	if (typeof value !== 'string') {
		return undefined;
	}
	const trimmed = value.trim();
	return trimmed === '' ? undefined : trimmed;
}

function readNumber(data: ICredentialDataDecryptedObject, name: string, fallback: number): number {
	const value = data[name];
	if (value === undefined || value === null || value === '') {
		return fallback;
	}
	return typeof value === 'number' ? value : Number(value);
}

/**
 * Reads the credential with the documented defaults. The password is kept
 * exactly as typed, spaces included; the other strings are trimmed.
 */
export function readCredential(data: ICredentialDataDecryptedObject): QueueCredential {
	const password =
		typeof data.password === 'string' && data.password !== '' ? data.password : undefined;
	return {
		host: readString(data, 'host') ?? '127.0.0.1',
		port: readNumber(data, 'port', 6379),
		username: readString(data, 'username'),
		password,
		queueDatabase: readNumber(data, 'queueDatabase', 0),
		analyticsDatabase: readNumber(data, 'analyticsDatabase', 1),
		prefix: readString(data, 'prefix') ?? 'waq',
		analyticsPrefix: readString(data, 'analyticsPrefix') ?? 'waa',
		analyticsTimeZone: readString(data, 'analyticsTimeZone') ?? 'UTC',
		tls: data.tls === true,
		caCertificate: readString(data, 'caCertificate'),
		rejectUnauthorized: data.rejectUnauthorized !== false,
	};
}

/** Connection settings for the queue database or the analytics database. */
export function toRedisConnection(
	credential: QueueCredential,
	database: 'queue' | 'analytics',
	connectTimeoutMs?: number,
): RedisConnectionConfig {
	const tls = credential.tls
		? { ca: credential.caCertificate, rejectUnauthorized: credential.rejectUnauthorized }
		: undefined;
	return {
		host: credential.host,
		port: credential.port,
		username: credential.username,
		password: credential.password,
		db: database === 'queue' ? credential.queueDatabase : credential.analyticsDatabase,
		tls,
		connectTimeoutMs,
	};
}

/** Queue manager settings for a node run. */
export function toQueueManagerConfig(
	credential: QueueCredential,
	logger: Logger,
): QueueManagerConfig {
	return { redis: toRedisConnection(credential, 'queue'), prefix: credential.prefix, logger };
}

/** Analytics manager settings for a node run. */
export function toAnalyticsOptions(
	credential: QueueCredential,
	logger: Logger,
): AnalyticsManagerOptions {
	const redis = toRedisConnection(credential, 'analytics');
	return {
		host: redis.host,
		port: redis.port,
		username: redis.username,
		password: redis.password,
		db: redis.db,
		tls: redis.tls,
		prefix: credential.analyticsPrefix,
		timeZone: credential.analyticsTimeZone,
		logger,
	};
}
