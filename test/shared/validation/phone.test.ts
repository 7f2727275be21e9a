import fc from 'fast-check';

import { normalizePhoneNumber, normalizeRecipient } from '../../../shared/validation/phone';

function normalizedValue(input: unknown): string | undefined {
	const result = normalizeRecipient(input);
	return result.ok ? result.value : undefined;
}

function reasonOf(input: unknown, normalize = normalizeRecipient): string | undefined {
	const result = normalize(input);
	return result.ok ? undefined : result.reason;
}

describe('normalizeRecipient', () => {
	it.each([
		['+34 600 000 001', '34600000001'],
		['0034600000001', '34600000001'],
		['(+34) 600-000-001', '34600000001'],
		['34600000001\n', '34600000001'],
		['34600000001@s.whatsapp.net', '34600000001'],
		['34600000001@c.us', '34600000001'],
		['\t +34.600.000.001 \r\n', '34600000001'],
		['+34/600/000/001', '34600000001'],
		['(34) 600 000 001', '34600000001'],
		['00 34 600 000 001', '34600000001'],
		['1234567', '1234567'],
		['123456789012345', '123456789012345'],
	])('normalises %j to %j', (input, expected) => {
		expect(normalizedValue(input)).toBe(expected);
	});

	it.each([
		['120363000000000001@g.us'],
		['34600000001-1600000000@g.us'],
		['123456789012345@lid'],
		['120363000000000002@newsletter'],
		['status@broadcast'],
		['1600000000@broadcast'],
	])('passes %j through unchanged', (jid) => {
		expect(normalizedValue(jid)).toBe(jid);
	});

	it('trims a group JID', () => {
		expect(normalizedValue('  120363000000000001@g.us\n')).toBe('120363000000000001@g.us');
	});

	it.each([['+34 600 00O 001'], ['+'], [''], ['   '], ['()'], ['34 600 000 001 ext 2']])(
		'rejects %j',
		(input) => {
			expect(normalizeRecipient(input).ok).toBe(false);
		},
	);

	it('names the letter and its position', () => {
		expect(reasonOf('+34 600 00O 001')).toBe(
			'Invalid phone number "+34 600 00O 001": "O" at position 11 is not a digit. Use digits with the country code, such as 34600000001.',
		);
	});

	it('counts positions in the trimmed value', () => {
		expect(reasonOf('  34x')).toMatch(/^Invalid phone number "34x": "x" at position 3 /);
	});

	it('counts an emoji as one position', () => {
		expect(reasonOf('😀3x')).toMatch(/"😀" at position 1 is not a digit/);
	});

	it('reports a missing value for empty string', () => {
		expect(reasonOf('')).toBe(
			'Missing phone number: the value is empty. Use digits with the country code, such as 34600000001.',
		);
	});

	it('reports no digits for lone plus', () => {
		expect(reasonOf('+')).toBe(
			'Invalid phone number "+": it has no digits. Use digits with the country code, such as 34600000001.',
		);
	});

	it('reports digit count when too short', () => {
		expect(reasonOf('+34 600')).toBe(
			'Invalid phone number "+34 600": it has 5 digits, but a phone number with country code has 7 to 15. Use digits with the country code, such as 34600000001.',
		);
	});

	it('reports digit count when too long', () => {
		expect(reasonOf('1234567890123456')).toMatch(/it has 16 digits, but .* has 7 to 15\./);
	});

	it('counts digits after the 00 prefix', () => {
		expect(reasonOf('0034600')).toMatch(/it has 5 digits after the 00 prefix/);
	});

	it('rejects a national leading zero', () => {
		expect(reasonOf('0600 000 001')).toMatch(
			/starts with 0, so the country code is missing\. Replace the national prefix 0/,
		);
	});

	it('keeps the zeros after a plus', () => {
		expect(reasonOf('+0034600000001')).toMatch(/starts with 0/);
	});

	it('removes only one 00 prefix', () => {
		expect(reasonOf('000034600000001')).toMatch(/starts with 0 after the 00 prefix/);
	});

	it('rejects a plus after digits', () => {
		expect(reasonOf('34+600000001')).toBe(
			'Invalid phone number "34+600000001": "+" at position 3 is not at the start. Write one "+" before the country code, or none.',
		);
	});

	it('rejects a second plus', () => {
		expect(reasonOf('++34600000001')).toMatch(/"\+" at position 2 is not at the start/);
	});

	it('rejects a line break inside the number', () => {
		expect(reasonOf('34600\n000001')).toMatch(/"\\n" at position 6 is not a digit/);
	});

	it('names non-ASCII digits', () => {
		expect(reasonOf('٣٤٦٠٠٠٠٠٠٠١')).toMatch(/"٣" at position 1 is not an ASCII digit \(0-9\)/);
	});

	it('keeps a 12-digit Brazilian number', () => {
		expect(normalizedValue('+55 75 8800-0001')).toBe('557588000001');
	});

	it('keeps a 13-digit Brazilian number', () => {
		expect(normalizedValue('+55 11 90000-0001')).toBe('5511900000001');
	});

	it('rejects non-string values with a hint', () => {
		expect(reasonOf(34600000001)).toBe(
			'Invalid phone number: expected a string, got number 34600000001. Pass the number as a string, such as "34600000001".',
		);
	});

	it.each([[null], [undefined], [{}], [['34600000001']], [true]])('rejects %p', (input) => {
		expect(reasonOf(input)).toMatch(/^Invalid phone number: expected a string, got /);
	});

	it('rejects values over 128 characters', () => {
		expect(reasonOf('1'.repeat(129))).toMatch(/it is 129 characters long, .* at most 128\./);
	});

	it('checks digits of a user JID', () => {
		expect(reasonOf('0600000001@s.whatsapp.net')).toMatch(
			/^Invalid recipient "0600000001@s\.whatsapp\.net": it starts with 0 before "@"/,
		);
	});

	it('rejects separators inside a user JID', () => {
		expect(reasonOf('+34 600000001@c.us')).toBe(
			'Invalid recipient "+34 600000001@c.us": the part before "@" must be only digits, such as 34600000001@c.us.',
		);
	});

	it('rejects a device suffix', () => {
		expect(reasonOf('34600000001:12@s.whatsapp.net')).toMatch(/must be only digits/);
	});

	it.each([['abc@g.us'], ['1-2-3@g.us'], ['@g.us'], ['x@lid'], ['@newsletter'], ['me@broadcast']])(
		'rejects malformed JID %j',
		(jid) => {
			expect(reasonOf(jid)).toMatch(/^Invalid recipient /);
		},
	);

	it('rejects an unknown JID server', () => {
		expect(reasonOf('34600000001@example.com')).toBe(
			'Invalid recipient "34600000001@example.com": unknown JID server "example.com". Use a phone number, or a JID whose server is s.whatsapp.net, c.us, g.us, lid, newsletter or broadcast.',
		);
	});

	it('rejects two at signs', () => {
		expect(reasonOf('1@2@g.us')).toMatch(/a JID has only one "@"/);
	});
});

