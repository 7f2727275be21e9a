import fc from 'fast-check';

import { ValidationError, type ValidationIssue } from '../../../shared/errors';
import type { NormalizedMessage } from '../../../shared/message';
import {
	assertValidMessage,
	assertValidMessages,
	MAX_BASE64_BYTES,
	validateMessage,
	validateMessages,
	type ValidateMessageOptions,
} from '../../../shared/validation/message';

const PNG_BASE64 =
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

type Fields = Record<string, unknown>;

function message(fields: Fields = {}): Fields {
	return {
		instanceName: 'sales',
		recipientPhone: '+34 600 000 001',
		messageType: 'text',
		content: { text: 'Hello' },
		...fields,
	};
}

function media(messageType: string, content: Fields): Fields {
	return message({ messageType, content });
}

function normalized(input: unknown, options?: ValidateMessageOptions): NormalizedMessage {
	const result = validateMessage(input, options);
	if (!result.ok) {
		throw new Error(`Expected a valid message, got ${JSON.stringify(result.issues)}`);
	}
	return result.message;
}

function issuesOf(input: unknown, options?: ValidateMessageOptions): ValidationIssue[] {
	const result = validateMessage(input, options);
	return result.ok ? [] : result.issues;
}

/**
 * Returns the message of the only issue at `path`, or a description of all
 * issues when there is not exactly one there.
 */
function issueAt(input: unknown, path: string, options?: ValidateMessageOptions): string {
	const issues = issuesOf(input, options);
	const matching = issues.filter((issue) => issue.path === path);
	if (matching.length !== 1) {
		return `expected one issue at ${path}, got ${JSON.stringify(issues)}`;
	}
	return matching[0].message;
}

function messagesOf(inputs: unknown, options?: ValidateMessageOptions): NormalizedMessage[] {
	const result = validateMessages(inputs, options);
	if (!result.ok) {
		throw new Error(`Expected valid messages, got ${JSON.stringify(result.issues)}`);
	}
	return result.messages;
}

function thrownBy(action: () => unknown): unknown {
	try {
		action();
	} catch (error) {
		return error;
	}
	return undefined;
}

function deepFreeze<T>(value: T): T {
	if (typeof value === 'object' && value !== null) {
		for (const key of Object.keys(value)) {
			deepFreeze((value as Fields)[key]);
		}
		Object.freeze(value);
	}
	return value;
}

describe('validateMessage', () => {
	it('normalises a text message', () => {
		expect(normalized(message())).toEqual({
			instanceName: 'sales',
			recipientPhone: '34600000001',
			recipientInput: '+34 600 000 001',
			messageType: 'text',
			content: { text: 'Hello' },
			metadata: { priority: 'normal' },
		});
	});

	it('keeps the recipient input exactly', () => {
		const input = message({ recipientPhone: ' (+34) 600-000-001\n' });
		expect(normalized(input).recipientInput).toBe(' (+34) 600-000-001\n');
	});

	it('passes a group JID through', () => {
		const input = message({ recipientPhone: '120363000000000001@g.us' });
		expect(normalized(input).recipientPhone).toBe('120363000000000001@g.us');
	});

	it('leaves the input unchanged', () => {
		const input = deepFreeze(
			message({
				messageType: 'contact',
				content: { contacts: [{ fullName: 'Ana', phoneNumber: '+34 600 000 002' }] },
				metadata: { priority: 1, extra: { list: [1, 2] } },
			}),
		);
		const copy = structuredClone(input);

		normalized(input);

		expect(input).toEqual(copy);
	});

	it('builds new objects', () => {
		const input = message({ metadata: { extra: { list: [1] } } });
		const result = normalized(input);
		const inputMetadata = input.metadata as { extra: { list: number[] } };

		expect(result.content).not.toBe(input.content);
		expect(result.metadata).not.toBe(input.metadata);
		expect(result.metadata.extra).not.toBe(inputMetadata.extra);
		expect((result.metadata.extra as { list: number[] }).list).not.toBe(inputMetadata.extra.list);
	});

	it('accepts a null-prototype object', () => {
		const input = Object.assign(Object.create(null) as Fields, message());
		expect(validateMessage(input).ok).toBe(true);
	});

	it.each([
		[[], 'array'],
		[null, 'null'],
		['hello', 'string "hello"'],
		[new Date(0), 'Date'],
		[new (class Envelope {})(), 'Envelope'],
	])('rejects %p as the message', (input, described) => {
		expect(issuesOf(input)).toEqual([
			{ path: '', message: `Invalid message: expected an object, got ${described}.` },
		]);
	});

	it('rejects a class instance with message fields', () => {
		class Message {
			instanceName = 'sales';
			recipientPhone = '34600000001';
			messageType = 'text';
			content = { text: 'Hello' };
		}
		expect(validateMessage(new Message()).ok).toBe(false);
	});

	it('collects every issue', () => {
		const input = { instanceName: '', recipientPhone: '+', messageType: 'sticker', content: {} };
		expect(issuesOf(input).map((issue) => issue.path)).toEqual([
			'instanceName',
			'recipientPhone',
			'messageType',
		]);
	});

	it('rejects an unknown top-level field', () => {
		expect(issueAt(message({ recipient: 'x' }), 'recipient')).toBe(
			'Unknown field recipient in a message. Use only: instanceName, recipientPhone, messageType, content, metadata.',
		);
	});

	it('suggests the closest top-level field', () => {
		expect(issueAt(message({ metdata: {} }), 'metdata')).toMatch(/Did you mean "metadata"\?$/);
	});

	it('quotes keys that are not identifiers', () => {
		expect(issueAt(message({ 'bad key': 1 }), '["bad key"]')).toMatch(
			/^Unknown field \["bad key"\] in a message\./,
		);
	});
});

