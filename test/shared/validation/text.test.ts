import fc from 'fast-check';

import { ValidationError } from '../../../shared/errors';
import {
	countCharacters,
	findControlCharacter,
	MAX_TEXT_CHARACTERS,
	splitText,
} from '../../../shared/validation/text';

/** Whitespace as `splitText` defines it: no-break spaces are not whitespace there. */
const WHITESPACE = /[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;
const EDGE_WHITESPACE = new RegExp(`^${WHITESPACE.source}|${WHITESPACE.source}$`);
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function graphemesOf(text: string): string[] {
	return Array.from(graphemes.segment(text), (segment) => segment.segment);
}

function skipWhitespace(text: string, position: number): number {
	let end = position;
	while (end < text.length && WHITESPACE.test(text[end])) {
		end += 1;
	}
	return end;
}

function trimmed(text: string): string {
	const start = skipWhitespace(text, 0);
	let end = text.length;
	while (end > start && WHITESPACE.test(text[end - 1])) {
		end -= 1;
	}
	return text.slice(start, end);
}

/**
 * Finds each part in `text`, in order, with only whitespace before, between
 * and after them. Returns the UTF-16 ranges, or undefined when the parts do
 * not cover the text that way.
 */
function locateParts(text: string, parts: string[]): [number, number][] | undefined {
	const ranges: [number, number][] = [];
	let position = 0;
	for (const part of parts) {
		position = skipWhitespace(text, position);
		if (!text.startsWith(part, position)) {
			return undefined;
		}
		ranges.push([position, position + part.length]);
		position += part.length;
	}
	return skipWhitespace(text, position) === text.length ? ranges : undefined;
}

/** Rebuilds the text from the first to the last part, whitespace included. */
function rejoin(text: string, parts: string[]): string | undefined {
	const ranges = locateParts(text, parts);
	if (!ranges || ranges.length === 0) {
		return undefined;
	}
	return text.slice(ranges[0][0], ranges[ranges.length - 1][1]);
}

function words(characters: number): string {
	const vocabulary = ['lorem', 'ipsum', 'dolor', 'sit', 'amet,', 'consectetur', 'adipiscing'];
	const chunks: string[] = [];
	let length = 0;
	for (let i = 0; length < characters; i++) {
		const word = vocabulary[i % vocabulary.length];
		chunks.push(word);
		length += word.length + 1;
	}
	return chunks.join(' ').slice(0, characters);
}

describe('countCharacters', () => {
	it('counts ASCII characters', () => {
		expect(countCharacters('hello')).toBe(5);
	});

	it('counts an emoji once', () => {
		expect(countCharacters('😀')).toBe(1);
	});

	it('counts code points of a sequence', () => {
		expect(countCharacters('👨‍👩‍👧')).toBe(5);
	});

	it('counts a lone surrogate once', () => {
		expect(countCharacters('a\ud800b')).toBe(3);
	});

	it('matches spread length', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'binary' }), (text) => {
				expect(countCharacters(text)).toBe([...text].length);
			}),
		);
	});
});

describe('findControlCharacter', () => {
	it('allows tabs and line breaks', () => {
		expect(findControlCharacter('a\tb\r\nc')).toBeUndefined();
	});

	it('finds a bell character', () => {
		expect(findControlCharacter('ab\u0007')).toEqual({ position: 3, code: 'U+0007' });
	});

	it('counts an emoji as one position', () => {
		expect(findControlCharacter('😀\u0000')).toEqual({ position: 2, code: 'U+0000' });
	});

	it('finds delete', () => {
		expect(findControlCharacter('\u007f')?.code).toBe('U+007F');
	});

	it('finds C1 controls', () => {
		expect(findControlCharacter('\u0085')?.code).toBe('U+0085');
	});

	it('ignores zero-width joiners', () => {
		expect(findControlCharacter('👨‍👩‍👧')).toBeUndefined();
	});
});

