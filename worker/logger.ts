/**
 * The worker's logger: pino JSON lines, with secrets removed before they are
 * written.
 */

import pino from 'pino';

import type { Logger, LogMetadata } from '../shared/logger';

/** Field names whose values are never logged, wherever they appear. */
const REDACTED_PATHS = [
	'apiKey',
	'apikey',
	'password',
	'secret',
	'token',
	'authorization',
	'*.apiKey',
	'*.apikey',
	'*.password',
	'*.secret',
	'*.token',
	'*.authorization',
	'headers.apikey',
	'headers.authorization',
	'headers["x-webhook-secret"]',
];

/** Log levels the worker accepts in `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Replaces every occurrence of the given secret values in a string. Secrets
 * shorter than 4 characters are left alone, because they would match everywhere.
 */
function scrubber(secrets: string[]): (text: string) => string {
	const values = secrets.filter((secret) => secret.length >= 4);
	if (values.length === 0) {
		return (text) => text;
	}
	return (text) => values.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}

/** Wraps a pino logger in the shared `Logger` interface. */
function adapt(base: pino.Logger, scrub: (text: string) => string): Logger & { child(bindings: LogMetadata): Logger } {
	const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, metadata?: LogMetadata) => {
		if (!base.isLevelEnabled(level)) {
			return;
		}
		if (metadata === undefined) {
			base[level](scrub(message));
			return;
		}
		const serialized = JSON.stringify(metadata);
		const clean = scrub(serialized);
		base[level](clean === serialized ? metadata : (JSON.parse(clean) as LogMetadata), scrub(message));
	};
	return {
		debug: write('debug'),
		info: write('info'),
		warn: write('warn'),
		error: write('error'),
		child: (bindings) => adapt(base.child(bindings), scrub),
	};
}

/**
 * Creates the worker's JSON logger on stdout. `secrets` are values that must
 * never appear in a log line, such as the gateway API key and Redis password.
 */
export function createWorkerLogger(
	level: LogLevel,
	secrets: string[],
	destination?: pino.DestinationStream,
): Logger & { child(bindings: LogMetadata): Logger } {
	const base = pino(
		{
			level,
			base: { service: 'whatsapp-queue-worker', pid: process.pid },
			timestamp: pino.stdTimeFunctions.isoTime,
			redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
			formatters: { level: (label) => ({ level: label }) },
		},
		destination ?? pino.destination({ dest: 1, sync: true }),
	);
	return adapt(base, scrubber(secrets));
}
