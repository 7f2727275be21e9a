/**
 * The "Test connection" check of the WhatsApp Queue Redis credential. It
 * connects to the queue database and the analytics database with a short
 * timeout, runs one read command on each, and always closes its client.
 */

import { connect } from 'node:net';

import { IANAZone } from 'luxon';
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	ConfigError,
	resolveQueueConfig,
	connectRedis,
	createRedisClient,
	describeRedisTarget,
	resolveRedisConfig,
	toRedisUnavailableError,
	type ResolvedRedisConfig,
} from '../../shared';
import { readCredential, toRedisConnection, type QueueCredential } from './credentials';

/** Connect and command timeout of the test, in milliseconds. */
const TEST_TIMEOUT_MS = 3000;

/** How long the plaintext check after a failed TLS connection waits, in milliseconds. */
const PLAINTEXT_CHECK_TIMEOUT_MS = 1000;

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Checks the fields that need no connection, so a typo costs no round trip. */
function checkFields(credential: QueueCredential): string | undefined {
	try {
		resolveQueueConfig({ prefix: credential.prefix });
		resolveQueueConfig({ prefix: credential.analyticsPrefix });
		resolveRedisConfig(toRedisConnection(credential, 'queue'));
		resolveRedisConfig(toRedisConnection(credential, 'analytics'));
	} catch (error) {
		return errorMessage(error);
	}
	if (!IANAZone.isValidZone(credential.analyticsTimeZone)) {
		return `Invalid analytics time zone "${credential.analyticsTimeZone}". Use an IANA time zone name such as UTC or America/Sao_Paulo.`;
	}
	return undefined;
}

/**
 * Returns whether a plaintext Redis replies to PING at this address. Redis
 * 7.0 sends nothing back to a TLS handshake on a plaintext port, so such a
 * connection only times out, and this check turns that into the right advice.
 */
async function repliesInPlaintext(host: string, port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = connect({ host, port });
		let reply = '';
		const finish = (replied: boolean) => {
			socket.destroy();
			resolve(replied);
		};
		socket.setTimeout(PLAINTEXT_CHECK_TIMEOUT_MS, () => finish(false));
		socket.on('error', () => finish(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk: Buffer) => {
			reply += chunk.toString('latin1');
			// "+PONG", or "-NOAUTH ..." from a server with a password.
			finish(/^[+-]/.test(reply));
		});
	});
}

/**
 * Connects to one database and reads one key. Resolves to an error message,
 * or to undefined when both worked. `connectRedis` fails for a database the
 * server does not have.
 */
async function probeDatabase(
	config: ResolvedRedisConfig,
	keyPrefix: string,
): Promise<string | undefined> {
	const client = createRedisClient(config, 'producer', `${keyPrefix}:credential-test`);
	// connectRedis reports connection errors; this listener only keeps
	// ioredis from printing the ones that follow.
	client.on('error', () => undefined);
	try {
		await connectRedis(client, config);
		await client.exists(`${keyPrefix}:credential-test`);
		return undefined;
	} catch (error) {
		if (error instanceof ConfigError) {
			return error.message;
		}
		const unavailable =
			error instanceof Error && error.name === 'RedisUnavailableError'
				? error
				: toRedisUnavailableError(error, config);
		if (config.tls && /did not answer/.test(unavailable.message)) {
			if (await repliesInPlaintext(config.host, config.port)) {
				return `Redis at ${describeRedisTarget(config)} does not use TLS on this port. Turn TLS off, or use the server's TLS port.`;
			}
		}
		return unavailable.message;
	} finally {
		client.disconnect();
	}
}

/** Tests a WhatsApp Queue Redis credential, as n8n does for "Test connection". */
export async function testRedisCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const settings = readCredential(credential.data ?? {});
	const invalid = checkFields(settings);
	if (invalid) {
		return { status: 'Error', message: invalid };
	}

	const databases = [
		{
			label: 'Queue database',
			config: toRedisConnection(settings, 'queue', TEST_TIMEOUT_MS),
			prefix: settings.prefix,
		},
		{
			label: 'Analytics database',
			config: toRedisConnection(settings, 'analytics', TEST_TIMEOUT_MS),
			prefix: settings.analyticsPrefix,
		},
	];
	for (const database of databases) {
		const resolved = resolveRedisConfig(database.config);
		const failure = await probeDatabase(resolved, database.prefix);
		if (failure) {
			return { status: 'Error', message: `${database.label} ${resolved.db}: ${failure}` };
		}
	}

	const target = describeRedisTarget(resolveRedisConfig(databases[0].config));
	return {
		status: 'OK',
		message: `Connected to Redis at ${target}, databases ${settings.queueDatabase} and ${settings.analyticsDatabase}.`,
	};
}