describe('validateMessage prototype keys', () => {
	it('rejects __proto__ at the top', () => {
		const input = JSON.parse(
			'{"instanceName":"sales","recipientPhone":"34600000001","messageType":"text","content":{"text":"Hi"},"__proto__":{"polluted":true}}',
		) as unknown;
		expect(issueAt(input, '__proto__')).toBe(
			'Invalid key "__proto__" at __proto__. Remove it, because keys named __proto__, constructor or prototype can change object prototypes.',
		);
	});

	it('rejects __proto__ deep in metadata', () => {
		const input = JSON.parse(
			'{"instanceName":"sales","recipientPhone":"34600000001","messageType":"text","content":{"text":"Hi"},"metadata":{"extra":{"list":[{"__proto__":{"x":1}}]}}}',
		) as unknown;
		expect(issueAt(input, 'metadata.extra.list[0].__proto__')).toMatch(/^Invalid key "__proto__"/);
	});

	it('rejects constructor in a contact card', () => {
		const input = message({
			messageType: 'contact',
			content: { contacts: [{ fullName: 'Ana', phoneNumber: '34600000002', constructor: 'x' }] },
		});
		expect(issueAt(input, 'content.contacts[0].constructor')).toMatch(/^Invalid key "constructor"/);
	});

	it('rejects prototype in content', () => {
		const input = message({ content: { text: 'Hi', prototype: {} } });
		expect(issueAt(input, 'content.prototype')).toMatch(/^Invalid key "prototype"/);
	});

	it('leaves Object.prototype untouched', () => {
		const input = JSON.parse(
			'{"metadata":{"__proto__":{"polluted":true}},"content":{"__proto__":{"polluted":true}}}',
		) as unknown;
		validateMessage(input);
		validateMessages([input]);
		expect(({} as Fields).polluted).toBeUndefined();
	});

	it('handles cycles in unknown fields', () => {
		const loop: Fields = {};
		loop.self = loop;
		expect(issuesOf(message({ content: { text: 'Hi', loop } }))).toHaveLength(1);
	});
});

describe('validateMessage instance and recipient', () => {
	it('rejects a missing instance name', () => {
		expect(issueAt(message({ instanceName: undefined }), 'instanceName')).toBe(
			'Missing instance name. Set instanceName to the name of the gateway instance.',
		);
	});

	it('rejects a non-string instance name', () => {
		expect(issueAt(message({ instanceName: 7 }), 'instanceName')).toBe(
			'instanceName must be a string, got number 7. Pass it as a string, such as "7".',
		);
	});

	it('rejects padded instance names', () => {
		expect(issueAt(message({ instanceName: ' sales' }), 'instanceName')).toMatch(
			/remove the leading or trailing whitespace/,
		);
	});

	it('gives the phone number reason', () => {
		expect(issueAt(message({ recipientPhone: '+34 600 00O 001' }), 'recipientPhone')).toBe(
			'Invalid phone number "+34 600 00O 001": "O" at position 11 is not a digit. Use digits with the country code, such as 34600000001.',
		);
	});

	it('rejects a missing recipient', () => {
		expect(issueAt(message({ recipientPhone: undefined }), 'recipientPhone')).toMatch(
			/^Missing recipientPhone\. Set it to a phone number with country code/,
		);
	});

	it('rejects a numeric recipient', () => {
		expect(issueAt(message({ recipientPhone: 34600000001 }), 'recipientPhone')).toBe(
			'recipientPhone must be a string, got number 34600000001. Pass it as a string, such as "34600000001".',
		);
	});
});

describe('validateMessage messageType', () => {
	it('lists the message types', () => {
		expect(issueAt(message({ messageType: 'sticker' }), 'messageType')).toBe(
			'Invalid messageType "sticker". Use one of: text, image, video, audio, document, location, contact.',
		);
	});

	it('rejects a missing messageType', () => {
		expect(issueAt(message({ messageType: undefined }), 'messageType')).toBe(
			'Missing messageType. Use one of: text, image, video, audio, document, location, contact.',
		);
	});

	it('rejects a numeric messageType', () => {
		expect(issueAt(message({ messageType: 1 }), 'messageType')).toMatch(
			/^messageType must be a string, got number 1\./,
		);
	});

	it('rejects a missing content', () => {
		expect(issueAt(message({ content: undefined }), 'content')).toBe(
			'Missing content. Set it to an object with the fields of a text message: text.',
		);
	});

	it('rejects content that is an array', () => {
		expect(issueAt(message({ content: ['Hello'] }), 'content')).toBe(
			'content must be an object, got array.',
		);
	});
});

