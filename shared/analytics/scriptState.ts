/**
 * Lua that reads and writes per-message and per-contact state. A state is a
 * string: a format tag and then positional fields, separated by `\x1e`. In
 * the scripts a state is an array of those strings, with the tag at index 1,
 * so `table.concat` writes it back in one call. An empty field means the
 * field is absent; no field stores an empty value on purpose. Ids, phones
 * and bucket ids contain no control characters, so the separator never
 * occurs inside a value.
 *
 * A string takes fewer calls than the hash earlier versions used: one GET
 * reads it and one SET with EX writes it and renews its expiry, where a
 * hash took HMGET, HSET and EXPIRE. A state written for the first time
 * takes a single SET with NX and GET (Redis 7.0 or later). Inside a script,
 * the cost of a call weighs more than its number of fields.
 *
 * State written by earlier versions is a hash with the field names of
 * `MESSAGE_HASH_FIELDS` and `CONTACT_HASH_FIELDS`. It is read with HMGET and
 * replaced by a string on its next write.
 */

/**
 * Positions of message state fields. Flags are `1` when set. The `*Buckets`
 * fields contain the `hourId:dayId` where sent, failed and cancelled were
 * counted.
 */
export const MESSAGE = {
	queued: 2,
	sent: 3,
	/** Dead-lettered. */
	failed: 4,
	cancelled: 5,
	delivered: 6,
	read: 7,
	sentBuckets: 8,
	failedBuckets: 9,
	cancelledBuckets: 10,
	campaign: 11,
	phone: 12,
	instance: 13,
	/** Gateway message id. */
	messageId: 14,
	lastFailedAttempt: 15,
} as const;

/**
 * Positions of contact state fields. Times are epoch ms. `awaiting*`
 * describe the latest outbound message without a reply. `messageDay*` count
 * the contact's messages in and out on its latest day, the contact's score
 * in that day's busiest-contacts set.
 */
export const CONTACT = {
	conversationStartedAt: 2,
	lastActivityAt: 3,
	/** `hourId:dayId` where the active conversation started. */
	conversationBuckets: 4,
	handedOff: 5,
	awaitingAt: 6,
	awaitingBuckets: 7,
	awaitingCampaign: 8,
	messageDayCount: 9,
	/** `dayId` of `messageDayCount`. */
	messageDay: 10,
} as const;

/** Field names of message state kept in a hash by earlier versions. */
const MESSAGE_HASH_FIELDS: Record<keyof typeof MESSAGE, string> = {
	queued: 'q',
	sent: 's',
	failed: 'f',
	cancelled: 'x',
	delivered: 'd',
	read: 'r',
	sentBuckets: 'sb',
	failedBuckets: 'fb',
	cancelledBuckets: 'xb',
	campaign: 'c',
	phone: 'p',
	instance: 'n',
	messageId: 'm',
	lastFailedAttempt: 'lfa',
};

/** Field names of contact state kept in a hash by earlier versions, which had no day counts. */
const CONTACT_HASH_FIELDS: Partial<Record<keyof typeof CONTACT, string>> = {
	conversationStartedAt: 'cs',
	lastActivityAt: 'la',
	conversationBuckets: 'cb',
	handedOff: 'ho',
	awaitingAt: 'aw',
	awaitingBuckets: 'ab',
	awaitingCampaign: 'ac',
};

const MESSAGE_FIELD_COUNT = Object.keys(MESSAGE).length;
const CONTACT_FIELD_COUNT = Object.keys(CONTACT).length;

const TAG = '1';
const SEPARATOR = '\\030';

function pattern(fieldCount: number): string {
	return `^(${TAG})${`${SEPARATOR}([^${SEPARATOR}]*)`.repeat(fieldCount)}$`;
}

function emptyState(fieldCount: number): string {
	return `{'${TAG}'${", ''".repeat(fieldCount)}}`;
}

/**
 * Returns a Lua expression for the state string whose fields at the named
 * positions are the given Lua expressions; other fields are empty. Adjacent
 * literal parts are joined, so Lua concatenates few pieces.
 */
function stateText<P extends Record<string, number>>(
	positions: P,
	values: Partial<Record<keyof P, string>>,
): string {
	const pieces: string[] = [];
	let literal = TAG;
	for (let position = 2; position <= Object.keys(positions).length + 1; position++) {
		const name = Object.keys(positions).find((key) => positions[key] === position) as keyof P;
		literal += SEPARATOR;
		const expression = values[name];
		const quotedText = expression === undefined ? undefined : /^'([^'\\]*)'$/.exec(expression);
		if (quotedText) {
			literal += quotedText[1];
		} else if (expression !== undefined) {
			pieces.push(`'${literal}'`, expression);
			literal = '';
		}
	}
	if (literal !== '') {
		pieces.push(`'${literal}'`);
	}
	return pieces.join(' .. ');
}

