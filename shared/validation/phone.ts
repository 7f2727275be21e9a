/**
 * Normalisation of recipients and phone numbers. A phone number becomes its
 * digits with country code, as WhatsApp gateways expect. Digits are never
 * added or removed, apart from a leading `00` international prefix, so a
 * Brazilian mobile number keeps or lacks its extra 9 exactly as given.
 */

import { describeValue, quoteValue } from './values';

/** Result of `normalizeRecipient` and `normalizePhoneNumber`. */
export type NormalizeResult = { ok: true; value: string } | { ok: false; reason: string };

/** Minimum number of digits of a phone number with country code. */
export const MIN_PHONE_DIGITS = 7;

/** Maximum number of digits of a phone number with country code, from E.164. */
export const MAX_PHONE_DIGITS = 15;

/**
 * Maximum length of a recipient in UTF-16 units after trimming. It only stops
 * absurd input early, because valid recipients are much shorter: an old-style
 * `<phone>-<timestamp>@g.us` group JID has about 30 characters.
 */
const MAX_RECIPIENT_LENGTH = 128;

const DIGITS_HINT = 'Use digits with the country code, such as 34600000001.';

/** Characters allowed between the digits of a phone number. */
const SEPARATORS = new Set([' ', '\t', '-', '.', '/', '(', ')']);

const JID_SERVERS = 's.whatsapp.net, c.us, g.us, lid, newsletter or broadcast';

/**
 * Normalises a message recipient: a phone number or a WhatsApp JID.
 *
 * A phone number is trimmed, may contain spaces, tabs, `-`, `.`, `/`, `(`
 * and `)`, and may start with one `+` (also as `(+34)`) or the `00`
 * international prefix. The result is its 7 to 15 digits with country code.
 *
 * `<digits>@s.whatsapp.net` and `<digits>@c.us` become their digits, which
 * are checked like a phone number. Group JIDs (`<digits>@g.us`,
 * `<digits>-<digits>@g.us`), `<digits>@lid`, `<digits>@newsletter`,
 * `status@broadcast` and `<digits>@broadcast` are returned trimmed but
 * otherwise unchanged.
 *
 * Never throws. A rejection carries a reason that quotes the trimmed value,
 * names the first invalid character by its position (counted in code points
 * from 1, in the trimmed value) and says how to fix it.
 */
export function normalizeRecipient(input: unknown): NormalizeResult {
	const text = readTrimmedString(input);
	if (!text.ok) {
		return text;
	}
	if (text.value.includes('@')) {
		return normalizeJid(text.value);
	}
	return normalizeDigits(text.value);
}

/**
 * Normalises a phone number, such as the number on a contact card, to its
 * digits with country code. It takes the same formats as
 * `normalizeRecipient` but rejects JIDs. Never throws.
 */
export function normalizePhoneNumber(input: unknown): NormalizeResult {
	const text = readTrimmedString(input);
	if (!text.ok) {
		return text;
	}
	if (text.value.includes('@')) {
		return reject(
			`Invalid phone number ${quoteValue(text.value)}: a WhatsApp JID is not accepted here. ${DIGITS_HINT}`,
		);
	}
	return normalizeDigits(text.value);
}

function readTrimmedString(input: unknown): NormalizeResult {
	if (typeof input !== 'string') {
		const hint =
			typeof input === 'number' ? ` Pass the number as a string, such as "34600000001".` : '';
		return reject(`Invalid phone number: expected a string, got ${describeValue(input)}.${hint}`);
	}
	const text = input.trim();
	if (text === '') {
		return reject(`Missing phone number: the value is empty. ${DIGITS_HINT}`);
	}
	if (text.length > MAX_RECIPIENT_LENGTH) {
		return reject(
			`Invalid phone number ${quoteValue(text)}: it is ${text.length} characters long, but a phone number or JID has at most ${MAX_RECIPIENT_LENGTH}. ${DIGITS_HINT}`,
		);
	}
	return { ok: true, value: text };
}

