/**
 * Fault injection: rules that make the sandbox respond to a request with a
 * given status, reset the socket, never respond, or respond late.
 */

import { STATUS_CODES } from 'node:http';

import { errorEnvelope } from './http';
import { toDigits } from './sendRoutes';

/**
 * Action of a matching rule. `respond` sends `status`, `body` and `headers`,
 * `reset` destroys the socket, `hang` never responds (the client has to give
 * up), and `delay` waits `latencyMs` and then handles the request as usual.
 */
export type SandboxFaultAction = 'respond' | 'reset' | 'hang' | 'delay';

/** A fault rule. Unset matchers match every request. */
export interface SandboxFaultRule {
	action: SandboxFaultAction;
	/** Matches requests for this instance. */
	instance?: string;
	/** Matches sends whose `number` has the same digits. */
	number?: string;
	/** Matches one route, such as `sendText`, `sendMedia` or `connectionState`. */
	route?: string;
	/** Number of requests the rule applies to, unlimited when unset. */
	count?: number;
	/** HTTP status of a `respond` rule. @defaultValue `500` */
	status?: number;
	/**
	 * Body of a `respond` rule: JSON, or plain text when a string. When unset,
	 * the body is Evolution's error envelope with `message`.
	 */
	body?: unknown;
	/** Message put in the error envelope when `body` is unset. @defaultValue the status text */
	message?: string;
	/** Headers of a `respond` rule, such as `{ 'Retry-After': '2' }`. */
	headers?: Record<string, string>;
	/** Wait of a `delay` rule in milliseconds. */
	latencyMs?: number;
}

/** A rule as stored, with its id and use so far. */
export interface SandboxFault extends SandboxFaultRule {
	id: string;
	/** Requests the rule still applies to, or null when unlimited. */
	remaining: number | null;
	/** Requests the rule has applied to so far. */
	matched: number;
}

/** The request fields rules match on. */
export interface FaultTarget {
	instance?: string;
	route?: string;
	number?: string;
}

const ACTIONS: readonly SandboxFaultAction[] = ['respond', 'reset', 'hang', 'delay'];

/**
 * Checks a rule given as JSON and returns it typed. Throws an Error naming the
 * invalid field.
 */
export function parseFaultRule(input: unknown): SandboxFaultRule {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		throw new Error('Invalid fault rule: expected a JSON object.');
	}
	const rule = input as Record<string, unknown>;

	if (!ACTIONS.includes(rule.action as SandboxFaultAction)) {
		throw new Error(
			`Invalid fault action ${JSON.stringify(rule.action)}. Use one of: ${ACTIONS.join(', ')}.`,
		);
	}
	for (const field of ['instance', 'number', 'route', 'message']) {
		if (rule[field] !== undefined && typeof rule[field] !== 'string') {
			throw new Error(`Invalid fault ${field} ${JSON.stringify(rule[field])}. Use a string.`);
		}
	}
	if (rule.count !== undefined && !isWholeNumber(rule.count, 1)) {
		throw new Error(
			`Invalid fault count ${JSON.stringify(rule.count)}. Use a whole number of at least 1.`,
		);
	}
	if (
		rule.status !== undefined &&
		!(isWholeNumber(rule.status, 100) && (rule.status as number) <= 599)
	) {
		throw new Error(
			`Invalid fault status ${JSON.stringify(rule.status)}. Use an HTTP status from 100 to 599.`,
		);
	}
	if (rule.action === 'delay' && !isWholeNumber(rule.latencyMs, 0)) {
		throw new Error(
			`Invalid fault latencyMs ${JSON.stringify(rule.latencyMs)}. A delay rule needs whole milliseconds of at least 0.`,
		);
	}
	if (rule.headers !== undefined && !isStringRecord(rule.headers)) {
		throw new Error('Invalid fault headers. Use an object of header names to string values.');
	}
	return rule as unknown as SandboxFaultRule;
}

/** The fault rules of one sandbox, matched in the order they were added. */
export class FaultRules {
	readonly #rules: SandboxFault[] = [];
	#nextId = 1;

	/** The rules, with their remaining counts. Exhausted rules are removed. */
	get list(): readonly SandboxFault[] {
		return this.#rules.map((rule) => ({ ...rule }));
	}

	/** Adds a rule at the end and returns it with its id. */
	add(rule: SandboxFaultRule): SandboxFault {
		const fault: SandboxFault = {
			...parseFaultRule(rule),
			id: `fault-${this.#nextId++}`,
			remaining: rule.count ?? null,
			matched: 0,
		};
		this.#rules.push(fault);
		return { ...fault };
	}

	/** Removes a rule and returns whether it existed. */
	remove(id: string): boolean {
		const index = this.#rules.findIndex((rule) => rule.id === id);
		if (index < 0) {
			return false;
		}
		this.#rules.splice(index, 1);
		return true;
	}

	/** Removes every rule and returns how many there were. */
	clear(): number {
		return this.#rules.splice(0).length;
	}

	/**
	 * Returns the first rule matching the request and uses up one of its count.
	 * A rule whose count reaches 0 is removed.
	 */
	take(target: FaultTarget): SandboxFault | undefined {
		const index = this.#rules.findIndex((rule) => matches(rule, target));
		if (index < 0) {
			return undefined;
		}
		const rule = this.#rules[index];
		rule.matched += 1;
		if (rule.remaining !== null) {
			rule.remaining -= 1;
			if (rule.remaining <= 0) {
				this.#rules.splice(index, 1);
			}
		}
		return { ...rule };
	}
}

/** Returns the status, body and headers a `respond` rule sends. */
export function faultResponse(rule: SandboxFaultRule): {
	status: number;
	body: unknown;
	headers: Record<string, string>;
} {
	const status = rule.status ?? 500;
	const body =
		rule.body ?? errorEnvelope(status, [rule.message ?? STATUS_CODES[status] ?? 'Error']);
	return { status, body, headers: rule.headers ?? {} };
}

function matches(rule: SandboxFaultRule, target: FaultTarget): boolean {
	if (rule.instance !== undefined && rule.instance !== target.instance) {
		return false;
	}
	if (rule.route !== undefined && rule.route !== target.route) {
		return false;
	}
	if (rule.number !== undefined) {
		return target.number !== undefined && toDigits(rule.number) === toDigits(target.number);
	}
	return true;
}

function isWholeNumber(value: unknown, min: number): boolean {
	return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isStringRecord(value: unknown): boolean {
	return (
		typeof value === 'object' &&
		value !== null &&
		!Array.isArray(value) &&
		Object.values(value).every((entry) => typeof entry === 'string')
	);
}
