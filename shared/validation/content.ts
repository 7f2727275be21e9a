/**
 * Validation of `content` for each message type. Media content is checked
 * in `media.ts`, and text, location and contact content here.
 */

import type { ValidationIssue } from '../errors';
import type {
	ContactCard,
	ContactContent,
	LocationContent,
	MessageContent,
	MessageType,
	TextContent,
} from '../message';
import {
	checkUnknownFields,
	describeTypeMismatch,
	readTextField,
	type TextFieldRules,
} from './fields';
import { MEDIA_FIELDS, validateMediaContent } from './media';
import { normalizePhoneNumber } from './phone';
import { countCharacters, MAX_TEXT_CHARACTERS, splitText } from './text';
import { describeValue, getOwn, isPlainObject, quoteValue } from './values';

/** Handling of a text over `MAX_TEXT_CHARACTERS`: rejection, or splitting into parts. */
export type TextLengthPolicy = 'reject' | 'split';

/** Maximum number of contact cards in one `contact` message. */
export const MAX_CONTACT_CARDS = 10;

/** Maximum length of a location's `name` and `address` in code points. */
export const MAX_LOCATION_TEXT_CHARACTERS = 1024;

/** Maximum length of a contact card's `fullName` and `organization` in code points. */
export const MAX_CONTACT_NAME_CHARACTERS = 256;

/** Maximum length of a contact card's `email` in code points. */
export const MAX_EMAIL_CHARACTERS = 254;

const CONTENT_FIELDS: Record<MessageType, readonly string[]> = {
	text: ['text'],
	...MEDIA_FIELDS,
	location: ['latitude', 'longitude', 'name', 'address'],
	contact: ['contacts'],
};

const ALL_CONTENT_FIELDS = [...new Set(Object.values(CONTENT_FIELDS).flat())];

const CONTACT_CARD_FIELDS = ['fullName', 'phoneNumber', 'organization', 'email'];

/** A shape check only: something, `@`, a domain with a dot, and no whitespace. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Checked content, and the text parts when a long text was split. */
export interface ContentResult {
	content: MessageContent;
	textParts?: string[];
}

/**
 * Validates the `content` of a message of type `messageType` and returns a
 * new content object, or adds issues and returns undefined. Fields that the
 * type does not use are rejected, so a typo such as `captoin` is reported
 * instead of dropped.
 */
export function validateContent(
	messageType: MessageType,
	input: unknown,
	textPolicy: TextLengthPolicy,
	issues: ValidationIssue[],
): ContentResult | undefined {
	if (input === undefined) {
		const fields = CONTENT_FIELDS[messageType].join(', ');
		issues.push({
			path: 'content',
			message: `Missing content. Set it to an object with the fields of ${describeType(messageType)}: ${fields}.`,
		});
		return undefined;
	}
	if (!isPlainObject(input)) {
		issues.push({ path: 'content', message: describeTypeMismatch('content', 'an object', input) });
		return undefined;
	}

	const count = issues.length;
	const context = describeType(messageType);
	const allowed = CONTENT_FIELDS[messageType];
	checkUnknownFields(input, allowed, 'content', context, issues, ALL_CONTENT_FIELDS);

	let result: ContentResult | undefined;
	switch (messageType) {
		case 'text':
			result = validateText(input, textPolicy, issues);
			break;
		case 'location':
			result = { content: validateLocation(input, issues) };
			break;
		case 'contact':
			result = { content: validateContacts(input, issues) };
			break;
		default:
			result = { content: validateMediaContent(messageType, input, issues) };
	}
	return issues.length === count ? result : undefined;
}

function describeType(messageType: MessageType): string {
	const article = /^[aeiou]/.test(messageType) ? 'an' : 'a';
	return `${article} ${messageType} message`;
}

function validateText(
	record: Record<string, unknown>,
	textPolicy: TextLengthPolicy,
	issues: ValidationIssue[],
): ContentResult | undefined {
	const path = 'content.text';
	// The length limit depends on the policy, so it is checked below.
	const rules = { maxCharacters: Number.POSITIVE_INFINITY, isBlankRejected: true };
	const text = readRequiredText(record, 'text', path, rules, 'the text to send', issues);
	if (text === undefined) {
		return undefined;
	}

	const content: TextContent = { text };
	const count = countCharacters(text);
	if (count <= MAX_TEXT_CHARACTERS) {
		return { content };
	}
	if (textPolicy === 'split') {
		// NOTE: nothing limits the number of parts, so a very long text becomes
		// many messages to one recipient.
		return { content, textParts: splitText(text, MAX_TEXT_CHARACTERS) };
	}
	issues.push({
		path,
		message: `content.text is ${count} characters long, over the limit of ${MAX_TEXT_CHARACTERS}. Shorten it, or use the split text policy to send it as several messages.`,
	});
	return undefined;
}

/**
 * Reads a string field that must be present. The issue for a missing field
 * names the expected value with `description`, such as `the text to send`.
 */
function readRequiredText(
	record: Record<string, unknown>,
	field: string,
	path: string,
	rules: TextFieldRules,
	description: string,
	issues: ValidationIssue[],
): string | undefined {
	const value = getOwn(record, field);
	if (value === undefined) {
		issues.push({ path, message: `Missing ${path}. Set it to ${description}.` });
		return undefined;
	}
	return readTextField(value, path, rules, issues);
}

