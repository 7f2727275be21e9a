/**
 * Validation and normalisation of messages before they are enqueued. The
 * functions are pure. They read the input, never change it, and return new
 * objects.
 */

import { ValidationError, type ValidationIssue } from '../errors';
import { MESSAGE_TYPES, type MessageType, type NormalizedMessage } from '../message';
import { checkInstanceName } from '../redis/keys';
import { type TextLengthPolicy, validateContent } from './content';
import { checkUnknownFields, describeTypeMismatch, findForbiddenKeys } from './fields';
import { validateMetadata } from './metadata';
import { normalizeRecipient } from './phone';
import { describeValue, getOwn, isPlainObject, quoteValue, showValue } from './values';

export {
	MAX_CONTACT_CARDS,
	MAX_CONTACT_NAME_CHARACTERS,
	MAX_EMAIL_CHARACTERS,
	MAX_LOCATION_TEXT_CHARACTERS,
} from './content';
export { MAX_BASE64_BYTES, MAX_FILE_NAME_CHARACTERS, MAX_MEDIA_URL_LENGTH } from './media';
export { MAX_METADATA_BYTES, MAX_METADATA_ID_CHARACTERS } from './metadata';

/** Options of `validateMessage` and the other message validators. */
export interface ValidateMessageOptions {
	/**
	 * Handling of a text over `MAX_TEXT_CHARACTERS`. `reject` adds an issue,
	 * and `split` keeps the full text and adds `textParts`, each to be sent as
	 * its own message.
	 * @defaultValue `'reject'`
	 */
	textPolicy?: TextLengthPolicy;
}

/** Result of `validateMessage`. */
export type MessageValidationResult =
	| { ok: true; message: NormalizedMessage }
	| { ok: false; issues: ValidationIssue[] };

/** Result of `validateMessages`. */
export type MessagesValidationResult =
	| { ok: true; messages: NormalizedMessage[] }
	| { ok: false; issues: ValidationIssue[] };

const MESSAGE_FIELDS = ['instanceName', 'recipientPhone', 'messageType', 'content', 'metadata'];

const MESSAGE_TYPE_LIST = MESSAGE_TYPES.join(', ');

/**
 * Validates one message and returns its normalised form, or every issue
 * found. Issue paths are relative to the message, such as `recipientPhone`,
 * `content.text` or `content.contacts[1].phoneNumber`.
 *
 * The message must be a plain object with only the fields of
 * `WhatsAppMessage`. Keys named `__proto__`, `constructor` or `prototype`
 * are rejected anywhere in it. The recipient is normalised with
 * `normalizeRecipient` and kept as given in `recipientInput`. The content
 * must match the message type, and the metadata priority is resolved to a
 * name. A text over `MAX_TEXT_CHARACTERS` is rejected or split,
 * according to `options.textPolicy`.
 */
export function validateMessage(
	input: unknown,
	options: ValidateMessageOptions = {},
): MessageValidationResult {
	const issues: ValidationIssue[] = [];
	const textPolicy = readTextPolicy(options, issues);
	if (textPolicy === undefined) {
		return { ok: false, issues };
	}
	const message = checkMessage(input, textPolicy, issues);
	return message ? { ok: true, message } : { ok: false, issues };
}

/**
 * Validates a list of messages for a bulk enqueue. Returns every normalised
 * message when all are valid, or else every issue of every message, with
 * paths prefixed by the message index, such as `[3].content.text`. Callers
 * enqueue none of the messages when any is invalid. An empty array is valid.
 */
export function validateMessages(
	inputs: unknown,
	options: ValidateMessageOptions = {},
): MessagesValidationResult {
	const issues: ValidationIssue[] = [];
	const textPolicy = readTextPolicy(options, issues);
	if (textPolicy === undefined) {
		return { ok: false, issues };
	}
	if (!Array.isArray(inputs)) {
		const message = `Invalid messages: expected an array of messages, got ${describeValue(inputs)}.`;
		return { ok: false, issues: [{ path: '', message }] };
	}

	const messages: NormalizedMessage[] = [];
	// A plain loop, because forEach and map skip the holes of a sparse array.
	for (let index = 0; index < inputs.length; index++) {
		const messageIssues: ValidationIssue[] = [];
		const message = checkMessage(inputs[index], textPolicy, messageIssues);
		if (message) {
			messages.push(message);
		}
		for (const issue of messageIssues) {
			const path = issue.path === '' ? `[${index}]` : `[${index}].${issue.path}`;
			issues.push({ path, message: issue.message });
		}
	}
	return issues.length === 0 ? { ok: true, messages } : { ok: false, issues };
}

