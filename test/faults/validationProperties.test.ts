import fc from 'fast-check';

import { MESSAGE_TYPES } from '../../shared/message';
import {
	normalizePhoneNumber,
	normalizeRecipient,
	validateMessage,
	validateMessages,
	type MessageValidationResult,
} from '../../shared/validation';

// Properties the example-based validation tests do not state: idempotence,
// digit preservation, agreement between entry points, and rejection of
// prototype keys, control characters, unknown types and out-of-range numbers
// wherever they appear.

const validDigits = fc
	.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 14 }))
	.map(([first, rest]) => `${first}${rest.join('')}`);

/** Strings made of the characters a phone number may contain, and a few that it may not. */
const phoneLike = fc
	.array(fc.constantFrom(...'0123456789 +-().\t/'.split(''), '0', '0', '1', '3', '4', 'x', '@'), { maxLength: 24 })
	.map((chars) => chars.join(''));

/** C0 controls other than tab, line feed and carriage return, DEL, and C1 controls. */
const controlCharacter = fc
	.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f }))
	.filter((code) => ![0x09, 0x0a, 0x0d].includes(code))
	.map((code) => String.fromCharCode(code));

/** Printable text without control characters that is not blank. */
const safeText = fc
	.string({ unit: 'grapheme', minLength: 1, maxLength: 80 })
	.filter((text) => text.trim() !== '' && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text));

const priority = fc.constantFrom('critical', 'high', 'normal', 'low', 1, 2, 3, 4);

/** JSON data without the keys that validation rejects anywhere. */
const note = fc
	.jsonValue({ maxDepth: 2 })
	.filter((value) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(value)));

const metadata = fc.record({ priority, campaignId: safeText, contactId: safeText, note }, { requiredKeys: [] });

const textMessage = fc.record({
	instanceName: fc.constantFrom('acme', 'sales-1', 'número'),
	recipientPhone: validDigits,
	messageType: fc.constant('text'),
	content: safeText.map((text) => ({ text })),
	metadata,
});

const locationMessage = fc.record({
	instanceName: fc.constant('acme'),
	recipientPhone: validDigits,
	messageType: fc.constant('location'),
	content: fc.record({
		latitude: fc.double({ min: -90, max: 90, noNaN: true }),
		longitude: fc.double({ min: -180, max: 180, noNaN: true }),
	}),
});

const contactMessage = fc.record({
	instanceName: fc.constant('acme'),
	recipientPhone: validDigits,
	messageType: fc.constant('contact'),
	content: fc
		.array(fc.record({ fullName: safeText, phoneNumber: validDigits }), { minLength: 1, maxLength: 3 })
		.map((contacts) => ({ contacts })),
});

const imageMessage = fc.record({
	instanceName: fc.constant('acme'),
	recipientPhone: validDigits,
	messageType: fc.constant('image'),
	content: fc.webPath().map((path) => ({ url: `https://cdn.example.com${path}` })),
});

const validMessage = fc.oneof(textMessage, locationMessage, contactMessage, imageMessage);

function asciiDigits(text: string): string {
	return text.replace(/[^0-9]/g, '');
}

function issuePaths(result: MessageValidationResult): string[] {
	return result.ok ? [] : result.issues.map((issue) => issue.path);
}

/** Adds `key` at the top, in content or in metadata through JSON text, so `__proto__` becomes an own key as in a parsed request body. */
function withKeyAt(message: Record<string, unknown>, where: 'top' | 'content' | 'metadata', key: string): unknown {
	const json = JSON.stringify(message);
	const injected = `"${key}":{"polluted":true}`;
	if (where === 'top') {
		return JSON.parse(`{${injected},${json.slice(1)}`);
	}
	const parsed = JSON.parse(json) as Record<string, unknown>;
	parsed[where] = JSON.parse(`{${injected},${JSON.stringify(parsed[where] ?? {}).slice(1)}`);
	return parsed;
}

