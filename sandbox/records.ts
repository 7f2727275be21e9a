/** Bounded request and message records of the sandbox. */

/** Strings in stored bodies longer than this many characters are shortened, to bound memory. */
const MAX_STORED_STRING_CHARS = 65_536;

/** Appends `item` and drops the oldest items past `max`. */
export function pushBounded<T>(list: T[], item: T, max: number): void {
	list.push(item);
	if (list.length > max) {
		list.splice(0, list.length - max);
	}
}

/** Copies a body with strings over `MAX_STORED_STRING_CHARS` cut, such as large base64 media. */
export function shortenStrings(body: Record<string, unknown>): Record<string, unknown> {
	const shorten = (value: unknown): unknown => {
		if (typeof value === 'string' && value.length > MAX_STORED_STRING_CHARS) {
			return `${value.slice(0, 64)}…[${value.length} characters]`;
		}
		if (Array.isArray(value)) {
			return value.map(shorten);
		}
		if (typeof value === 'object' && value !== null) {
			return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, shorten(entry)]));
		}
		return value;
	};
	return shorten(body) as Record<string, unknown>;
}
