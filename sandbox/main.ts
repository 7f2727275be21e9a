#!/usr/bin/env node
/**
 * CLI of the sandbox gateway (`whatsapp-sandbox-gateway`): a local
 * Evolution API v2 to point the worker at, without a WhatsApp account.
 */

import pino from 'pino';

import { ConfigError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { parseSandboxCli, sandboxHelp, type SandboxLogLevel } from './cliConfig';
import { SandboxGateway } from './sandboxGateway';

/** Standard streams of the CLI, replaceable in tests. */
export interface CliStreams {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

/**
 * Runs the CLI: starts the sandbox, prints one JSON line with its URL, and
 * stops on SIGTERM or SIGINT. Sets `process.exitCode` to 2 for invalid
 * settings and 1 when the server cannot start.
 */
export async function main(
	argv: readonly string[] = process.argv.slice(2),
	env: NodeJS.ProcessEnv = process.env,
	streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<SandboxGateway | undefined> {
	let config;
	try {
		config = parseSandboxCli(argv, env);
	} catch (error) {
		if (error instanceof ConfigError) {
			streams.stderr.write(`${error.message}\n`);
			process.exitCode = 2;
			return undefined;
		}
		throw error;
	}
	if (config.help) {
		streams.stdout.write(`${sandboxHelp()}\n`);
		return undefined;
	}

	const logger = createLogger(config.logLevel);
	const gateway = new SandboxGateway({ ...config.options, logger });
	let url: string;
	try {
		url = await gateway.start();
	} catch (error) {
		const { host, port } = config.options;
		const code = (error as NodeJS.ErrnoException).code;
		const advice =
			code === 'EADDRINUSE'
				? ' Pick another port with --port or SANDBOX_PORT; 0 picks a free one.'
				: '';
		streams.stderr.write(
			`Failed to listen on ${host}:${port} (${code ?? (error as Error).message}).${advice}\n`,
		);
		process.exitCode = 1;
		return undefined;
	}

	const line = {
		event: 'listening',
		url,
		adminUrl: `${url}/_sandbox`,
		instances: gateway.listInstances().map((instance) => instance.name),
	};
	streams.stdout.write(`${JSON.stringify(line)}\n`);

	const stop = (signal: NodeJS.Signals): void => {
		process.off('SIGTERM', stop);
		process.off('SIGINT', stop);
		logger.info('Stopping sandbox gateway', { signal });
		void gateway.stop();
	};
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
	return gateway;
}

/** Returns a pino logger on stderr behind the shared `Logger` interface. */
function createLogger(level: SandboxLogLevel): Logger {
	const log = pino(
		{ name: 'whatsapp-sandbox-gateway', level },
		pino.destination({ dest: 2, sync: true }),
	);
	return {
		debug: (message, metadata) => log.debug(metadata ?? {}, message),
		info: (message, metadata) => log.info(metadata ?? {}, message),
		warn: (message, metadata) => log.warn(metadata ?? {}, message),
		error: (message, metadata) => log.error(metadata ?? {}, message),
	};
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(`Sandbox gateway failed: ${(error as Error).message}\n`);
		process.exitCode = 1;
	});
}