/**
 * Validates one message like `validateMessage` and returns its normalised
 * form.
 *
 * @throws ValidationError listing every issue when the message is invalid.
 */
export function assertValidMessage(
	input: unknown,
	options: ValidateMessageOptions = {},
): NormalizedMessage {
	const result = validateMessage(input, options);
	if (!result.ok) {
		throw new ValidationError(result.issues);
	}
	return result.message;
}

/**
 * Validates a list of messages like `validateMessages` and returns the
 * normalised messages.
 *
 * @throws ValidationError listing every issue of every message when any
 *   message is invalid.
 */
export function assertValidMessages(
	inputs: unknown,
	options: ValidateMessageOptions = {},
): NormalizedMessage[] {
	const result = validateMessages(inputs, options);
	if (!result.ok) {
		throw new ValidationError(result.issues);
	}
	return result.messages;
}

function readTextPolicy(
	options: ValidateMessageOptions,
	issues: ValidationIssue[],
): TextLengthPolicy | undefined {
	const policy: unknown = options.textPolicy ?? 'reject';
	if (policy === 'reject' || policy === 'split') {
		return policy;
	}
	issues.push({
		path: 'textPolicy',
		message: `Invalid textPolicy ${showValue(policy)}. Use reject or split.`,
	});
	return undefined;
}

/** Validates one message, adding its issues to `issues`. */
function checkMessage(
	input: unknown,
	textPolicy: TextLengthPolicy,
	issues: ValidationIssue[],
): NormalizedMessage | undefined {
	if (!isPlainObject(input)) {
		issues.push({
			path: '',
			message: `Invalid message: expected an object, got ${describeValue(input)}.`,
		});
		return undefined;
	}
	const count = issues.length;
	findForbiddenKeys(input, issues);
	checkUnknownFields(input, MESSAGE_FIELDS, '', 'a message', issues);

	const instanceName = readInstanceName(getOwn(input, 'instanceName'), issues);
	const recipient = readRecipient(getOwn(input, 'recipientPhone'), issues);
	const messageType = readMessageType(getOwn(input, 'messageType'), issues);
	const content = messageType
		? validateContent(messageType, getOwn(input, 'content'), textPolicy, issues)
		: undefined;
	const metadata = validateMetadata(getOwn(input, 'metadata'), issues);

	const isValid = issues.length === count;
	if (!isValid || !instanceName || !recipient || !messageType || !content || !metadata) {
		return undefined;
	}
	const message: NormalizedMessage = {
		instanceName,
		recipientPhone: recipient.normalized,
		recipientInput: recipient.input,
		messageType,
		content: content.content,
		metadata,
	};
	if (content.textParts) {
		message.textParts = content.textParts;
	}
	return message;
}

function readInstanceName(value: unknown, issues: ValidationIssue[]): string | undefined {
	const path = 'instanceName';
	if (value !== undefined && typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}
	const reason = checkInstanceName(value);
	if (reason) {
		issues.push({ path, message: reason });
		return undefined;
	}
	return value as string;
}

function readRecipient(
	value: unknown,
	issues: ValidationIssue[],
): { normalized: string; input: string } | undefined {
	const path = 'recipientPhone';
	if (value === undefined) {
		issues.push({
			path,
			message:
				'Missing recipientPhone. Set it to a phone number with country code, such as 34600000001, or a WhatsApp JID.',
		});
		return undefined;
	}
	if (typeof value !== 'string') {
		issues.push({ path, message: describeTypeMismatch(path, 'a string', value) });
		return undefined;
	}
	const result = normalizeRecipient(value);
	if (!result.ok) {
		issues.push({ path, message: result.reason });
		return undefined;
	}
	return { normalized: result.value, input: value };
}

function readMessageType(value: unknown, issues: ValidationIssue[]): MessageType | undefined {
	const path = 'messageType';
	if (typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value)) {
		return value as MessageType;
	}
	let message: string;
	if (value === undefined) {
		message = `Missing messageType. Use one of: ${MESSAGE_TYPE_LIST}.`;
	} else if (typeof value === 'string') {
		message = `Invalid messageType ${quoteValue(value)}. Use one of: ${MESSAGE_TYPE_LIST}.`;
	} else {
		const mismatch = describeTypeMismatch(path, 'a string', value);
		message = `${mismatch} Use one of: ${MESSAGE_TYPE_LIST}.`;
	}
	issues.push({ path, message });
	return undefined;
}
