/**
 * Validation of a message's `metadata`: the priority, the named ids, and the
 * caller's own fields, which are stored on the job as JSON.
 */

import type { ValidationIssue } from '../errors';
import { PRIORITIES, type MessageMetadata, type Priority } from '../message';
import { describeTypeMismatch, FORBIDDEN_KEYS, joinPath, readTextField } from './fields';
import { describeValue, getOwn, isPlainObject, quoteValue } from './values';

/** Maximum size of the metadata as UTF-8 JSON, in bytes (16 KiB). */
export const MAX_METADATA_BYTES = 16 * 1024;

/** Maximum length of `contactId`, `campaignId` and `idempotencyKey` in code points. */
export const MAX_METADATA_ID_CHARACTERS = 256;

/**
 * Maximum nesting depth of a metadata value. It keeps the recursive copy
 * far from the call stack limit, before the size limit is checked.
 */
const MAX_METADATA_DEPTH = 32;

/** Priority numbers accepted in place of names, 1 being the highest. */
const PRIORITY_BY_NUMBER: Record<number, Priority> = {
	1: 'critical',
	2: 'high',
	3: 'normal',
	4: 'low',
};

const ID_FIELDS = ['contactId', 'campaignId', 'idempotencyKey'];

const PRIORITY_CHOICES = `${PRIORITIES.join(', ')}, or a number from 1 (critical) to 4 (low)`;

/** Metadata after validation, with the priority resolved to a name. */
export type NormalizedMetadata = MessageMetadata & { priority: Priority };

/**
 * Validates `metadata` and returns a deep copy with `priority` resolved to a
 * name (`normal` when absent), or adds issues and returns undefined.
 *
 * Fields other than the named ones are kept as given, but must be JSON data:
 * plain objects, arrays, strings, finite numbers, booleans and null. Object
 * fields whose value is undefined are dropped, as `JSON.stringify` would
 * drop them. The whole metadata must fit in `MAX_METADATA_BYTES` as JSON.
 */
export function validateMetadata(
	input: unknown,
	issues: ValidationIssue[],
): NormalizedMetadata | undefined {
	if (input === undefined) {
		return { priority: 'normal' };
	}
	if (!isPlainObject(input)) {
		issues.push({
			path: 'metadata',
			message: describeTypeMismatch('metadata', 'an object', input),
		});
		return undefined;
	}

	const count = issues.length;
	const priority = readPriority(getOwn(input, 'priority'), issues);
	const metadata: NormalizedMetadata = { priority: priority ?? 'normal' };
	for (const key of Object.keys(input)) {
		const value = input[key];
		const path = joinPath('metadata', key);
		if (key === 'priority' || value === undefined || FORBIDDEN_KEYS.has(key)) {
			continue;
		}
		if (ID_FIELDS.includes(key)) {
			const rules = { maxCharacters: MAX_METADATA_ID_CHARACTERS, isBlankRejected: true };
			metadata[key] = readTextField(value, path, rules, issues);
		} else {
			metadata[key] = copyJsonValue(value, path, issues, new Set(), 0);
		}
	}
	if (issues.length > count) {
		return undefined;
	}

	const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
	if (bytes > MAX_METADATA_BYTES) {
		issues.push({
			path: 'metadata',
			message: `metadata is ${bytes} bytes as JSON, over the limit of ${MAX_METADATA_BYTES} (16 KiB). Keep large data outside the queue and store only its id here.`,
		});
		return undefined;
	}
	return metadata;
}

function readPriority(value: unknown, issues: ValidationIssue[]): Priority | undefined {
	const path = 'metadata.priority';
	if (value === undefined) {
		return 'normal';
	}
	if (typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value)) {
		return value as Priority;
	}
	if (typeof value === 'number' && PRIORITY_BY_NUMBER[value]) {
		return PRIORITY_BY_NUMBER[value];
	}

	let message: string;
	if (typeof value === 'string' && PRIORITY_BY_NUMBER[Number(value)] && /^\d$/.test(value)) {
		message = `Invalid metadata.priority "${value}": a priority number must not be quoted. Use ${value} or one of: ${PRIORITIES.join(', ')}.`;
	} else if (typeof value === 'string' || typeof value === 'number') {
		const valueText = typeof value === 'string' ? quoteValue(value) : String(value);
		message = `Invalid metadata.priority ${valueText}. Use one of: ${PRIORITY_CHOICES}.`;
	} else {
		message = `metadata.priority must be a priority name or number, got ${describeValue(value)}. Use one of: ${PRIORITY_CHOICES}.`;
	}
	issues.push({ path, message });
	return undefined;
}

/**
 * Copies a JSON value, or adds an issue for each part that JSON cannot store
 * as it is. `ancestors` contains the objects and arrays that enclose the
 * value, to find cycles. An object shared by two fields is not a cycle, and
 * the copy contains it twice, as JSON would.
 */
function copyJsonValue(
	value: unknown,
	path: string,
	issues: ValidationIssue[],
	ancestors: Set<object>,
	depth: number,
): unknown {
	const reject = (reason: string): undefined => {
		issues.push({ path, message: `${path} ${reason}` });
		return undefined;
	};
	switch (typeof value) {
		case 'string':
		case 'boolean':
			return value;
		case 'number':
			if (!Number.isFinite(value)) {
				return reject(`is ${value}, which JSON cannot store. Use a finite number or null.`);
			}
			// JSON writes -0 as 0, so the copy does too, and a job reads back equal.
			return value === 0 ? 0 : value;
		case 'undefined':
			return reject('is undefined, which JSON turns into null. Use null, or remove the element.');
		case 'bigint':
			return reject(`is the bigint ${value}n, which JSON cannot store. Use a string or a number.`);
		case 'symbol':
		case 'function':
			return reject(`is a ${typeof value}, which JSON cannot store. Remove it.`);
	}
	if (value === null) {
		return null;
	}
	if (ancestors.has(value as object)) {
		return reject('refers back to an object that contains it. Remove the cycle.');
	}
	if (depth >= MAX_METADATA_DEPTH) {
		return reject(`is nested more than ${MAX_METADATA_DEPTH} levels deep. Flatten the metadata.`);
	}

	if (Array.isArray(value)) {
		ancestors.add(value);
		const copy: unknown[] = [];
		for (let index = 0; index < value.length; index++) {
			copy.push(copyJsonValue(value[index], `${path}[${index}]`, issues, ancestors, depth + 1));
		}
		ancestors.delete(value);
		return copy;
	}
	if (isPlainObject(value)) {
		ancestors.add(value);
		const copy: Record<string, unknown> = {};
		for (const key of Object.keys(value)) {
			const child = value[key];
			if (child !== undefined && !FORBIDDEN_KEYS.has(key)) {
				const childPath = joinPath(path, key);
				copy[key] = copyJsonValue(child, childPath, issues, ancestors, depth + 1);
			}
		}
		ancestors.delete(value);
		return copy;
	}
	if (value instanceof Date) {
		return reject('is a Date. Pass it as an ISO 8601 string, such as date.toISOString().');
	}
	return reject(
		`is a ${describeValue(value)}, which is not JSON data. Use a plain object, an array, a string, a number, a boolean or null.`,
	);
}
