/**
 * Command-line flags and environment variables of the sandbox gateway CLI.
 * A flag wins over its environment variable.
 */

import { parseArgs } from 'node:util';

import { ConfigError } from '../shared/errors';
import {
	SANDBOX_API_KEY,
	SANDBOX_DEFAULT_INSTANCE,
	type SandboxGatewayOptions,
	type SandboxLatency,
} from './types';

/** Port the CLI binds when none is given. */
export const DEFAULT_SANDBOX_PORT = 8089;

/** Log levels the CLI accepts. */
export const SANDBOX_LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** A CLI log level. */
export type SandboxLogLevel = (typeof SANDBOX_LOG_LEVELS)[number];

/** Settings read from the command line: help, or the gateway options and log level. */
export type SandboxCliConfig =
	| { help: true }
	| { help: false; options: SandboxGatewayOptions; logLevel: SandboxLogLevel };

/** Flag, environment variable and help line of each setting. */
const SETTINGS = {
	port: ['SANDBOX_PORT', `Port to listen on; 0 picks a free one. Default ${DEFAULT_SANDBOX_PORT}.`],
	host: ['SANDBOX_HOST', 'Address to bind. Default 127.0.0.1.'],
	'api-key': [
		'SANDBOX_API_KEY',
		`Global API key. Default "${SANDBOX_API_KEY}", which is public and not secret.`,
	],
	instances: [
		'SANDBOX_INSTANCES',
		`Comma-separated instance names. Default "${SANDBOX_DEFAULT_INSTANCE}".`,
	],
	'latency-ms': [
		'SANDBOX_LATENCY_MS',
		'Latency added before each response in ms: a number such as 50, or a range such as 20-200.',
	],
	'not-on-whatsapp': [
		'SANDBOX_NOT_ON_WHATSAPP',
		'Comma-separated numbers reported as not on WhatsApp.',
	],
	'webhook-url': [
		'SANDBOX_WEBHOOK_URL',
		'URL that receives status and reply webhooks. None by default.',
	],
	'webhook-secret': [
		'SANDBOX_WEBHOOK_SECRET',
		'Value of the x-webhook-secret header sent with webhooks.',
	],
	'delivered-after-ms': [
		'SANDBOX_DELIVERED_AFTER_MS',
		'Delay of DELIVERY_ACK webhooks in ms. Default 300.',
	],
	'read-after-ms': ['SANDBOX_READ_AFTER_MS', 'Delay of READ webhooks in ms. Default 1500.'],
	'read-ratio': ['SANDBOX_READ_RATIO', 'Share of messages read, 0 to 1. Default 0.6.'],
	'reply-ratio': ['SANDBOX_REPLY_RATIO', 'Share of messages that get a reply, 0 to 1. Default 0.'],
	'duplicate-ratio': [
		'SANDBOX_DUPLICATE_RATIO',
		'Share of webhooks sent twice, 0 to 1. Default 0.',
	],
	'log-level': [
		'SANDBOX_LOG_LEVEL',
		`Log level on stderr: ${SANDBOX_LOG_LEVELS.join(', ')}. Default info.`,
	],
} as const;

type SettingName = keyof typeof SETTINGS;

/** Returns the `--help` text. */
export function sandboxHelp(): string {
	const lines = Object.entries(SETTINGS).map(
		([flag, [variable, help]]) => `  --${flag.padEnd(20)} ${variable.padEnd(28)} ${help}`,
	);
	return [
		'Usage: whatsapp-sandbox-gateway [options]',
		'',
		'Runs a local stand-in for Evolution API v2 with fault injection and webhooks.',
		'Prints {"event":"listening","url":…} as one JSON line on stdout when ready,',
		'logs to stderr, and stops on SIGTERM or SIGINT.',
		'',
		'Options (flag, environment variable, meaning):',
		...lines,
		'  --help                                            Show this text.',
	].join('\n');
}

/**
 * Reads the settings from flags and environment variables.
 *
 * @throws ConfigError naming the flag and the value for an invalid setting.
 */
