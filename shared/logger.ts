/**
 * The logging interface of the shared library. The library never writes to
 * the console itself: n8n nodes pass `this.logger`, the worker passes pino.
 */

/** Values that log processors index, such as `instance`, `jobId`, `attempt`. */
export type LogMetadata = Record<string, unknown>;

/** A logger with the four levels the library uses. */
export interface Logger {
	debug(message: string, metadata?: LogMetadata): void;
	info(message: string, metadata?: LogMetadata): void;
	warn(message: string, metadata?: LogMetadata): void;
	error(message: string, metadata?: LogMetadata): void;
}

/** A logger that drops everything; the default when none is given. */
export const silentLogger: Logger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: () => undefined,
};

/**
 * Returns a logger that adds `bindings` to the metadata of every line, the way
 * pino's `child()` does, for loggers that have no `child()` of their own.
 */
export function childLogger(logger: Logger, bindings: LogMetadata): Logger {
	const withChild = logger as Logger & { child?: (bindings: LogMetadata) => Logger };
	if (typeof withChild.child === 'function') {
		return withChild.child(bindings);
	}
	const merge = (metadata?: LogMetadata): LogMetadata => ({ ...bindings, ...metadata });
	return {
		debug: (message, metadata) => logger.debug(message, merge(metadata)),
		info: (message, metadata) => logger.info(message, merge(metadata)),
		warn: (message, metadata) => logger.warn(message, merge(metadata)),
		error: (message, metadata) => logger.error(message, merge(metadata)),
	};
}

/** Returns the error fields worth logging: name, message and code, never the stack of a secret. */
export function describeError(error: unknown): LogMetadata {
	if (error instanceof Error) {
		const code = (error as NodeJS.ErrnoException).code;
		return { errorName: error.name, errorMessage: error.message, ...(code ? { errorCode: code } : {}) };
	}
	return { errorMessage: String(error) };
}

/**
 * Masks a phone number for logs, keeping the country code and last two digits:
 * `34600000001` becomes `346*******01`. JIDs keep their domain.
 */
export function maskPhone(phone: string): string {
	const [user, domain] = phone.split('@');
	const masked =
		user.length <= 5 ? '*'.repeat(user.length) : user.slice(0, 3) + '*'.repeat(user.length - 5) + user.slice(-2);
	return domain === undefined ? masked : `${masked}@${domain}`;
}
