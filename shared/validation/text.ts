/**
 * Character counting, length limits and splitting of message text.
 * WhatsApp documents its limits in characters, which this module counts as
 * Unicode code points.
 */

import { ValidationError } from '../errors';
import { describeValue } from './values';

/**
 * Maximum length of a text message body in code points. This is the
 * WhatsApp Cloud API limit for `text.body`, as 360dialog's Cloud API
 * documentation states it. It applies to every gateway, so a message that
 * passes validation can be sent through any of them.
 *
 * NOTE: the documentation says "characters" without saying how they are
 * counted. If the API counted UTF-16 units, a text with many emoji could pass
 * here and still be rejected there.
 */
export const MAX_TEXT_CHARACTERS = 4096;

/**
 * Maximum length of a media caption in code points. Meta's Cloud API
 * reference for image messages gives "Maximum 1024 characters".
 */
export const MAX_CAPTION_CHARACTERS = 1024;

/**
 * Whitespace at which text may be split: tab, line feed, vertical tab, form
 * feed, carriage return, space and the Unicode space separators. No-break
 * spaces (U+00A0, U+2007, U+202F) are left out because they ask not to be
 * broken.
 */
const BREAK_SPACE_CHARACTER =
	/[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;
const LINE_BREAK = /\r\n|[\n\r\u2028]/g;

/** Control characters other than tab, line feed and carriage return. */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Counts the characters of `text` as Unicode code points, so an emoji such
 * as 😀 counts once although it takes two UTF-16 units.
 */
export function countCharacters(text: string): number {
	let count = 0;
	for (let index = 0; index < text.length; index = nextCodePoint(text, index)) {
		count += 1;
	}
	return count;
}

/** Position and code of a control character found in a text. */
export interface ControlCharacter {
	/** Position in the text, counted in code points from 1. */
	position: number;
	/** The character as a code point label, such as `U+0007`. */
	code: string;
}

/**
 * Finds the first control character other than tab (`\t`), line feed (`\n`)
 * and carriage return (`\r`): U+0000 to U+001F, U+007F and U+0080 to U+009F.
 * Returns undefined when there is none.
 */
export function findControlCharacter(text: string): ControlCharacter | undefined {
	const match = CONTROL_CHARACTER.exec(text);
	if (!match) {
		return undefined;
	}
	const hex = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
	return { position: countCharacters(text.slice(0, match.index)) + 1, code: `U+${hex}` };
}

/**
 * Splits `text` into ordered parts of at most `maxCharacters` code points
 * each, for sending a long text as several messages.
 *
 * A text that fits is returned unchanged as the only part, even when it is
 * empty. A longer text loses its leading and trailing whitespace, and is then
 * split at whitespace. Paragraph breaks (two or more line breaks) are
 * preferred over line breaks, and line breaks over other whitespace, as long
 * as the part stays at least half of `maxCharacters` long. Otherwise the
 * last whitespace that fits is used. The whole whitespace run at a split
 * point is dropped, so no part starts or ends with whitespace.
 *
 * A word longer than `maxCharacters` is cut at the last grapheme cluster
 * boundary that fits, so emoji sequences, flags and combining marks stay
 * whole, and nothing is dropped at such a cut. Only a single grapheme
 * cluster longer than `maxCharacters` is cut between code points.
 *
 * Joining the parts with the dropped whitespace runs between them gives back
 * the text without its leading and trailing whitespace. Whitespace here is
 * tab, line feed, vertical tab, form feed, carriage return, space and the
 * Unicode space separators, except the no-break spaces U+00A0, U+2007 and
 * U+202F. A text longer than `maxCharacters` that is only whitespace gives
 * no parts.
 *
 * @throws ValidationError when `maxCharacters` is not a positive integer.
 */
export function splitText(text: string, maxCharacters: number): string[] {
	if (!Number.isSafeInteger(maxCharacters) || maxCharacters < 1) {
		throw new ValidationError([
			{
				path: 'maxCharacters',
				message: `Invalid maxCharacters ${describeValue(maxCharacters)}. Use an integer of at least 1.`,
			},
		]);
	}
	if (advance(text, 0, maxCharacters) >= text.length) {
		return [text];
	}

	const core = trimBreakSpace(text);
	const parts: string[] = [];
	let start = 0;
	while (start < core.length) {
		const windowEnd = advance(core, start, maxCharacters);
		if (windowEnd >= core.length) {
			parts.push(core.slice(start));
			break;
		}
		const split =
			findSpaceSplit(core, start, windowEnd, maxCharacters) ??
			cutAtGrapheme(core, start, windowEnd);
		parts.push(core.slice(start, split.partEnd));
		start = split.nextStart;
	}
	return parts;
}

/** Split point: the UTF-16 index where a part ends and the one where the next starts. */
interface Split {
	partEnd: number;
	nextStart: number;
}

/**
 * Finds the best whitespace run to split at. The part runs from `start` to
 * the run, so the run must start after `start` and at or before `windowEnd`.
 */
function findSpaceSplit(
	text: string,
	start: number,
	windowEnd: number,
	maxCharacters: number,
): Split | undefined {
	const halfIndex = advance(text, start, Math.ceil(maxCharacters / 2));
	// Index 0 is the latest paragraph break, 1 line break, 2 other whitespace.
	const latestByLevel: (Split | undefined)[] = [undefined, undefined, undefined];
	let latest: Split | undefined;

	// Search only up to the window end, so each part costs time in proportion
	// to its own length, then extend a run cut off by that bound.
	const searched = text.slice(0, windowEnd + 1);
	const pattern = new RegExp(`${BREAK_SPACE_CHARACTER.source}+`, 'g');
	pattern.lastIndex = start + 1;
	for (let match = pattern.exec(searched); match; match = pattern.exec(searched)) {
		const runEnd = extendSpaceRun(text, match.index + match[0].length);
		const run = text.slice(match.index, runEnd);
		const split = { partEnd: match.index, nextStart: runEnd };
		latest = split;
		if (match.index >= halfIndex) {
			latestByLevel[breakLevel(run)] = split;
		}
	}
	return latestByLevel[0] ?? latestByLevel[1] ?? latestByLevel[2] ?? latest;
}

function extendSpaceRun(text: string, index: number): number {
	let end = index;
	while (end < text.length && BREAK_SPACE_CHARACTER.test(text[end])) {
		end += 1;
	}
	return end;
}

/** Removes leading and trailing whitespace, as `splitText` defines it. */
function trimBreakSpace(text: string): string {
	let start = 0;
	let end = text.length;
	while (start < end && BREAK_SPACE_CHARACTER.test(text[start])) {
		start += 1;
	}
	while (end > start && BREAK_SPACE_CHARACTER.test(text[end - 1])) {
		end -= 1;
	}
	return text.slice(start, end);
}

function breakLevel(run: string): number {
	const lineBreaks = run.match(LINE_BREAK)?.length ?? 0;
	if (lineBreaks >= 2 || run.includes('\u2029')) {
		return 0;
	}
	return lineBreaks === 1 ? 1 : 2;
}

/**
 * Cuts at the last grapheme cluster boundary after `start` and at or before
 * `windowEnd`, or at `windowEnd` when the first cluster is longer than that.
 */
function cutAtGrapheme(text: string, start: number, windowEnd: number): Split {
	// A boundary depends on the text before it and on the one code point
	// after it, so segmenting up to that code point is enough.
	const segmented = text.slice(start, nextCodePoint(text, windowEnd));
	const limit = windowEnd - start;
	let boundary = 0;
	for (const { index, segment } of graphemes.segment(segmented)) {
		const end = index + segment.length;
		if (end > limit) {
			break;
		}
		boundary = end;
	}
	const cut = boundary > 0 ? start + boundary : windowEnd;
	return { partEnd: cut, nextStart: cut };
}

/** Returns the UTF-16 index `count` code points after `index`, at most the text length. */
function advance(text: string, index: number, count: number): number {
	let position = index;
	for (let step = 0; step < count && position < text.length; step++) {
		position = nextCodePoint(text, position);
	}
	return position;
}

/** Returns the UTF-16 index of the code point after the one at `index`. */
function nextCodePoint(text: string, index: number): number {
	const code = text.charCodeAt(index);
	const isHighSurrogate = code >= 0xd800 && code <= 0xdbff;
	if (isHighSurrogate && index + 1 < text.length) {
		const next = text.charCodeAt(index + 1);
		if (next >= 0xdc00 && next <= 0xdfff) {
			return index + 2;
		}
	}
	return index + 1;
}
