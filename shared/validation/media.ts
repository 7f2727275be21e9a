/**
 * Validation of the content of `image`, `video`, `audio` and `document`
 * messages: the media source (URL or base64), its MIME type, the caption and
 * the file name.
 */

import type { ValidationIssue } from '../errors';
import type { MediaContent, MessageType } from '../message';
import { describeTypeMismatch, readTextField } from './fields';
import { countCharacters, MAX_CAPTION_CHARACTERS } from './text';
import { getOwn, quoteValue } from './values';

/**
 * Maximum decoded size of `content.base64` in bytes (5 MiB). Base64 media
 * travels inside the job in Redis, so larger media should be sent by URL,
 * which the gateway downloads itself.
 */
export const MAX_BASE64_BYTES = 5 * 1024 * 1024;

/** Maximum length of `content.url` in UTF-16 units. */
export const MAX_MEDIA_URL_LENGTH = 2048;

/** Maximum length of a document's `content.fileName` in code points. */
export const MAX_FILE_NAME_CHARACTERS = 255;

/** Message types whose content is media. */
export type MediaMessageType = Extract<MessageType, 'image' | 'video' | 'audio' | 'document'>;

/** Content fields of each media message type. */
export const MEDIA_FIELDS: Record<MediaMessageType, readonly string[]> = {
	image: ['url', 'base64', 'mimeType', 'caption'],
	video: ['url', 'base64', 'mimeType', 'caption'],
	audio: ['url', 'base64', 'mimeType'],
	document: ['url', 'base64', 'mimeType', 'caption', 'fileName'],
};

/** MIME top-level type that each message type requires. Documents take any type. */
const REQUIRED_TOP_LEVEL_TYPE: Record<MediaMessageType, string | undefined> = {
	image: 'image',
	video: 'video',
	audio: 'audio',
	document: undefined,
};

const EXAMPLE_MIME_TYPE: Record<MediaMessageType, string> = {
	image: 'image/jpeg',
	video: 'video/mp4',
	audio: 'audio/ogg',
	document: 'application/pdf',
};

/** Token characters of RFC 2045, for MIME parameter names and values. */
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
/** Type and subtype names of RFC 6838, each up to 127 characters. */
const NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const PARAMETER = `\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*")`;
const MIME_TYPE = new RegExp(`^(${NAME})/(${NAME})(?:${PARAMETER})*$`);

const BASE64_CHARACTER_OR_LINE_BREAK = /[^A-Za-z0-9+/=\r\n]/;

/**
 * Validates media content and returns a new content object. Exactly one of
 * `url` and `base64` is required. A `mimeType` is required with `base64` and
 * optional with `url`. When given, it must be `type/subtype` with optional
 * parameters, and for images, videos and audio its type must be `image`,
 * `video` or `audio`. Captions (not for audio) are never truncated or split,
 * and only documents take a `fileName`. Fields outside `MEDIA_FIELDS` are
 * not read here, so the caller checks for them.
 */
export function validateMediaContent(
	messageType: MediaMessageType,
	record: Record<string, unknown>,
	issues: ValidationIssue[],
): MediaContent {
	const allowed = MEDIA_FIELDS[messageType];
	const content: MediaContent = {};
	const url = getOwn(record, 'url');
	const base64 = getOwn(record, 'base64');
	if (url !== undefined && base64 !== undefined) {
		issues.push({
			path: 'content',
			message: 'content has both url and base64. Set only one of them.',
		});
	} else if (url === undefined && base64 === undefined) {
		issues.push({
			path: 'content',
			message: `Missing media. Set content.url to an http or https URL, or content.base64 with content.mimeType.`,
		});
	}
	if (url !== undefined) {
		content.url = readUrl(url, issues);
	}
	if (base64 !== undefined) {
		content.base64 = readBase64(base64, issues);
	}
	content.mimeType = readMimeType(
		messageType,
		getOwn(record, 'mimeType'),
		base64 !== undefined,
		issues,
	);

	const caption = getOwn(record, 'caption');
	if (allowed.includes('caption') && caption !== undefined) {
		content.caption = readTextField(
			caption,
			'content.caption',
			{
				maxCharacters: MAX_CAPTION_CHARACTERS,
				tooLongHint: 'Shorten it, because captions are never truncated or split.',
			},
			issues,
		);
	}
	const fileName = getOwn(record, 'fileName');
	if (allowed.includes('fileName') && fileName !== undefined) {
		content.fileName = readFileName(fileName, issues);
	}
	return removeUndefined(content);
}

function readUrl(value: unknown, issues: ValidationIssue[]): string | undefined {
	const path = 'content.url';
	if (typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}
	const invalid = (reason: string): undefined => {
		issues.push({ path, message: `Invalid content.url ${quoteValue(value)}: ${reason}` });
		return undefined;
	};

	if (value.length > MAX_MEDIA_URL_LENGTH) {
		return invalid(
			`it is ${value.length} characters long, over the limit of ${MAX_MEDIA_URL_LENGTH}. Use a shorter URL.`,
		);
	}
	// The URL parser drops tabs and line breaks and trims spaces, so a value it
	// accepts can still differ from the URL that the gateway would receive.
	// eslint-disable-next-line no-control-regex -- control characters are what this finds
	const space = /[\s\u0000-\u001f\u007f]/.exec(value);
	if (space) {
		const position = countCharacters(value.slice(0, space.index)) + 1;
		return invalid(
			`it contains ${JSON.stringify(space[0])} at position ${position}. Remove it, or encode spaces as %20.`,
		);
	}
	// The WHATWG URL parser also accepts forms such as `http:host` and
	// `https:///host`, so the value must spell out `scheme://host` itself.
	const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1].toLowerCase();
	if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
		const hint =
			scheme === 'data' ? ' Put the data in content.base64, without the data: prefix.' : '';
		return invalid(`the scheme is "${scheme}", but only http and https are supported.${hint}`);
	}
	if (!/^https?:\/\/[^/?#]/i.test(value) || !URL.canParse(value)) {
		return invalid(
			'it is not an absolute http or https URL with a host. Use a full URL, such as https://example.com/photo.jpg.',
		);
	}
	return value;
}

