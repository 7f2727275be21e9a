/**
 * Reads the message parameters of one item into a `WhatsAppMessage` and
 * checks it with the shared validator, before any connection is opened.
 */

import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
} from 'n8n-workflow';

import {
	validateMessage,
	type MessageContent,
	type MessageMetadata,
	type MessageType,
	type TextPolicy,
	type ValidationIssue,
	type WhatsAppMessage,
} from '../../../../shared';

/** Parameter labels for the paths that validation issues name. */
const FIELD_LABELS: Array<[RegExp, string]> = [
	[/^instanceName$/, 'Instance Name'],
	[/^recipientPhone$/, 'Recipient Phone'],
	[/^messageType$/, 'Message Type'],
	[/^content\.text$/, 'Text'],
	[/^content\.url$/, 'Media URL'],
	[/^content\.(base64|mimeType)$/, 'Input Binary Field'],
	[/^content\.caption$/, 'Caption'],
	[/^content\.fileName$/, 'File Name'],
	[/^content\.latitude$/, 'Latitude'],
	[/^content\.longitude$/, 'Longitude'],
	[/^content\.name$/, 'Location Name'],
	[/^content\.address$/, 'Address'],
	[/^content\.contacts/, 'Contacts'],
	[/^metadata\.priority$/, 'Priority'],
	[/^metadata\.campaignId$/, 'Campaign ID'],
	[/^metadata\.contactId$/, 'Contact ID'],
	[/^metadata\.idempotencyKey$/, 'Idempotency Key'],
	[/^metadata/, 'Extra Metadata'],
];

function labelOf(path: string): string {
	const match = FIELD_LABELS.find(([pattern]) => pattern.test(path));
	return match ? match[1] : path;
}

/** Builds an error naming each invalid parameter, such as `Recipient Phone: Invalid phone number ...`. */
export function toValidationError(
	node: INode,
	issues: ValidationIssue[],
	itemIndex: number,
): NodeOperationError {
	const lines = issues.map((issue) => `${labelOf(issue.path)}: ${issue.message}`);
	const message =
		lines.length === 1 ? lines[0] : `${lines.length} invalid fields: ${lines.join(' ')}`;
	return new NodeOperationError(node, message, {
		itemIndex,
		description: 'Fix the field and run the node again. Nothing was queued for this item.',
	});
}

function readOptionalString(options: IDataObject, name: string): string | undefined {
	const value = options[name];
	if (value === undefined || value === null || value === '') {
		return undefined;
	}
	return typeof value === 'number' ? String(value) : (value as string);
}

/** Turns a number typed into a text field, such as a phone from a sheet, into text. */
function asText(value: unknown): IDataObject[string] {
	return (typeof value === 'number' ? String(value) : value) as IDataObject[string];
}

async function readMediaContent(
	context: IExecuteFunctions,
	itemIndex: number,
	messageType: MessageType,
): Promise<MessageContent> {
	const content: IDataObject = {};
	const source = context.getNodeParameter('mediaSource', itemIndex, 'url') as string;
	if (source === 'binary') {
		const property = context.getNodeParameter('binaryPropertyName', itemIndex) as string;
		const binary = context.helpers.assertBinaryData(itemIndex, property);
		const buffer = await context.helpers.getBinaryDataBuffer(itemIndex, property);
		content.base64 = buffer.toString('base64');
		content.mimeType = binary.mimeType;
		if (binary.fileName) {
			content.fileName = binary.fileName;
		}
	} else {
		content.url = asText(context.getNodeParameter('mediaUrl', itemIndex));
	}
	if (messageType !== 'audio') {
		const caption = context.getNodeParameter('caption', itemIndex, '') as string;
		if (caption !== '') {
			content.caption = caption;
		}
	}
	if (messageType === 'document') {
		const fileName = context.getNodeParameter('fileName', itemIndex, '') as string;
		if (fileName !== '') {
			content.fileName = fileName;
		}
	}
	return content as MessageContent;
}

function readLocationContent(context: IExecuteFunctions, itemIndex: number): MessageContent {
	const content: IDataObject = {
		latitude: context.getNodeParameter('latitude', itemIndex),
		longitude: context.getNodeParameter('longitude', itemIndex),
	};
	const name = context.getNodeParameter('locationName', itemIndex, '') as string;
	const address = context.getNodeParameter('address', itemIndex, '') as string;
	if (name !== '') {
		content.name = name;
	}
	if (address !== '') {
		content.address = address;
	}
	return content as unknown as MessageContent;
}

function readContactContent(context: IExecuteFunctions, itemIndex: number): MessageContent {
	const collection = context.getNodeParameter('contacts', itemIndex, {}) as {
		contact?: IDataObject[];
	};
	const contacts = (collection.contact ?? []).map((card) => {
		const result: IDataObject = {
			fullName: card.fullName,
			phoneNumber: asText(card.phoneNumber),
		};
		for (const field of ['organization', 'email']) {
			if (card[field] !== undefined && card[field] !== '') {
				result[field] = card[field];
			}
		}
		return result;
	});
	return { contacts } as unknown as MessageContent;
}

async function readContent(
	context: IExecuteFunctions,
	itemIndex: number,
	messageType: MessageType,
): Promise<MessageContent> {
	switch (messageType) {
		case 'text':
			return { text: asText(context.getNodeParameter('text', itemIndex)) as string };
		case 'location':
			return readLocationContent(context, itemIndex);
		case 'contact':
			return readContactContent(context, itemIndex);
		default:
			return await readMediaContent(context, itemIndex, messageType);
	}
}

function readExtraMetadata(
	context: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
): IDataObject {
	if (value === undefined || value === '' || value === null) {
		return {};
	}
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			throw new NodeOperationError(context.getNode(), 'Extra Metadata is not valid JSON.', {
				itemIndex,
				description: 'Enter a JSON object, such as {"orderId": "1001"}.',
			});
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new NodeOperationError(context.getNode(), 'Extra Metadata must be a JSON object.', {
			itemIndex,
			description: 'Enter a JSON object, such as {"orderId": "1001"}.',
		});
	}
	return parsed as IDataObject;
}

function readMetadata(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): MessageMetadata {
	const metadata: MessageMetadata = {
		...readExtraMetadata(context, itemIndex, options.metadata),
		priority: context.getNodeParameter(
			'priority',
			itemIndex,
			'normal',
		) as MessageMetadata['priority'],
	};
	for (const field of ['campaignId', 'contactId', 'idempotencyKey']) {
		const value = readOptionalString(options, field);
		if (value !== undefined) {
			metadata[field] = value;
		}
	}
	return metadata;
}

/** Handling of long texts for the whole run, read from the first item. */
export function readTextPolicy(context: IExecuteFunctions, itemIndex: number): TextPolicy {
	const value = context.getNodeParameter('options.longText', itemIndex, 'reject');
	return value === 'split' ? 'split' : 'reject';
}

/**
 * Reads the message of one item and validates it. Throws a
 * `NodeOperationError` naming every invalid parameter.
 */
export async function readMessage(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<WhatsAppMessage> {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const messageType = context.getNodeParameter('messageType', itemIndex) as MessageType;
	const message = {
		instanceName: context.getNodeParameter('instanceName', itemIndex) as string,
		recipientPhone: asText(context.getNodeParameter('phone', itemIndex)) as string,
		messageType,
		content: await readContent(context, itemIndex, messageType),
		metadata: readMetadata(context, itemIndex, options),
	};

	const result = validateMessage(message, { textPolicy: readTextPolicy(context, itemIndex) });
	if (!result.ok) {
		throw toValidationError(context.getNode(), result.issues, itemIndex);
	}
	return message;
}