/** Strips separators and the `+` or `00` prefix from a trimmed phone number. */
function normalizeDigits(text: string): NormalizeResult {
	const label = `Invalid phone number ${quoteValue(text)}`;
	let digits = '';
	let hasPlus = false;
	let position = 0;

	for (const char of text) {
		position += 1;
		if (char >= '0' && char <= '9') {
			digits += char;
		} else if (char === '+') {
			const isLeading = position === 1 || (position === 2 && text.startsWith('('));
			if (!isLeading) {
				return reject(
					`${label}: "+" at position ${position} is not at the start. Write one "+" before the country code, or none.`,
				);
			}
			hasPlus = true;
		} else if (!SEPARATORS.has(char)) {
			return reject(`${label}: ${describeNonDigit(char, position)}. ${DIGITS_HINT}`);
		}
	}

	if (digits === '') {
		return reject(`${label}: it has no digits. ${DIGITS_HINT}`);
	}
	const hasZeroZeroPrefix = !hasPlus && digits.startsWith('00');
	if (hasZeroZeroPrefix) {
		digits = digits.slice(2);
	}
	const suffix = hasZeroZeroPrefix ? ' after the 00 prefix' : '';
	return checkDigits(label, digits, suffix);
}

function describeNonDigit(char: string, position: number): string {
	const kind = /\p{Nd}/u.test(char) ? 'an ASCII digit (0-9)' : 'a digit';
	return `${JSON.stringify(char)} at position ${position} is not ${kind}`;
}

/** Checks the digit count and the leading digit of a normalised number. */
function checkDigits(label: string, digits: string, suffix: string): NormalizeResult {
	const count = digits.length;
	if (count < MIN_PHONE_DIGITS || count > MAX_PHONE_DIGITS) {
		return reject(
			`${label}: it has ${count} digits${suffix}, but a phone number with country code has ${MIN_PHONE_DIGITS} to ${MAX_PHONE_DIGITS}. ${DIGITS_HINT}`,
		);
	}
	if (digits.startsWith('0')) {
		return reject(
			`${label}: it starts with 0${suffix}, so the country code is missing. Replace the national prefix 0 with the country code, such as 34600000001.`,
		);
	}
	return { ok: true, value: digits };
}

function normalizeJid(text: string): NormalizeResult {
	const label = `Invalid recipient ${quoteValue(text)}`;
	const at = text.indexOf('@');
	if (text.indexOf('@', at + 1) !== -1) {
		return reject(`${label}: a JID has only one "@". Use a phone number or a single JID.`);
	}
	const user = text.slice(0, at);
	const server = text.slice(at + 1);

	switch (server) {
		case 's.whatsapp.net':
		case 'c.us':
			if (!/^\d+$/.test(user)) {
				return reject(
					`${label}: the part before "@" must be only digits, such as 34600000001@${server}.`,
				);
			}
			return checkDigits(label, user, ' before "@"');
		case 'g.us':
			if (!/^\d+(-\d+)?$/.test(user)) {
				return reject(
					`${label}: a group JID is digits, or two groups of digits joined by "-", before "@g.us".`,
				);
			}
			return { ok: true, value: text };
		case 'lid':
		case 'newsletter':
			if (!/^\d+$/.test(user)) {
				return reject(`${label}: the part before "@${server}" must be only digits.`);
			}
			return { ok: true, value: text };
		case 'broadcast':
			if (user !== 'status' && !/^\d+$/.test(user)) {
				return reject(
					`${label}: a broadcast JID is status@broadcast or digits before "@broadcast".`,
				);
			}
			return { ok: true, value: text };
		default:
			return reject(
				`${label}: unknown JID server ${quoteValue(server)}. Use a phone number, or a JID whose server is ${JID_SERVERS}.`,
			);
	}
}

function reject(reason: string): NormalizeResult {
	return { ok: false, reason };
}