describe('normalizeRecipient properties', () => {
	it('normalises its own output unchanged', () => {
		fc.assert(
			fc.property(fc.oneof(phoneLike, fc.string(), validDigits.map((digits) => `${digits}@s.whatsapp.net`)), (input) => {
				const first = normalizeRecipient(input);
				fc.pre(first.ok);
				expect(normalizeRecipient(first.ok ? first.value : '')).toEqual(first);
			}),
		);
	});

	it('keeps every digit it is given', () => {
		fc.assert(
			fc.property(phoneLike, (input) => {
				const result = normalizeRecipient(input);
				fc.pre(result.ok);
				let expected = asciiDigits(input);
				if (!input.includes('+') && expected.startsWith('00')) {
					expected = expected.slice(2);
				}
				expect(result).toEqual({ ok: true, value: expected });
			}),
		);
	});

	it('returns digits or a passed-through JID', () => {
		fc.assert(
			fc.property(fc.oneof(phoneLike, fc.string()), (input) => {
				const result = normalizeRecipient(input);
				fc.pre(result.ok);
				const value = result.ok ? result.value : '';
				const isDigits = /^[1-9]\d{6,14}$/.test(value);
				const isJid = value === input.trim() && value.includes('@');
				expect(isDigits || isJid).toBe(true);
			}),
		);
	});

	it('reads a user JID as its digits', () => {
		fc.assert(
			fc.property(validDigits, fc.constantFrom('s.whatsapp.net', 'c.us'), (digits, server) => {
				expect(normalizeRecipient(`${digits}@${server}`)).toEqual(normalizeRecipient(digits));
			}),
		);
	});

	it('passes group JIDs through trimmed', () => {
		const group = fc.tuple(validDigits, fc.option(validDigits, { nil: undefined })).map(([id, suffix]) =>
			suffix === undefined ? `${id}@g.us` : `${id}-${suffix}@g.us`,
		);
		fc.assert(
			fc.property(group, fc.constantFrom('', ' ', '\n', '\t '), (jid, padding) => {
				expect(normalizeRecipient(`${padding}${jid}${padding}`)).toEqual({ ok: true, value: jid });
			}),
		);
	});

	it('agrees with normalizePhoneNumber without @', () => {
		fc.assert(
			fc.property(fc.oneof(phoneLike, fc.string()), (input) => {
				fc.pre(!input.includes('@'));
				expect(normalizePhoneNumber(input)).toEqual(normalizeRecipient(input));
			}),
		);
	});

	it('rejects a control character inside', () => {
		fc.assert(
			fc.property(validDigits, fc.nat(), controlCharacter, (digits, offset, control) => {
				const at = 1 + (offset % (digits.length - 1));
				expect(normalizeRecipient(digits.slice(0, at) + control + digits.slice(at)).ok).toBe(false);
			}),
		);
	});
});

describe('validateMessage properties', () => {
	it('accepts every generated valid message', () => {
		fc.assert(
			fc.property(validMessage, (message) => {
				expect(issuePaths(validateMessage(message))).toEqual([]);
			}),
		);
	});

	it('validates its own output unchanged', () => {
		fc.assert(
			fc.property(validMessage, (message) => {
				const first = validateMessage(message);
				fc.pre(first.ok);
				const normalized: Record<string, unknown> = first.ok ? { ...first.message } : {};
				delete normalized.recipientInput;
				const expected = { ...normalized, recipientInput: normalized.recipientPhone };
				expect(validateMessage(normalized)).toEqual({ ok: true, message: expected });
			}),
		);
	});

	it('names a prototype key anywhere', () => {
		fc.assert(
			fc.property(
				textMessage,
				fc.constantFrom('top', 'content', 'metadata') as fc.Arbitrary<'top' | 'content' | 'metadata'>,
				fc.constantFrom('__proto__', 'constructor', 'prototype'),
				(message, where, key) => {
					const paths = issuePaths(validateMessage(withKeyAt(message, where, key)));
					const expected = where === 'top' ? key : `${where}.${key}`;
					expect(paths).toContain(expected);
				},
			),
		);
	});

	it('rejects control characters in text', () => {
		fc.assert(
			fc.property(textMessage, fc.nat(), controlCharacter, (message, offset, control) => {
				const text = message.content.text;
				const at = offset % (text.length + 1);
				const content = { text: `${text.slice(0, at)}${control}${text.slice(at)}` };
				expect(issuePaths(validateMessage({ ...message, content }))).toEqual(['content.text']);
			}),
		);
	});

	it('rejects any unknown message type', () => {
		const unknownType = fc.string().filter((type) => !(MESSAGE_TYPES as readonly string[]).includes(type));
		fc.assert(
			fc.property(textMessage, unknownType, (message, messageType) => {
				expect(issuePaths(validateMessage({ ...message, messageType }))).toContain('messageType');
			}),
		);
	});

	it('rejects priority numbers outside 1 to 4', () => {
		const number = fc.oneof(fc.double(), fc.integer()).filter((value) => ![1, 2, 3, 4].includes(value));
		fc.assert(
			fc.property(textMessage, number, (message, value) => {
				const paths = issuePaths(validateMessage({ ...message, metadata: { priority: value } }));
				expect(paths).toEqual(['metadata.priority']);
			}),
		);
	});

	it('rejects coordinates out of range', () => {
		const outside = fc.oneof(
			fc.double({ min: 90, max: Number.MAX_VALUE, minExcluded: true }),
			fc.double({ min: -Number.MAX_VALUE, max: -90, maxExcluded: true }),
			fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
		);
		fc.assert(
			fc.property(locationMessage, outside, (message, latitude) => {
				const content = { ...message.content, latitude };
				expect(issuePaths(validateMessage({ ...message, content }))).toEqual(['content.latitude']);
			}),
		);
	});
});

describe('validateMessages properties', () => {
	const item = fc.oneof(validMessage, fc.anything(), textMessage.map((message) => ({ ...message, messageType: 'sticker' })));

	it('accepts a bulk only when each message passes', () => {
		fc.assert(
			fc.property(fc.array(item, { maxLength: 8 }), (messages) => {
				const isEachValid = messages.every((message) => validateMessage(message).ok);
				expect(validateMessages(messages).ok).toBe(isEachValid);
			}),
		);
	});

	it('prefixes each issue with its index', () => {
		fc.assert(
			fc.property(fc.array(item, { maxLength: 8 }), (messages) => {
				const expected = messages.flatMap((message, index) =>
					issuePaths(validateMessage(message)).map((path) => (path === '' ? `[${index}]` : `[${index}].${path}`)),
				);
				const result = validateMessages(messages);
				expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(expected);
			}),
		);
	});
});