describe('validateMessage text', () => {
	it('rejects an empty text', () => {
		expect(issueAt(message({ content: { text: '' } }), 'content.text')).toBe(
			'content.text is empty. Set it to a non-blank value.',
		);
	});

	it('rejects a blank text', () => {
		expect(issueAt(message({ content: { text: ' \n\t' } }), 'content.text')).toMatch(/is empty/);
	});

	it('rejects a missing text', () => {
		expect(issueAt(message({ content: {} }), 'content.text')).toBe(
			'Missing content.text. Set it to the text to send.',
		);
	});

	it('rejects a non-string text', () => {
		expect(issueAt(message({ content: { text: null } }), 'content.text')).toBe(
			'content.text must be a string, got null. Remove the field to leave it out.',
		);
	});

	it('rejects control characters', () => {
		expect(issueAt(message({ content: { text: 'Hi\u0007!' } }), 'content.text')).toBe(
			'content.text contains control character U+0007 at position 3. Remove it, because only tabs and line breaks are allowed.',
		);
	});

	it('allows tabs and line breaks', () => {
		expect(normalized(message({ content: { text: 'a\tb\r\nc' } })).content).toEqual({
			text: 'a\tb\r\nc',
		});
	});

	it('accepts 4096 emoji', () => {
		expect(validateMessage(message({ content: { text: '😀'.repeat(4096) } })).ok).toBe(true);
	});

	it('rejects long text by default', () => {
		expect(issueAt(message({ content: { text: 'x'.repeat(5000) } }), 'content.text')).toBe(
			'content.text is 5000 characters long, over the limit of 4096. Shorten it, or use the split text policy to send it as several messages.',
		);
	});

	it('splits long text on request', () => {
		const text = `${'word '.repeat(1000)}end`;
		const result = normalized(message({ content: { text } }), { textPolicy: 'split' });

		expect(result.content).toEqual({ text });
		expect(result.textParts).toHaveLength(2);
		expect(result.textParts?.join(' ')).toBe(text);
	});

	it('adds no parts to short text', () => {
		const result = normalized(message(), { textPolicy: 'split' });
		expect(result).not.toHaveProperty('textParts');
	});

	it('rejects an unknown text policy', () => {
		const options = { textPolicy: 'truncate' } as unknown as ValidateMessageOptions;
		expect(issuesOf(message(), options)).toEqual([
			{ path: 'textPolicy', message: 'Invalid textPolicy "truncate". Use reject or split.' },
		]);
	});

	it('says caption is not used', () => {
		expect(issueAt(message({ content: { text: 'Hi', caption: 'x' } }), 'content.caption')).toBe(
			'content.caption is not used in a text message. Remove it, or use only: text.',
		);
	});
});