/**
 * Checks base64 media and returns it without line breaks. Line breaks (LF,
 * CR or CRLF) are allowed anywhere, because MIME and PEM tools wrap base64
 * at 64 or 76 characters. Any other whitespace is rejected. The value must
 * use the standard alphabet with `=` padding to a multiple of 4 characters.
 */
function readBase64(value: unknown, issues: ValidationIssue[]): string | undefined {
	const path = 'content.base64';
	const invalid = (message: string): undefined => {
		issues.push({ path, message });
		return undefined;
	};
	if (typeof value !== 'string') {
		return invalid(describeTypeMismatch(path, 'a string', value));
	}

	const dataUri = /^data:([^,;]*)[^,]*,/i.exec(value.slice(0, 256));
	if (dataUri) {
		const mimeHint = dataUri[1] ? `, and set content.mimeType to "${dataUri[1]}"` : '';
		return invalid(
			`content.base64 starts with the data URI prefix ${quoteValue(dataUri[0])}. Remove the prefix up to and including the comma${mimeHint}.`,
		);
	}
	const stray = BASE64_CHARACTER_OR_LINE_BREAK.exec(value);
	if (stray) {
		return invalid(describeStrayCharacter(value, stray.index));
	}

	const compact = value.replace(/[\r\n]/g, '');
	if (compact === '') {
		return invalid('content.base64 is empty. Set it to the base64-encoded media.');
	}
	const padding = countTrailingPadding(compact);
	const firstPadding = compact.indexOf('=');
	if (padding > 2 || (firstPadding !== -1 && firstPadding < compact.length - padding)) {
		return invalid(
			'content.base64 has "=" before its end. Padding "=" may only appear once or twice at the end.',
		);
	}
	if (compact.length % 4 !== 0) {
		return invalid(
			`content.base64 has ${compact.length} characters without line breaks, which is not a multiple of 4. Check that the value is complete and padded with "=".`,
		);
	}

	const bytes = (compact.length / 4) * 3 - padding;
	if (bytes > MAX_BASE64_BYTES) {
		const mebibytes = (bytes / (1024 * 1024)).toFixed(1);
		return invalid(
			`content.base64 decodes to ${bytes} bytes (${mebibytes} MiB), over the limit of 5 MiB (${MAX_BASE64_BYTES} bytes). Send media this large by URL in content.url.`,
		);
	}
	return compact;
}

function countTrailingPadding(text: string): number {
	let count = 0;
	while (count < text.length && text[text.length - 1 - count] === '=') {
		count += 1;
	}
	return count;
}

function describeStrayCharacter(value: string, index: number): string {
	const char = String.fromCodePoint(value.codePointAt(index) ?? 0);
	const position = countCharacters(value.slice(0, index)) + 1;
	const found = `content.base64 contains ${JSON.stringify(char)} at position ${position}`;
	if (char === '-' || char === '_') {
		return `${found}, so it looks like base64url. Convert it to standard base64 by replacing "-" with "+" and "_" with "/".`;
	}
	return `${found}, which is not in the base64 alphabet. Use standard base64 (A-Z, a-z, 0-9, "+", "/" and "=" padding), with line breaks as the only whitespace.`;
}

function readMimeType(
	messageType: MediaMessageType,
	value: unknown,
	isRequired: boolean,
	issues: ValidationIssue[],
): string | undefined {
	const path = 'content.mimeType';
	const example = EXAMPLE_MIME_TYPE[messageType];
	if (value === undefined) {
		if (isRequired) {
			issues.push({
				path,
				message: `Missing content.mimeType, which base64 media needs. Set it to the media type, such as ${example}.`,
			});
		}
		return undefined;
	}
	if (typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}

	const match = MIME_TYPE.exec(value);
	if (!match) {
		issues.push({
			path,
			message: `Invalid content.mimeType ${quoteValue(value)}. Use a type and subtype, such as ${example}.`,
		});
		return undefined;
	}
	const required = REQUIRED_TOP_LEVEL_TYPE[messageType];
	if (required && match[1].toLowerCase() !== required) {
		issues.push({
			path,
			message: `Invalid content.mimeType ${quoteValue(value)} for ${messageType} media. Use a type starting with ${required}/, such as ${example}.`,
		});
		return undefined;
	}
	return value;
}

function readFileName(value: unknown, issues: ValidationIssue[]): string | undefined {
	const path = 'content.fileName';
	const name = readTextField(
		value,
		path,
		{ maxCharacters: MAX_FILE_NAME_CHARACTERS, isBlankRejected: true },
		issues,
	);
	if (name === undefined) {
		return undefined;
	}
	const separator = /[/\\]/.exec(name)?.[0];
	if (separator || name === '.' || name === '..') {
		const reason = separator ? `it contains "${separator}"` : 'it is a folder reference';
		issues.push({
			path,
			message: `Invalid content.fileName ${quoteValue(name)}: ${reason}. Use a plain file name without folders, such as invoice.pdf.`,
		});
		return undefined;
	}
	return name;
}

function removeUndefined<T extends object>(record: T): T {
	const result: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(record)) {
		if (value !== undefined) {
			result[key] = value;
		}
	}
	return result as T;
}
