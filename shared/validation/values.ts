/**
 * Helpers that inspect input values and quote them in validation messages.
 * Positions in messages count Unicode code points from 1.
 */

/** Maximum number of characters of a value quoted in a message. */
const MAX_QUOTED_CHARACTERS = 64;

/**
 * Quotes a string for a message, as JSON does, so control characters and
 * quotes stay visible. A string longer than 64 code points is shortened
 * to its first 64, followed by `…`.
 */
export function quoteValue(text: string): string {
	// A code point takes at most two UTF-16 units, so when the text is longer
	// than this slice, the slice still has more code points than the limit.
	const head = Array.from(text.slice(0, 2 * MAX_QUOTED_CHARACTERS + 1));
	if (head.length <= MAX_QUOTED_CHARACTERS) {
		return JSON.stringify(text);
	}
	return `${JSON.stringify(head.slice(0, MAX_QUOTED_CHARACTERS).join(''))}…`;
}

/**
 * Describes a value's type and, for primitives, the value itself, as in
 * `string "40.1"`, `number 3`, `null`, `array` or `Date`.
 */
export function describeValue(value: unknown): string {
	switch (typeof value) {
		case 'string':
			return `string ${quoteValue(value)}`;
		case 'number':
			return Number.isNaN(value) ? 'NaN' : `number ${value}`;
		case 'bigint':
			return `bigint ${value}n`;
		case 'boolean':
			return `boolean ${value}`;
		case 'undefined':
			return 'undefined';
		case 'symbol':
		case 'function':
			return typeof value;
	}
	if (value === null) {
		return 'null';
	}
	if (Array.isArray(value)) {
		return 'array';
	}
	return isPlainObject(value) ? 'object' : constructorName(value as object);
}

function constructorName(value: object): string {
	const prototype: unknown = Object.getPrototypeOf(value);
	const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
	return typeof name === 'string' && name !== '' ? name : 'object';
}

/** Quotes a string for a message, or describes a value of any other type. */
export function showValue(value: unknown): string {
	return typeof value === 'string' ? quoteValue(value) : describeValue(value);
}

/**
 * Checks whether `value` is a plain object: an object literal, a parsed JSON object
 * or an `Object.create(null)` object. Arrays and class instances such as
 * `Date` or `Map` are not.
 *
 * NOTE: an object whose prototype's prototype is null counts as plain, so
 * object literals made in another realm (a `vm` context) pass too.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return false;
	}
	const prototype: unknown = Object.getPrototypeOf(value);
	return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** Returns an own property of `record`, ignoring inherited ones. */
export function getOwn(record: Record<string, unknown>, key: string): unknown {
	return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