describe('validateMessage media', () => {
	it('accepts an image URL', () => {
		const input = media('image', { url: 'https://example.com/a.jpg', caption: 'Look' });
		expect(normalized(input).content).toEqual({
			url: 'https://example.com/a.jpg',
			caption: 'Look',
		});
	});

	it('accepts base64 with a MIME type', () => {
		const input = media('image', { base64: PNG_BASE64, mimeType: 'image/png' });
		expect(normalized(input).content).toEqual({ base64: PNG_BASE64, mimeType: 'image/png' });
	});

	it('removes base64 line breaks', () => {
		const wrapped = PNG_BASE64.replace(/(.{20})/g, '$1\r\n');
		const input = media('image', { base64: wrapped, mimeType: 'image/png' });
		expect((normalized(input).content as { base64: string }).base64).toBe(PNG_BASE64);
	});

	it('names a typo in content', () => {
		const input = media('image', { url: 'https://example.com/a.jpg', captoin: 'Look' });
		expect(issueAt(input, 'content.captoin')).toBe(
			'Unknown field content.captoin in an image message. Use only: url, base64, mimeType, caption. Did you mean "caption"?',
		);
	});

	it('rejects a caption on audio', () => {
		const input = media('audio', { url: 'https://example.com/a.ogg', caption: 'x' });
		expect(issueAt(input, 'content.caption')).toBe(
			'content.caption is not used in an audio message. Remove it, or use only: url, base64, mimeType.',
		);
	});

	it('rejects a file name on video', () => {
		const input = media('video', { url: 'https://example.com/a.mp4', fileName: 'a.mp4' });
		expect(issueAt(input, 'content.fileName')).toMatch(/is not used in a video message/);
	});

	it('rejects both url and base64', () => {
		const input = media('image', {
			url: 'https://example.com/a.png',
			base64: PNG_BASE64,
			mimeType: 'image/png',
		});
		expect(issueAt(input, 'content')).toBe(
			'content has both url and base64. Set only one of them.',
		);
	});

	it('rejects neither url nor base64', () => {
		expect(issueAt(media('document', { caption: 'x' }), 'content')).toBe(
			'Missing media. Set content.url to an http or https URL, or content.base64 with content.mimeType.',
		);
	});

	it.each([
		['/images/a.png', 'it is not an absolute http or https URL with a host'],
		['example.com/a.png', 'it is not an absolute http or https URL with a host'],
		['http:example.com', 'it is not an absolute http or https URL with a host'],
		['https:///a.png', 'it is not an absolute http or https URL with a host'],
		['https://', 'it is not an absolute http or https URL with a host'],
		['ftp://example.com/a.png', 'the scheme is "ftp", but only http and https are supported.'],
		['file:///etc/passwd', 'the scheme is "file"'],
		['data:image/png;base64,AAAA', 'Put the data in content.base64'],
		['https://example.com/a b.png', 'it contains " " at position 22'],
		[' https://example.com/a.png', 'it contains " " at position 1'],
		['https://example.com/\na.png', 'it contains "\\n" at position 21'],
	])('rejects URL %j', (url, reason) => {
		expect(issueAt(media('image', { url }), 'content.url')).toContain(reason);
	});

	it('accepts a 2048-character URL', () => {
		const url = `https://example.com/${'a'.repeat(2048 - 20)}`;
		expect(validateMessage(media('image', { url })).ok).toBe(true);
	});

	it('rejects a 2049-character URL', () => {
		const url = `https://example.com/${'a'.repeat(2049 - 20)}`;
		expect(issueAt(media('image', { url }), 'content.url')).toContain(
			'it is 2049 characters long, over the limit of 2048. Use a shorter URL.',
		);
	});

	it('rejects a data URI prefix', () => {
		const base64 = `data:image/png;base64,${PNG_BASE64}`;
		expect(issueAt(media('image', { base64 }), 'content.base64')).toBe(
			'content.base64 starts with the data URI prefix "data:image/png;base64,". Remove the prefix up to and including the comma, and set content.mimeType to "image/png".',
		);
	});

	it('hints at base64url', () => {
		const input = media('image', { base64: 'ab-_', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toBe(
			'content.base64 contains "-" at position 3, so it looks like base64url. Convert it to standard base64 by replacing "-" with "+" and "_" with "/".',
		);
	});

	it('rejects spaces in base64', () => {
		const input = media('image', { base64: 'AAAA AAAA', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toMatch(
			/contains " " at position 5, which is not in the base64 alphabet/,
		);
	});

	it('rejects padding before the end', () => {
		const input = media('image', { base64: 'AA==AAAA', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toMatch(/has "=" before its end/);
	});

	it('rejects three padding characters', () => {
		const input = media('image', { base64: 'A===', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toMatch(/has "=" before its end/);
	});

	it('rejects unpadded base64', () => {
		const input = media('image', { base64: 'AAAAA', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toBe(
			'content.base64 has 5 characters without line breaks, which is not a multiple of 4. Check that the value is complete and padded with "=".',
		);
	});

	it('rejects empty base64', () => {
		const input = media('image', { base64: '\n', mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toBe(
			'content.base64 is empty. Set it to the base64-encoded media.',
		);
	});

	it('accepts exactly 5 MiB', () => {
		// 5 MiB is not a multiple of 3 bytes, so the last group carries one "=".
		const base64 = `${'A'.repeat(Math.floor(MAX_BASE64_BYTES / 3) * 4)}AAA=`;
		const input = media('image', { base64, mimeType: 'image/png' });
		expect(validateMessage(input).ok).toBe(true);
	});

	it('rejects one byte over 5 MiB', () => {
		const base64 = `${'A'.repeat(Math.floor(MAX_BASE64_BYTES / 3) * 4)}AAAA`;
		const input = media('image', { base64, mimeType: 'image/png' });
		expect(issueAt(input, 'content.base64')).toBe(
			'content.base64 decodes to 5242881 bytes (5.0 MiB), over the limit of 5 MiB (5242880 bytes). Send media this large by URL in content.url.',
		);
	});

	it('requires a MIME type with base64', () => {
		expect(issueAt(media('video', { base64: 'AAAA' }), 'content.mimeType')).toBe(
			'Missing content.mimeType, which base64 media needs. Set it to the media type, such as video/mp4.',
		);
	});

	it('allows no MIME type with a URL', () => {
		expect(validateMessage(media('audio', { url: 'https://example.com/a.ogg' })).ok).toBe(true);
	});

	it.each([['image'], ['image/'], ['/png'], ['image/png/x'], ['image png'], [' image/png']])(
		'rejects MIME type %j',
		(mimeType) => {
			const input = media('image', { base64: 'AAAA', mimeType });
			expect(issueAt(input, 'content.mimeType')).toMatch(
				/^Invalid content\.mimeType .*\. Use a type and subtype, such as image\/jpeg\.$/,
			);
		},
	);

	it('rejects a video type for an image', () => {
		const input = media('image', { base64: 'AAAA', mimeType: 'video/mp4' });
		expect(issueAt(input, 'content.mimeType')).toBe(
			'Invalid content.mimeType "video/mp4" for image media. Use a type starting with image/, such as image/jpeg.',
		);
	});

	it('rejects an image type for a video', () => {
		const input = media('video', { url: 'https://example.com/v', mimeType: 'image/gif' });
		expect(issueAt(input, 'content.mimeType')).toMatch(
			/for video media\. Use a type starting with video\//,
		);
	});

	it('rejects a non-audio type for audio', () => {
		const input = media('audio', { base64: 'AAAA', mimeType: 'application/ogg' });
		expect(issueAt(input, 'content.mimeType')).toMatch(/for audio media/);
	});

	it('accepts MIME parameters', () => {
		const input = media('audio', { base64: 'AAAA', mimeType: 'audio/ogg; codecs=opus' });
		expect(validateMessage(input).ok).toBe(true);
	});

	it('matches the top-level type ignoring case', () => {
		const input = media('image', { base64: 'AAAA', mimeType: 'IMAGE/PNG' });
		expect(validateMessage(input).ok).toBe(true);
	});

	it('accepts any type for documents', () => {
		const content = { base64: 'AAAA', mimeType: 'application/pdf', fileName: 'invoice.pdf' };
		expect(normalized(media('document', content)).content).toEqual(content);
	});

	it('accepts a 1024-character caption', () => {
		const input = media('image', { url: 'https://example.com/a', caption: 'c'.repeat(1024) });
		expect(validateMessage(input).ok).toBe(true);
	});

	it('rejects a 1025-character caption', () => {
		const input = media('image', { url: 'https://example.com/a', caption: 'c'.repeat(1025) });
		expect(issueAt(input, 'content.caption', { textPolicy: 'split' })).toBe(
			'content.caption is 1025 characters long, over the limit of 1024. Shorten it, because captions are never truncated or split.',
		);
	});

	it('rejects control characters in captions', () => {
		const input = media('image', { url: 'https://example.com/a', caption: 'a\u001bb' });
		expect(issueAt(input, 'content.caption')).toMatch(/control character U\+001B at position 2/);
	});

	it.each([
		['reports/invoice.pdf', 'it contains "/"'],
		['C:\\invoice.pdf', 'it contains "\\"'],
		['..', 'it is a folder reference'],
	])('rejects file name %j', (fileName, reason) => {
		const input = media('document', { url: 'https://example.com/a', fileName });
		expect(issueAt(input, 'content.fileName')).toContain(reason);
	});

	it('rejects an empty file name', () => {
		const input = media('document', { url: 'https://example.com/a', fileName: '' });
		expect(issueAt(input, 'content.fileName')).toMatch(/is empty/);
	});

	it('rejects a 256-character file name', () => {
		const input = media('document', { url: 'https://example.com/a', fileName: 'f'.repeat(256) });
		expect(issueAt(input, 'content.fileName')).toMatch(
			/is 256 characters long, over the limit of 255/,
		);
	});

	it('rejects control characters in file names', () => {
		const input = media('document', { url: 'https://example.com/a', fileName: 'a\u0000.pdf' });
		expect(issueAt(input, 'content.fileName')).toMatch(/control character U\+0000/);
	});
});

describe('validateMessage location', () => {
	const location = (content: Fields): Fields => message({ messageType: 'location', content });

	it('accepts a location', () => {
		const content = {
			latitude: -23.55,
			longitude: -46.63,
			name: 'Office',
			address: 'Av. Paulista',
		};
		expect(normalized(location(content)).content).toEqual(content);
	});

	it('accepts the range limits', () => {
		expect(validateMessage(location({ latitude: -90, longitude: 180 })).ok).toBe(true);
	});

	it('rejects a numeric string', () => {
		expect(issueAt(location({ latitude: '40.1', longitude: 3 }), 'content.latitude')).toBe(
			'content.latitude must be a number, got string "40.1". Pass 40.1 as a number, not a string.',
		);
	});

	it('rejects a non-numeric string', () => {
		expect(issueAt(location({ latitude: 1, longitude: 'west' }), 'content.longitude')).toBe(
			'content.longitude must be a number, got string "west".',
		);
	});

	it('rejects an out-of-range latitude', () => {
		expect(issueAt(location({ latitude: 90.5, longitude: 0 }), 'content.latitude')).toBe(
			'content.latitude is 90.5, outside the range -90 to 90.',
		);
	});

	it('rejects an out-of-range longitude', () => {
		expect(issueAt(location({ latitude: 0, longitude: -180.1 }), 'content.longitude')).toBe(
			'content.longitude is -180.1, outside the range -180 to 180.',
		);
	});

	it('rejects NaN coordinates', () => {
		expect(issueAt(location({ latitude: Number.NaN, longitude: 0 }), 'content.latitude')).toBe(
			'content.latitude must be a finite number, got NaN. Use degrees from -90 to 90.',
		);
	});

	it('rejects a missing longitude', () => {
		expect(issueAt(location({ latitude: 0 }), 'content.longitude')).toBe(
			'Missing content.longitude. Set it to a number of degrees from -180 to 180.',
		);
	});

	it('rejects a long name', () => {
		const input = location({ latitude: 0, longitude: 0, name: 'n'.repeat(1025) });
		expect(issueAt(input, 'content.name')).toMatch(/over the limit of 1024/);
	});

	it('rejects control characters in addresses', () => {
		const input = location({ latitude: 0, longitude: 0, address: 'a\u0085' });
		expect(issueAt(input, 'content.address')).toMatch(/control character U\+0085/);
	});
});

describe('validateMessage contact', () => {
	const contact = (contacts: unknown): Fields =>
		message({ messageType: 'contact', content: { contacts } });

	it('normalises card phone numbers', () => {
		const card = { fullName: 'Ana', phoneNumber: '+34 600-000-002', email: 'ana@example.com' };
		expect(normalized(contact([card])).content).toEqual({
			contacts: [{ fullName: 'Ana', phoneNumber: '34600000002', email: 'ana@example.com' }],
		});
	});

	it('names the card of a bad number', () => {
		const cards = [
			{ fullName: 'Ana', phoneNumber: '34600000002' },
			{ fullName: 'Bruno', phoneNumber: '+34 600 00O 003' },
		];
		expect(issueAt(contact(cards), 'content.contacts[1].phoneNumber')).toMatch(
			/^Invalid phone number "\+34 600 00O 003": "O" at position 11 is not a digit\./,
		);
	});

	it('rejects a JID on a card', () => {
		const cards = [{ fullName: 'Ana', phoneNumber: '34600000002@s.whatsapp.net' }];
		expect(issueAt(contact(cards), 'content.contacts[0].phoneNumber')).toMatch(
			/a WhatsApp JID is not accepted here/,
		);
	});

	it('rejects an empty card list', () => {
		expect(issueAt(contact([]), 'content.contacts')).toBe(
			'content.contacts is empty. Add 1 to 10 contact cards.',
		);
	});

	it('rejects eleven cards', () => {
		const cards = Array.from({ length: 11 }, () => ({ fullName: 'A', phoneNumber: '34600000002' }));
		expect(issueAt(contact(cards), 'content.contacts')).toBe(
			'content.contacts has 11 cards, over the limit of 10. Send the others in another contact message.',
		);
	});

	it('accepts ten cards', () => {
		const cards = Array.from({ length: 10 }, () => ({ fullName: 'A', phoneNumber: '34600000002' }));
		expect(validateMessage(contact(cards)).ok).toBe(true);
	});

	it('rejects a card list that is an object', () => {
		expect(issueAt(contact({ fullName: 'A' }), 'content.contacts')).toBe(
			'content.contacts must be an array, got object.',
		);
	});

	it('rejects a card that is a string', () => {
		expect(issueAt(contact(['Ana']), 'content.contacts[0]')).toBe(
			'content.contacts[0] must be an object, got string "Ana".',
		);
	});

	it('rejects a missing full name', () => {
		expect(issueAt(contact([{ phoneNumber: '34600000002' }]), 'content.contacts[0].fullName')).toBe(
			'Missing content.contacts[0].fullName. Set it to the name shown on the card.',
		);
	});

	it('rejects a blank full name', () => {
		const cards = [{ fullName: '  ', phoneNumber: '34600000002' }];
		expect(issueAt(contact(cards), 'content.contacts[0].fullName')).toMatch(/is empty/);
	});

	it('rejects a missing phone number', () => {
		expect(issueAt(contact([{ fullName: 'Ana' }]), 'content.contacts[0].phoneNumber')).toBe(
			'Missing content.contacts[0].phoneNumber. Set it to digits with the country code, such as 34600000001.',
		);
	});

	it.each([['ana'], ['ana@'], ['ana@example'], ['a na@example.com'], ['ana@@example.com']])(
		'rejects email %j',
		(email) => {
			const cards = [{ fullName: 'Ana', phoneNumber: '34600000002', email }];
			expect(issueAt(contact(cards), 'content.contacts[0].email')).toMatch(
				/^Invalid content\.contacts\[0\]\.email ".*"\. Use an address such as name@example\.com\.$/,
			);
		},
	);

	it('rejects a long organization', () => {
		const cards = [{ fullName: 'Ana', phoneNumber: '34600000002', organization: 'o'.repeat(257) }];
		expect(issueAt(contact(cards), 'content.contacts[0].organization')).toMatch(
			/over the limit of 256/,
		);
	});

	it('rejects an unknown card field', () => {
		const cards = [{ fullName: 'Ana', phoneNumber: '34600000002', phone: '1' }];
		expect(issueAt(contact(cards), 'content.contacts[0].phone')).toBe(
			'Unknown field content.contacts[0].phone in a contact card. Use only: fullName, phoneNumber, organization, email.',
		);
	});

	it('reports every bad card', () => {
		const cards = [{ fullName: '' }, { fullName: 'B', phoneNumber: '1' }];
		expect(issuesOf(contact(cards)).map((issue) => issue.path)).toEqual([
			'content.contacts[0].fullName',
			'content.contacts[0].phoneNumber',
			'content.contacts[1].phoneNumber',
		]);
	});
});

describe('validateMessage metadata', () => {
	const withMetadata = (metadata: unknown): Fields => message({ metadata });

	it.each([
		[1, 'critical'],
		[2, 'high'],
		[3, 'normal'],
		[4, 'low'],
		['critical', 'critical'],
		['low', 'low'],
	])('resolves priority %p', (priority, expected) => {
		expect(normalized(withMetadata({ priority })).metadata.priority).toBe(expected);
	});

	it('defaults the priority to normal', () => {
		expect(normalized(withMetadata({ campaignId: 'spring' })).metadata).toEqual({
			priority: 'normal',
			campaignId: 'spring',
		});
	});

	it('rejects an unknown priority name', () => {
		expect(issueAt(withMetadata({ priority: 'urgent' }), 'metadata.priority')).toBe(
			'Invalid metadata.priority "urgent". Use one of: critical, high, normal, low, or a number from 1 (critical) to 4 (low).',
		);
	});

	it('rejects priority 5', () => {
		expect(issueAt(withMetadata({ priority: 5 }), 'metadata.priority')).toMatch(
			/^Invalid metadata\.priority 5\. Use one of:/,
		);
	});

	it('rejects a quoted priority number', () => {
		expect(issueAt(withMetadata({ priority: '2' }), 'metadata.priority')).toBe(
			'Invalid metadata.priority "2": a priority number must not be quoted. Use 2 or one of: critical, high, normal, low.',
		);
	});

	it('rejects a boolean priority', () => {
		expect(issueAt(withMetadata({ priority: true }), 'metadata.priority')).toMatch(
			/^metadata\.priority must be a priority name or number, got boolean true\./,
		);
	});

	it('rejects an empty campaign id', () => {
		expect(issueAt(withMetadata({ campaignId: '' }), 'metadata.campaignId')).toMatch(/is empty/);
	});

	it('rejects a numeric contact id', () => {
		expect(issueAt(withMetadata({ contactId: 42 }), 'metadata.contactId')).toBe(
			'metadata.contactId must be a string, got number 42. Pass it as a string, such as "42".',
		);
	});

	it('rejects a long idempotency key', () => {
		const key = 'k'.repeat(257);
		expect(issueAt(withMetadata({ idempotencyKey: key }), 'metadata.idempotencyKey')).toMatch(
			/is 257 characters long, over the limit of 256/,
		);
	});

	it('rejects control characters in ids', () => {
		const input = withMetadata({ idempotencyKey: 'a\nb' });
		expect(issuesOf(input)).toEqual([]);
		expect(issueAt(withMetadata({ contactId: 'a\u0000' }), 'metadata.contactId')).toMatch(
			/control character U\+0000/,
		);
	});

	it('keeps other fields as given', () => {
		const extra = { source: 'crm', tags: ['a', 1, true, null], nested: { deep: { n: -0.5 } } };
		expect(normalized(withMetadata(extra)).metadata).toEqual({ priority: 'normal', ...extra });
	});

	it('drops undefined fields', () => {
		const result = normalized(withMetadata({ a: undefined, b: { c: undefined, d: 1 } }));
		expect(result.metadata).toEqual({ priority: 'normal', b: { d: 1 } });
	});

	it('copies shared references', () => {
		const shared = { x: 1 };
		expect(normalized(withMetadata({ a: shared, b: shared })).metadata).toEqual({
			priority: 'normal',
			a: { x: 1 },
			b: { x: 1 },
		});
	});

	it.each([
		[{ f: () => 1 }, 'metadata.f', 'metadata.f is a function, which JSON cannot store. Remove it.'],
		[
			{ s: Symbol('s') },
			'metadata.s',
			'metadata.s is a symbol, which JSON cannot store. Remove it.',
		],
		[
			{ big: 10n },
			'metadata.big',
			'metadata.big is the bigint 10n, which JSON cannot store. Use a string or a number.',
		],
		[
			{ n: Number.NaN },
			'metadata.n',
			'metadata.n is NaN, which JSON cannot store. Use a finite number or null.',
		],
		[
			{ list: [1, Number.POSITIVE_INFINITY] },
			'metadata.list[1]',
			'metadata.list[1] is Infinity, which JSON cannot store. Use a finite number or null.',
		],
		[
			{ list: [1, undefined] },
			'metadata.list[1]',
			'metadata.list[1] is undefined, which JSON turns into null. Use null, or remove the element.',
		],
		[
			{ at: new Date(0) },
			'metadata.at',
			'metadata.at is a Date. Pass it as an ISO 8601 string, such as date.toISOString().',
		],
		[
			{ map: new Map() },
			'metadata.map',
			'metadata.map is a Map, which is not JSON data. Use a plain object, an array, a string, a number, a boolean or null.',
		],
	])('rejects %p', (metadata, path, expected) => {
		expect(issueAt(withMetadata(metadata), path)).toBe(expected);
	});

	it('rejects a hole in an array', () => {
		// eslint-disable-next-line no-sparse-arrays -- the hole is the case under test
		expect(issueAt(withMetadata({ list: [1, , 3] }), 'metadata.list[1]')).toMatch(/is undefined/);
	});

	it('rejects a cycle', () => {
		const node: Fields = { name: 'a' };
		node.child = { parent: node };
		expect(issueAt(withMetadata({ node }), 'metadata.node.child.parent')).toBe(
			'metadata.node.child.parent refers back to an object that contains it. Remove the cycle.',
		);
	});

	it('rejects deep nesting', () => {
		let deep: unknown = 'leaf';
		for (let level = 0; level < 40; level++) {
			deep = { deep };
		}
		const issues = issuesOf(withMetadata({ deep }));
		expect(issues).toHaveLength(1);
		expect(issues[0].message).toMatch(
			/is nested more than 32 levels deep\. Flatten the metadata\.$/,
		);
	});

	it('survives very deep input', () => {
		let deep: unknown = 'leaf';
		for (let level = 0; level < 100_000; level++) {
			deep = [deep];
		}
		expect(issuesOf(withMetadata({ deep }))).toHaveLength(1);
	});

	it('accepts metadata up to 16 KiB', () => {
		const overhead = JSON.stringify({ priority: 'normal', note: '' }).length;
		const metadata = { note: 'n'.repeat(16 * 1024 - overhead) };
		expect(validateMessage(withMetadata(metadata)).ok).toBe(true);
	});

	it('rejects metadata over 16 KiB', () => {
		const overhead = JSON.stringify({ priority: 'normal', note: '' }).length;
		const metadata = { note: 'n'.repeat(16 * 1024 - overhead + 1) };
		expect(issueAt(withMetadata(metadata), 'metadata')).toBe(
			'metadata is 16385 bytes as JSON, over the limit of 16384 (16 KiB). Keep large data outside the queue and store only its id here.',
		);
	});

	it('counts UTF-8 bytes', () => {
		const metadata = { note: 'é'.repeat(9000) };
		expect(issueAt(withMetadata(metadata), 'metadata')).toMatch(/^metadata is 18\d{3} bytes/);
	});

	it.each([
		[null, 'metadata must be an object, got null. Remove the field to leave it out.'],
		[[], 'metadata must be an object, got array.'],
		['x', 'metadata must be an object, got string "x".'],
	])('rejects metadata %p', (metadata, expected) => {
		expect(issueAt(withMetadata(metadata), 'metadata')).toBe(expected);
	});
});

describe('validateMessage properties', () => {
	it('never throws for any input', () => {
		const field = fc.oneof(fc.anything(), fc.string());
		const almostValid = fc
			.record({
				instanceName: field,
				recipientPhone: field,
				messageType: fc.oneof(fc.constantFrom('text', 'image', 'location', 'contact'), field),
				content: fc.oneof(fc.object(), field),
				metadata: fc.oneof(fc.object(), field),
			})
			.map((record) => record as Fields);
		fc.assert(
			fc.property(fc.oneof(fc.anything(), almostValid), (input) => {
				const result = validateMessage(input, { textPolicy: 'split' });
				expect(typeof result.ok).toBe('boolean');
			}),
		);
	});

	it('returns JSON-safe messages', () => {
		const metadata = fc.dictionary(
			fc.string().filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key)),
			fc.jsonValue(),
		);
		fc.assert(
			fc.property(metadata, (extra) => {
				const result = validateMessage(message({ metadata: extra }));
				if (result.ok) {
					const json = JSON.parse(JSON.stringify(result.message)) as unknown;
					expect(json).toEqual(result.message);
				}
			}),
		);
	});
});

describe('validateMessages', () => {
	it('accepts an empty array', () => {
		expect(validateMessages([])).toEqual({ ok: true, messages: [] });
	});

	it('returns every message in order', () => {
		const inputs = [message(), message({ recipientPhone: '34600000009' })];
		expect(messagesOf(inputs).map((item) => item.recipientPhone)).toEqual([
			'34600000001',
			'34600000009',
		]);
	});

	it('rejects a non-array', () => {
		expect(validateMessages(message())).toEqual({
			ok: false,
			issues: [
				{ path: '', message: 'Invalid messages: expected an array of messages, got object.' },
			],
		});
	});

	it('prefixes paths with the index', () => {
		const inputs = [
			message(),
			message({ recipientPhone: '+' }),
			message({ content: { text: '' } }),
		];
		const result = validateMessages(inputs);
		expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual([
			'[1].recipientPhone',
			'[2].content.text',
		]);
	});

	it('returns no messages when one fails', () => {
		const result = validateMessages([message(), 'oops']);
		expect(result).toEqual({
			ok: false,
			issues: [{ path: '[1]', message: 'Invalid message: expected an object, got string "oops".' }],
		});
	});

	it('reports holes in sparse arrays', () => {
		const inputs: unknown[] = [message()];
		inputs[2] = message();
		const result = validateMessages(inputs);
		expect(result.ok ? [] : result.issues).toEqual([
			{ path: '[1]', message: 'Invalid message: expected an object, got undefined.' },
		]);
	});

	it('applies the text policy', () => {
		const inputs = [message({ content: { text: 'x'.repeat(5000) } })];
		expect(messagesOf(inputs, { textPolicy: 'split' })[0].textParts).toHaveLength(2);
	});
});

describe('assertValidMessage', () => {
	it('returns the normalised message', () => {
		expect(assertValidMessage(message()).recipientPhone).toBe('34600000001');
	});

	it('throws every issue', () => {
		const error = thrownBy(() => assertValidMessage(message({ instanceName: '', content: {} })));

		expect(error).toBeInstanceOf(ValidationError);
		expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
			'instanceName',
			'content.text',
		]);
		expect((error as ValidationError).message).toMatch(/^2 invalid fields:\n- instanceName: /);
	});
});

describe('assertValidMessages', () => {
	it('returns the normalised messages', () => {
		expect(assertValidMessages([message()])).toHaveLength(1);
	});

	it('throws with indexed paths', () => {
		const error = thrownBy(() => assertValidMessages([message(), message({ messageType: 'x' })]));

		expect(error).toBeInstanceOf(ValidationError);
		expect((error as ValidationError).message).toBe(
			'[1].messageType: Invalid messageType "x". Use one of: text, image, video, audio, document, location, contact.',
		);
	});
});
