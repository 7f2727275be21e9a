/**
 * Readers for single fields of a message. Each reader adds an issue to the
 * list when the value is invalid, so a caller can collect every issue of a
 * message before it reports them.
 */

import type { ValidationIssue } from '../errors';
import { countCharacters, findControlCharacter } from './text';
import { describeValue } from './values';

/** Keys rejected anywhere in the input because they can change object prototypes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
	'__proto__',
	'constructor',
	'prototype',
]);

/** Rules for a string field, used by `readTextField`. */
export interface TextFieldRules {
	/** Maximum length in code points. */
	maxCharacters: number;
	/**
	 * Whether an empty or whitespace-only value is rejected.
	 * @defaultValue `false`
	 */
	isBlankRejected?: boolean;
	/**
	 * Sentence added to the issue when the value is too long.
	 * @defaultValue `'Shorten it.'`
	 */
	tooLongHint?: string;
}

/**
 * Checks a string field that is present and returns it, or adds one issue
 * and returns undefined. It rejects non-strings, control characters other
 * than tab and line breaks, values over the length limit and, when
 * `rules.isBlankRejected` is set, blank values.
 */
export function readTextField(
	value: unknown,
	path: string,
	rules: TextFieldRules,
	issues: ValidationIssue[],
): string | undefined {
	if (typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}
	if (rules.isBlankRejected && value.trim() === '') {
		issues.push({ path, message: `${path} is empty. Set it to a non-blank value.` });
		return undefined;
	}
	const control = findControlCharacter(value);
	if (control) {
		issues.push({
			path,
			message: `${path} contains control character ${control.code} at position ${control.position}. Remove it, because only tabs and line breaks are allowed.`,
		});
		return undefined;
	}
	const count = countCharacters(value);
	if (count > rules.maxCharacters) {
		const hint = rules.tooLongHint ?? 'Shorten it.';
		issues.push({
			path,
			message: `${path} is ${count} characters long, over the limit of ${rules.maxCharacters}. ${hint}`,
		});
		return undefined;
	}
	return value;
}

/**
 * Describes a value of the wrong type, as in `content.latitude must be a
 * number, got string "40.1".`, with a hint for the common mix-ups: a
 * quoted number, an unquoted number and null.
 */
export function describeTypeMismatch(path: string, expected: string, value: unknown): string {
	const base = `${path} must be ${expected}, got ${describeValue(value)}.`;
	if (value === null) {
		return `${base} Remove the field to leave it out.`;
	}
	if (expected === 'a string' && typeof value === 'number' && Number.isFinite(value)) {
		return `${base} Pass it as a string, such as "${value}".`;
	}
	const isNumeric =
		typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
	if (expected.includes('number') && isNumeric) {
		return `${base} Pass ${Number(value)} as a number, not a string.`;
	}
	return base;
}

/** Appends an object key to a path, in bracket notation unless it is an identifier. */
export function joinPath(parent: string, key: string): string {
	if (!/^[A-Za-z_$][\w$]*$/.test(key)) {
		return `${parent}[${JSON.stringify(key)}]`;
	}
	return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Adds an issue for every own key of `record` that is not in `allowed`, and
 * suggests the closest allowed key for a likely typo. Forbidden keys are
 * skipped because `findForbiddenKeys` reports them.
 *
 * @param context - What the record is, for the message, such as
 *   `an image message` or `a contact card`.
 * @param knownElsewhere - Keys valid in a similar record, such as the fields
 *   of other message types. They get "is not used in" instead of "Unknown".
 */
export function checkUnknownFields(
	record: Record<string, unknown>,
	allowed: readonly string[],
	path: string,
	context: string,
	issues: ValidationIssue[],
	knownElsewhere: readonly string[] = [],
): void {
	const allowedList = allowed.join(', ');
	for (const key of Object.keys(record)) {
		if (allowed.includes(key) || FORBIDDEN_KEYS.has(key)) {
			continue;
		}
		const fieldPath = joinPath(path, key);
		if (knownElsewhere.includes(key)) {
			issues.push({
				path: fieldPath,
				message: `${fieldPath} is not used in ${context}. Remove it, or use only: ${allowedList}.`,
			});
			continue;
		}
		const suggestion = findClosest(key, allowed);
		const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
		issues.push({
			path: fieldPath,
			message: `Unknown field ${fieldPath} in ${context}. Use only: ${allowedList}.${hint}`,
		});
	}
}

/**
 * Finds each own key named `__proto__`, `constructor` or `prototype` in
 * `root` and the objects and arrays below it, and adds an issue naming its
 * path. The walk uses its own stack and visits each object once, so deep
 * nesting and cycles are safe.
 */
export function findForbiddenKeys(root: object, issues: ValidationIssue[]): void {
	const stack: { value: object; path: string }[] = [{ value: root, path: '' }];
	const visited = new Set<object>();

	while (stack.length > 0) {
		const { value, path } = stack.pop() as { value: object; path: string };
		if (visited.has(value)) {
			continue;
		}
		visited.add(value);

		const isArray = Array.isArray(value);
		const children: { value: object; path: string }[] = [];
		for (const key of Object.keys(value)) {
			const childPath = isArray ? `${path}[${key}]` : joinPath(path, key);
			if (!isArray && FORBIDDEN_KEYS.has(key)) {
				issues.push({
					path: childPath,
					message: `Invalid key "${key}" at ${childPath}. Remove it, because keys named __proto__, constructor or prototype can change object prototypes.`,
				});
			}
			const child: unknown = (value as Record<string, unknown>)[key];
			if (typeof child === 'object' && child !== null) {
				children.push({ value: child, path: childPath });
			}
		}
		// Push in reverse so that issues come out in key order.
		stack.push(...children.reverse());
	}
}

/** Returns the allowed key within edit distance 2 of `key`, ignoring case, if any. */
function findClosest(key: string, allowed: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = 3;
	for (const candidate of allowed) {
		const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
		if (distance < bestDistance && distance < candidate.length / 2) {
			best = candidate;
			bestDistance = distance;
		}
	}
	return best;
}

/**
 * Levenshtein distance, counting a swap of two neighbours as one edit.
 * Returns infinity for strings too different in length, or too long, to
 * be typos of each other.
 */
function editDistance(a: string, b: string): number {
	if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) {
		return Number.POSITIVE_INFINITY;
	}
	const rows: number[][] = [];
	for (let i = 0; i <= a.length; i++) {
		rows.push([i]);
		for (let j = 1; j <= b.length; j++) {
			if (i === 0) {
				rows[i].push(j);
				continue;
			}
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let distance = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				distance = Math.min(distance, rows[i - 2][j - 2] + 1);
			}
			rows[i].push(distance);
		}
	}
	return rows[a.length][b.length];
}