export function parseSandboxCli(argv: readonly string[], env: NodeJS.ProcessEnv): SandboxCliConfig {
	const options = Object.fromEntries(
		Object.keys(SETTINGS).map((flag) => [flag, { type: 'string' as const }]),
	) as Record<SettingName, { type: 'string' }>;
	let values: Partial<Record<SettingName | 'help', string | boolean>>;
	try {
		({ values } = parseArgs({
			args: [...argv],
			options: { ...options, help: { type: 'boolean', short: 'h' } },
			allowPositionals: false,
		}));
	} catch (error) {
		throw new ConfigError(
			'argv',
			`${(error as Error).message}. Run with --help to list the options.`,
		);
	}
	if (values.help) {
		return { help: true };
	}

	const read = (name: SettingName): string | undefined => {
		const value = (values[name] as string | undefined) ?? env[SETTINGS[name][0]];
		return value === undefined || value.trim() === '' ? undefined : value.trim();
	};

	const webhookUrl = read('webhook-url');
	const secret = read('webhook-secret');
	const gatewayOptions: SandboxGatewayOptions = {
		port: parseInteger(read('port'), 'port', DEFAULT_SANDBOX_PORT, 65_535),
		host: read('host') ?? '127.0.0.1',
		apiKey: read('api-key') ?? SANDBOX_API_KEY,
		instances: parseList(read('instances')) ?? [SANDBOX_DEFAULT_INSTANCE],
		latency: parseLatency(read('latency-ms')),
		notOnWhatsApp: parseList(read('not-on-whatsapp')) ?? [],
		webhook: {
			...(webhookUrl === undefined ? {} : { url: webhookUrl }),
			...(secret === undefined ? {} : { headers: { 'x-webhook-secret': secret } }),
			deliveredAfterMs: parseInteger(read('delivered-after-ms'), 'delivered-after-ms', undefined),
			readAfterMs: parseInteger(read('read-after-ms'), 'read-after-ms', undefined),
			readRatio: parseRatio(read('read-ratio'), 'read-ratio'),
			replyRatio: parseRatio(read('reply-ratio'), 'reply-ratio'),
			duplicateRatio: parseRatio(read('duplicate-ratio'), 'duplicate-ratio'),
		},
	};

	const logLevel = read('log-level') ?? 'info';
	if (!(SANDBOX_LOG_LEVELS as readonly string[]).includes(logLevel)) {
		throw new ConfigError(
			'log-level',
			`Invalid --log-level "${logLevel}". Use one of: ${SANDBOX_LOG_LEVELS.join(', ')}.`,
		);
	}
	return { help: false, options: gatewayOptions, logLevel: logLevel as SandboxLogLevel };
}

function parseInteger<Fallback extends number | undefined>(
	value: string | undefined,
	flag: SettingName,
	fallback: Fallback,
	max = Number.MAX_SAFE_INTEGER,
): number | Fallback {
	if (value === undefined) {
		return fallback;
	}
	if (!/^\d+$/.test(value) || Number(value) > max) {
		throw new ConfigError(
			flag,
			`Invalid --${flag} "${value}". Use a whole number from 0 to ${max}.`,
		);
	}
	return Number(value);
}

function parseRatio(value: string | undefined, flag: SettingName): number | undefined {
	if (value === undefined) {
		return undefined;
	}
	const ratio = Number(value);
	if (!/^\d*\.?\d+$/.test(value) || ratio > 1) {
		throw new ConfigError(
			flag,
			`Invalid --${flag} "${value}". Use a number from 0 to 1, such as 0.5.`,
		);
	}
	return ratio;
}

/** Reads `50` or `20-200`. */
function parseLatency(value: string | undefined): SandboxLatency | undefined {
	if (value === undefined) {
		return undefined;
	}
	const match = /^(\d+)(?:-(\d+))?$/.exec(value);
	if (!match || (match[2] !== undefined && Number(match[2]) < Number(match[1]))) {
		throw new ConfigError(
			'latency-ms',
			`Invalid --latency-ms "${value}". Use milliseconds such as 50, or a range such as 20-200.`,
		);
	}
	return match[2] === undefined
		? Number(match[1])
		: { minMs: Number(match[1]), maxMs: Number(match[2]) };
}

function parseList(value: string | undefined): string[] | undefined {
	const items = value
		?.split(',')
		.map((item) => item.trim())
		.filter(Boolean);
	return items && items.length > 0 ? items : undefined;
}