/** Returns a Lua expression for a message state string, built as `stateText` does. */
export function messageText(values: Partial<Record<keyof typeof MESSAGE, string>>): string {
	return stateText(MESSAGE, values);
}

/** Returns a Lua expression for a contact state string, built as `stateText` does. */
export function contactText(values: Partial<Record<keyof typeof CONTACT, string>>): string {
	return stateText(CONTACT, values);
}

/**
 * Returns a Lua table that maps state positions to the field names of a
 * hash written by an earlier version.
 */
function hashFields(positions: Record<string, number>, names: Record<string, string>): string {
	const entries = Object.entries(names).map(([name, field]) => `[${positions[name]}] = '${field}'`);
	return `{${entries.join(', ')}}`;
}

/**
 * State functions. `newMessage()` and `newContact()` return an empty state.
 * `readMessage(key)` and `readContactState(key)` return a key's state and
 * whether the key exists. `writeState(key, st, renew)` writes a state. With
 * `renew` the key gets a new expiry of the state lifetime. Without it the
 * key keeps its expiry, as a receipt leaves that of the message it marks.
 * `writeMessageIfAbsent(key, text)` and `writeContactIfAbsent(key, text)`
 * write the state string `text` with a new expiry when the key does not
 * exist and return nil, or else leave the key and return its state.
 */
export const STATE_IO = `
local concat = table.concat
local MESSAGE_PATTERN = '${pattern(MESSAGE_FIELD_COUNT)}'
local CONTACT_PATTERN = '${pattern(CONTACT_FIELD_COUNT)}'
local MESSAGE_HASH_FIELDS = ${hashFields(MESSAGE, MESSAGE_HASH_FIELDS)}
local CONTACT_HASH_FIELDS = ${hashFields(CONTACT, CONTACT_HASH_FIELDS as Record<string, string>)}

local function newMessage() return ${emptyState(MESSAGE_FIELD_COUNT)} end
local function newContact() return ${emptyState(CONTACT_FIELD_COUNT)} end

local function decodeState(key, text, statePattern)
  local st = {string.match(text, statePattern)}
  if not st[1] then error('Invalid analytics state at ' .. key) end
  return st
end

-- A WRONGTYPE error means a hash written by an earlier version.
local function isWrongType(reply)
  return string.find(reply.err, 'WRONGTYPE', 1, true) ~= nil
end

local function readHashState(key, hashFields, empty)
  local positions, names = {}, {}
  for position, name in pairs(hashFields) do
    positions[#positions + 1] = position
    names[#names + 1] = name
  end
  local values = call('HMGET', key, unpack(names))
  local st = empty()
  for i, position in ipairs(positions) do st[position] = values[i] or '' end
  return st
end

local function readState(key, statePattern, hashFields, empty)
  local text = redis.pcall('GET', key)
  if type(text) == 'table' then
    if not isWrongType(text) then error(text.err) end
    return readHashState(key, hashFields, empty), true
  end
  if not text then return empty(), false end
  return decodeState(key, text, statePattern), true
end

local function readMessage(key)
  return readState(key, MESSAGE_PATTERN, MESSAGE_HASH_FIELDS, newMessage)
end

local function readContactState(key)
  return readState(key, CONTACT_PATTERN, CONTACT_HASH_FIELDS, newContact)
end

local function writeState(key, st, renew)
  if renew then
    call('SET', key, concat(st, '${SEPARATOR}'), 'EX', stateTtl)
  else
    call('SET', key, concat(st, '${SEPARATOR}'), 'KEEPTTL')
  end
end

-- Redis before 7.0 rejects SET with both NX and GET, so the batch then
-- reads before it writes.
-- NOTE: the tests run Redis 7.0, so they do not cover this fallback.
local canSetIfAbsent = true

local function writeIfAbsent(key, text, statePattern, hashFields, empty)
  if canSetIfAbsent then
    local old = redis.pcall('SET', key, text, 'NX', 'EX', stateTtl, 'GET')
    if type(old) ~= 'table' then
      if not old then return nil end
      return decodeState(key, old, statePattern)
    end
    if isWrongType(old) then return readHashState(key, hashFields, empty) end
    canSetIfAbsent = false
  end
  local st, exists = readState(key, statePattern, hashFields, empty)
  if exists then return st end
  call('SET', key, text, 'EX', stateTtl)
  return nil
end

local function writeMessageIfAbsent(key, text)
  return writeIfAbsent(key, text, MESSAGE_PATTERN, MESSAGE_HASH_FIELDS, newMessage)
end

local function writeContactIfAbsent(key, text)
  return writeIfAbsent(key, text, CONTACT_PATTERN, CONTACT_HASH_FIELDS, newContact)
end
`;
