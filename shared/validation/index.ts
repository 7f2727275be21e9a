/**
 * Input validation: pure functions that check and normalise messages, phone
 * numbers, texts and schedule times before anything is enqueued.
 */

export {
	assertValidMessage,
	assertValidMessages,
	MAX_BASE64_BYTES,
	MAX_CONTACT_CARDS,
	MAX_CONTACT_NAME_CHARACTERS,
	MAX_EMAIL_CHARACTERS,
	MAX_FILE_NAME_CHARACTERS,
	MAX_LOCATION_TEXT_CHARACTERS,
	MAX_MEDIA_URL_LENGTH,
	MAX_METADATA_BYTES,
	MAX_METADATA_ID_CHARACTERS,
	validateMessage,
	validateMessages,
	type MessagesValidationResult,
	type MessageValidationResult,
	type ValidateMessageOptions,
} from './message';
export {
	MAX_PHONE_DIGITS,
	MIN_PHONE_DIGITS,
	normalizePhoneNumber,
	normalizeRecipient,
	type NormalizeResult,
} from './phone';
export {
	assertScheduleTime,
	MAX_SCHEDULE_AHEAD_MS,
	parseScheduleTime,
	PAST_TOLERANCE_MS,
	type ScheduleOptions,
	type ScheduleResult,
	type ScheduleTime,
} from './schedule';
export {
	countCharacters,
	findControlCharacter,
	MAX_CAPTION_CHARACTERS,
	MAX_TEXT_CHARACTERS,
	splitText,
	type ControlCharacter,
} from './text';