describe('splitText', () => {
	it('keeps a text that fits', () => {
		expect(splitText('  hello world \n', 20)).toEqual(['  hello world \n']);
	});

	it('keeps an empty text', () => {
		expect(splitText('', 10)).toEqual(['']);
	});

	it('splits 5000 characters of words', () => {
		const text = words(5000);
		const parts = splitText(text, MAX_TEXT_CHARACTERS);

		expect(parts).toHaveLength(2);
		expect(countCharacters(parts[0])).toBeLessThanOrEqual(MAX_TEXT_CHARACTERS);
		expect(countCharacters(parts[0])).toBeGreaterThan(MAX_TEXT_CHARACTERS - 20);
		expect(parts[0]).not.toMatch(EDGE_WHITESPACE);
		expect(parts[1]).not.toMatch(EDGE_WHITESPACE);
		expect(rejoin(text, parts)).toBe(text);
	});

	it('keeps 2100 emoji in one part', () => {
		const text = '😀'.repeat(2100);

		expect(text.length).toBe(4200);
		expect(splitText(text, MAX_TEXT_CHARACTERS)).toEqual([text]);
	});

	it('cuts a 5000-character word', () => {
		const text = 'x'.repeat(5000);

		expect(splitText(text, MAX_TEXT_CHARACTERS)).toEqual(['x'.repeat(4096), 'x'.repeat(904)]);
	});

	it('cuts emoji words between emoji', () => {
		const parts = splitText('😀'.repeat(5000), MAX_TEXT_CHARACTERS);

		expect(parts).toEqual(['😀'.repeat(4096), '😀'.repeat(904)]);
	});

	it('keeps a family emoji whole', () => {
		const family = '👨‍👩‍👧';
		const text = `${'a'.repeat(4094)}${family}${'b'.repeat(100)}`;
		const parts = splitText(text, MAX_TEXT_CHARACTERS);

		expect(parts).toEqual(['a'.repeat(4094), `${family}${'b'.repeat(100)}`]);
	});

	it('keeps a flag whole', () => {
		const text = `${'a'.repeat(4095)}🇪🇸${'b'.repeat(10)}`;
		const parts = splitText(text, MAX_TEXT_CHARACTERS);

		expect(parts).toEqual(['a'.repeat(4095), `🇪🇸${'b'.repeat(10)}`]);
	});

	it('pairs flags from the start', () => {
		const text = `a${'🇪🇸'.repeat(3000)}`;
		const parts = splitText(text, MAX_TEXT_CHARACTERS);

		expect(countCharacters(parts[0])).toBe(4095);
		expect(parts.join('')).toBe(text);
		expect(parts.flatMap(graphemesOf)).toEqual(graphemesOf(text));
	});

	it('keeps a skin tone with its emoji', () => {
		const text = `${'a'.repeat(9)}👍🏽`;

		expect(splitText(text, 10)).toEqual(['a'.repeat(9), '👍🏽']);
	});

	it('keeps combining marks whole', () => {
		const text = `${'a'.repeat(9)}e\u0301\u0302${'b'.repeat(5)}`;

		expect(splitText(text, 10)).toEqual(['a'.repeat(9), `e\u0301\u0302${'b'.repeat(5)}`]);
	});

	it('cuts a cluster longer than the limit', () => {
		const text = `e${'\u0301'.repeat(11)}`;
		const parts = splitText(text, 10);

		expect(parts.map(countCharacters)).toEqual([10, 2]);
		expect(parts.join('')).toBe(text);
	});

	it('prefers a paragraph break', () => {
		const text = 'aaaa bbbb\n\ncccc dddd\neeee ffff';

		expect(splitText(text, 18)).toEqual(['aaaa bbbb', 'cccc dddd', 'eeee ffff']);
	});

	it('prefers a line break over spaces', () => {
		const text = 'aaaa bbbb\ncccc dddd eeee';

		expect(splitText(text, 16)).toEqual(['aaaa bbbb', 'cccc dddd eeee']);
	});

	it('skips breaks in the first half', () => {
		const text = 'aa\n\nbbbb cccc dddd eeee';

		expect(splitText(text, 16)).toEqual(['aa\n\nbbbb cccc', 'dddd eeee']);
	});

	it('uses an early space over a cut', () => {
		const text = `ab ${'c'.repeat(20)}`;

		expect(splitText(text, 10)).toEqual(['ab', 'c'.repeat(10), 'c'.repeat(10)]);
	});

	it('drops the whole run at a split', () => {
		const text = `${'a'.repeat(8)} \t\n \n  ${'b'.repeat(8)}`;

		expect(splitText(text, 10)).toEqual(['a'.repeat(8), 'b'.repeat(8)]);
	});

	it('splits at a run after the window', () => {
		const text = `${'a'.repeat(10)}     bbb`;

		expect(splitText(text, 10)).toEqual(['a'.repeat(10), 'bbb']);
	});

	it('drops leading and trailing whitespace', () => {
		const text = `\n\n  ${'a'.repeat(6)} ${'b'.repeat(6)}  \n`;

		expect(splitText(text, 10)).toEqual(['a'.repeat(6), 'b'.repeat(6)]);
	});

	it('keeps no-break spaces inside parts', () => {
		const text = 'aaaa\u00a0bbbb cccc';

		expect(splitText(text, 10)).toEqual(['aaaa\u00a0bbbb', 'cccc']);
	});

	it('drops CRLF at a split', () => {
		const text = 'aaaa\r\nbbbb';

		expect(splitText(text, 5)).toEqual(['aaaa', 'bbbb']);
	});

	it('returns no parts for long whitespace', () => {
		expect(splitText(' '.repeat(20), 10)).toEqual([]);
	});

	it.each([[0], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
		'rejects maxCharacters %p',
		(maxCharacters) => {
			expect(() => splitText('text', maxCharacters)).toThrow(ValidationError);
		},
	);

	it('names the invalid maxCharacters', () => {
		expect(() => splitText('text', 0)).toThrow(
			'maxCharacters: Invalid maxCharacters number 0. Use an integer of at least 1.',
		);
	});

	it('splits two million characters', () => {
		const text = words(2_000_000);
		const parts = splitText(text, MAX_TEXT_CHARACTERS);

		expect(parts.length).toBeGreaterThanOrEqual(489);
		expect(rejoin(text, parts)).toBe(text);
	});

	it('cuts a two-million-character word', () => {
		const parts = splitText('x'.repeat(2_000_000), 100);

		expect(parts).toHaveLength(20_000);
	});
});

describe('splitText properties', () => {
	const textUnit = fc.oneof(
		{ weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
		{ weight: 3, arbitrary: fc.constantFrom(' ', '\n', '\n\n', ' \r\n ', '\t', '\u00a0') },
		{ weight: 1, arbitrary: fc.constantFrom('👨‍👩‍👧', '🇪🇸', '🇧🇷🇵🇹', 'e\u0301', '👍🏽') },
	);
	const textArbitrary = fc.array(textUnit, { maxLength: 60 }).map((units) => units.join(''));
	const maxArbitrary = fc.integer({ min: 1, max: 40 });

	it('keeps parts within the limit', () => {
		fc.assert(
			fc.property(textArbitrary, maxArbitrary, (text, max) => {
				for (const part of splitText(text, max)) {
					expect(countCharacters(part)).toBeLessThanOrEqual(max);
				}
			}),
		);
	});

	it('returns a fitting text unchanged', () => {
		fc.assert(
			fc.property(textArbitrary, maxArbitrary, (text, max) => {
				fc.pre(countCharacters(text) <= max);
				expect(splitText(text, max)).toEqual([text]);
			}),
		);
	});

	it('rejoins to the trimmed text', () => {
		fc.assert(
			fc.property(textArbitrary, maxArbitrary, (text, max) => {
				fc.pre(countCharacters(text) > max && trimmed(text) !== '');
				expect(rejoin(text, splitText(text, max))).toBe(trimmed(text));
			}),
		);
	});

	it('produces no blank parts', () => {
		fc.assert(
			fc.property(textArbitrary, maxArbitrary, (text, max) => {
				fc.pre(countCharacters(text) > max);
				for (const part of splitText(text, max)) {
					expect(part).not.toBe('');
					expect(part).not.toMatch(EDGE_WHITESPACE);
				}
			}),
		);
	});

	it('cuts words at cluster boundaries', () => {
		fc.assert(
			fc.property(textArbitrary, fc.integer({ min: 12, max: 40 }), (text, max) => {
				fc.pre(graphemesOf(text).every((cluster) => countCharacters(cluster) <= max));
				const boundaries = new Set([0]);
				for (const { index, segment } of graphemes.segment(text)) {
					boundaries.add(index + segment.length);
				}
				const ranges = locateParts(text, splitText(text, max)) ?? [];
				for (let i = 1; i < ranges.length; i++) {
					const start = ranges[i][0];
					if (ranges[i - 1][1] === start) {
						expect(boundaries.has(start)).toBe(true);
					}
				}
			}),
		);
	});
});