function validateLocation(
	record: Record<string, unknown>,
	issues: ValidationIssue[],
): LocationContent {
	const content: LocationContent = {
		latitude: readCoordinate(record, 'latitude', 90, issues) ?? 0,
		longitude: readCoordinate(record, 'longitude', 180, issues) ?? 0,
	};
	const rules = { maxCharacters: MAX_LOCATION_TEXT_CHARACTERS };
	for (const field of ['name', 'address'] as const) {
		const value = getOwn(record, field);
		if (value !== undefined) {
			const text = readTextField(value, `content.${field}`, rules, issues);
			if (text !== undefined) {
				content[field] = text;
			}
		}
	}
	return content;
}

/** Reads a coordinate in degrees that must lie within `-limit` to `limit`. */
function readCoordinate(
	record: Record<string, unknown>,
	field: 'latitude' | 'longitude',
	limit: number,
	issues: ValidationIssue[],
): number | undefined {
	const path = `content.${field}`;
	const value = getOwn(record, field);
	const range = `-${limit} to ${limit}`;
	if (value === undefined) {
		issues.push({
			path,
			message: `Missing ${path}. Set it to a number of degrees from ${range}.`,
		});
		return undefined;
	}
	if (typeof value !== 'number') {
		issues.push({ path, message: describeTypeMismatch(path, 'a number', value) });
		return undefined;
	}
	if (!Number.isFinite(value)) {
		issues.push({
			path,
			message: `${path} must be a finite number, got ${describeValue(value)}. Use degrees from ${range}.`,
		});
		return undefined;
	}
	if (value < -limit || value > limit) {
		issues.push({ path, message: `${path} is ${value}, outside the range ${range}.` });
		return undefined;
	}
	return value;
}

function validateContacts(
	record: Record<string, unknown>,
	issues: ValidationIssue[],
): ContactContent {
	const path = 'content.contacts';
	const value = getOwn(record, 'contacts');
	const range = `1 to ${MAX_CONTACT_CARDS}`;
	if (value === undefined) {
		issues.push({
			path,
			message: `Missing ${path}. Set it to an array of ${range} contact cards.`,
		});
		return { contacts: [] };
	}
	if (!Array.isArray(value)) {
		issues.push({ path, message: describeTypeMismatch(path, 'an array', value) });
		return { contacts: [] };
	}
	if (value.length === 0) {
		issues.push({ path, message: `${path} is empty. Add ${range} contact cards.` });
		return { contacts: [] };
	}
	if (value.length > MAX_CONTACT_CARDS) {
		issues.push({
			path,
			message: `${path} has ${value.length} cards, over the limit of ${MAX_CONTACT_CARDS}. Send the others in another contact message.`,
		});
		return { contacts: [] };
	}

	const contacts: ContactCard[] = [];
	for (let index = 0; index < value.length; index++) {
		const card = readContactCard(value[index], `${path}[${index}]`, issues);
		if (card) {
			contacts.push(card);
		}
	}
	return { contacts };
}

function readContactCard(
	value: unknown,
	path: string,
	issues: ValidationIssue[],
): ContactCard | undefined {
	if (!isPlainObject(value)) {
		issues.push({ path, message: describeTypeMismatch(path, 'an object', value) });
		return undefined;
	}
	const count = issues.length;
	checkUnknownFields(value, CONTACT_CARD_FIELDS, path, 'a contact card', issues);

	const nameRules = { maxCharacters: MAX_CONTACT_NAME_CHARACTERS, isBlankRejected: true };
	const fullName = readRequiredText(
		value,
		'fullName',
		`${path}.fullName`,
		nameRules,
		'the name shown on the card',
		issues,
	);
	const phoneNumber = readCardPhoneNumber(value, `${path}.phoneNumber`, issues);
	const card: ContactCard = { fullName: fullName ?? '', phoneNumber: phoneNumber ?? '' };

	const organization = getOwn(value, 'organization');
	if (organization !== undefined) {
		const rules = { maxCharacters: MAX_CONTACT_NAME_CHARACTERS };
		card.organization = readTextField(organization, `${path}.organization`, rules, issues);
	}
	const email = getOwn(value, 'email');
	if (email !== undefined) {
		card.email = readEmail(email, `${path}.email`, issues);
	}
	return issues.length === count ? card : undefined;
}

function readCardPhoneNumber(
	record: Record<string, unknown>,
	path: string,
	issues: ValidationIssue[],
): string | undefined {
	const value = getOwn(record, 'phoneNumber');
	if (value === undefined) {
		issues.push({
			path,
			message: `Missing ${path}. Set it to digits with the country code, such as 34600000001.`,
		});
		return undefined;
	}
	if (typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}
	const result = normalizePhoneNumber(value);
	if (!result.ok) {
		issues.push({ path, message: result.reason });
		return undefined;
	}
	return result.value;
}

function readEmail(value: unknown, path: string, issues: ValidationIssue[]): string | undefined {
	const rules = { maxCharacters: MAX_EMAIL_CHARACTERS, isBlankRejected: true };
	const email = readTextField(value, path, rules, issues);
	if (email === undefined) {
		return undefined;
	}
	if (!EMAIL_SHAPE.test(email)) {
		issues.push({
			path,
			message: `Invalid ${path} ${quoteValue(email)}. Use an address such as name@example.com.`,
		});
		return undefined;
	}
	return email;
}