describe('normalizePhoneNumber', () => {
	it('normalises a formatted number', () => {
		expect(normalizePhoneNumber('(+34) 600-000-001')).toEqual({ ok: true, value: '34600000001' });
	});

	it('rejects a JID', () => {
		expect(reasonOf('34600000001@s.whatsapp.net', normalizePhoneNumber)).toBe(
			'Invalid phone number "34600000001@s.whatsapp.net": a WhatsApp JID is not accepted here. Use digits with the country code, such as 34600000001.',
		);
	});

	it('rejects a group JID', () => {
		expect(normalizePhoneNumber('120363000000000001@g.us').ok).toBe(false);
	});
});

describe('normalizeRecipient properties', () => {
	const validDigits = fc
		.tuple(
			fc.integer({ min: 1, max: 9 }),
			fc.array(fc.integer({ min: 0, max: 9 }), {
				minLength: 6,
				maxLength: 14,
			}),
		)
		.map(([first, rest]) => `${first}${rest.join('')}`);
	const separator = fc.constantFrom('', ' ', '\t', '-', '.', '/', '(', ')', ' - ');
	const prefix = fc.constantFrom('', '+', '00', '(+', '+ ', '00 ');
	const padding = fc.constantFrom('', ' ', '\n', '\t', ' \r\n');

	it('round-trips formatted digits', () => {
		fc.assert(
			fc.property(
				validDigits,
				prefix,
				fc.array(separator, { minLength: 15, maxLength: 15 }),
				padding,
				padding,
				(digits, start, separators, before, after) => {
					const body = [...digits].map((digit, i) => digit + separators[i]).join('');
					const formatted = `${before}${start}${body}${after}`;
					expect(normalizedValue(formatted)).toBe(digits);
				},
			),
		);
	});

	const letter = fc.oneof(
		fc.constantFrom('O', 'o', 'l', 'I', 'x', 'e'),
		fc
			.integer({ min: 0x41, max: 0x10ffff })
			.map((codePoint) => String.fromCodePoint(codePoint))
			.filter((char) => /^\p{L}$/u.test(char)),
	);

	it('rejects any phone number with a letter', () => {
		fc.assert(
			fc.property(fc.string(), letter, fc.string(), (before, char, after) => {
				expect(normalizePhoneNumber(`${before}${char}${after}`).ok).toBe(false);
			}),
		);
	});

	it('rejects any non-JID with a letter', () => {
		const withoutAt = fc.string().map((text) => text.replaceAll('@', ''));
		fc.assert(
			fc.property(withoutAt, letter, withoutAt, (before, char, after) => {
				expect(normalizeRecipient(`${before}${char}${after}`).ok).toBe(false);
			}),
		);
	});

	it('rejects a letter among valid digits', () => {
		fc.assert(
			fc.property(validDigits, fc.nat(), letter, (digits, offset, char) => {
				const at = offset % (digits.length + 1);
				const input = digits.slice(0, at) + char + digits.slice(at);
				expect(normalizeRecipient(input).ok).toBe(false);
			}),
		);
	});

	it('never throws for any input', () => {
		fc.assert(
			fc.property(fc.oneof(fc.anything(), fc.string({ unit: 'binary' })), (input) => {
				const recipient = normalizeRecipient(input);
				const phone = normalizePhoneNumber(input);
				expect(typeof recipient.ok).toBe('boolean');
				expect(typeof phone.ok).toBe('boolean');
			}),
		);
	});
});
