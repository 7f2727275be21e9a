/**
 * Error classes of the shared library. There is one class per decision a
 * caller makes: fix the input, fix the configuration, retry later, or give up.
 */

/** One invalid field of a message or option, with the reason. */
export interface ValidationIssue {
	/** Dotted path of the field, such as `content.text` or `[3].recipientPhone`. */
	path: string;
	/** What is wrong and how to fix it, in one sentence. */
	message: string;
}

/**
 * Invalid input: a message, a phone number, a schedule date or a call argument.
 * Nothing was enqueued. `issues` lists every invalid field; for bulk calls the
 * paths start with the index of the message, such as `[3].content.text`.
 */
export class ValidationError extends Error {
	readonly issues: ValidationIssue[];

	constructor(issues: ValidationIssue[]) {
		super(formatIssues(issues));
		this.name = 'ValidationError';
		this.issues = issues;
	}
}

function formatIssues(issues: ValidationIssue[]): string {
	if (issues.length === 1) {
		const [issue] = issues;
		return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
	}
	const lines = issues.map((issue) => `- ${issue.path}: ${issue.message}`);
	return `${issues.length} invalid fields:\n${lines.join('\n')}`;
}

/** Invalid configuration: an option or environment variable out of range. */
export class ConfigError extends Error {
	/** Name of the option or environment variable, such as `RATE_LIMIT_MAX`. */
	readonly option: string;

	constructor(option: string, message: string) {
		super(message);
		this.name = 'ConfigError';
		this.option = option;
	}
}

/** Redis could not be reached or refused the command. */
export class RedisUnavailableError extends Error {
	readonly cause?: unknown;

	constructor(message: string, cause?: unknown) {
		super(message);
		this.name = 'RedisUnavailableError';
		this.cause = cause;
	}
}

/** A call on a queue manager, worker or analytics manager after `close()`. */
export class QueueClosedError extends Error {
	constructor(component: string) {
		super(`The ${component} is closed. Create a new one to go on.`);
		this.name = 'QueueClosedError';
	}
}

/** A job id that does not exist, or no longer exists, in the queue. */
export class JobNotFoundError extends Error {
	readonly jobId: string;

	constructor(jobId: string, message?: string) {
		super(message ?? `Job "${jobId}" was not found. It may have been removed or cleaned.`);
		this.name = 'JobNotFoundError';
		this.jobId = jobId;
	}
}

/**
 * How a failed send is handled:
 * - `transient`: retried with backoff (network error, timeout, 5xx, media fetch failure).
 * - `permanent`: dead-lettered at once (number not on WhatsApp, other rejections).
 * - `rate_limited`: the instance pauses for `retryAfterMs`; no attempt is used.
 * - `instance`: the whole instance is misconfigured (401 wrong API key, 404 no
 *   such instance); the instance is paused and the message stays queued.
 */
export type GatewayErrorKind = 'transient' | 'permanent' | 'rate_limited' | 'instance';

/** Fields of a `GatewayError`. */
export interface GatewayErrorDetails {
	kind: GatewayErrorKind;
	/** Short machine-readable reason, such as `not_on_whatsapp` or `timeout`. */
	reason: string;
	/** HTTP status of the gateway's answer; absent for network errors and timeouts. */
	statusCode?: number;
	/** The gateway's answer body, parsed when it was JSON, truncated when large. */
	gatewayResponse?: unknown;
	/** How long the gateway asked us to wait, from `Retry-After`. */
	retryAfterMs?: number;
}

/** A send the gateway did not accept, classified by what a retry can achieve. */
export class GatewayError extends Error {
	readonly kind: GatewayErrorKind;
	readonly reason: string;
	readonly statusCode?: number;
	readonly gatewayResponse?: unknown;
	readonly retryAfterMs?: number;

	constructor(message: string, details: GatewayErrorDetails) {
		super(message);
		this.name = 'GatewayError';
		this.kind = details.kind;
		this.reason = details.reason;
		this.statusCode = details.statusCode;
		this.gatewayResponse = details.gatewayResponse;
		this.retryAfterMs = details.retryAfterMs;
	}

	/** Whether sending the same message again later can succeed. */
	get isRetryable(): boolean {
		return this.kind !== 'permanent';
	}
}
