/**
 * Lua scripts that record one event each, in one round trip. The idempotency
 * check against per-message state and every counter update of the event run
 * atomically in one EVALSHA. ioredis sends EVAL once per connection and then
 * EVALSHA, and reloads the script after a Redis restart. A send makes 18 to
 * 26 Redis calls inside the script, depending on whether the job was queued
 * before and whether it starts a conversation.
 *
 * Every script takes one key, which routes the call on Redis Cluster, and the
 * common arguments of `ScriptContext`, packed into one string. Scripts build
 * the names of buckets read from stored state themselves (see
 * `luaKeyBuilders`). All names share the hash tag of the prefix, so they are
 * in the routed slot.
 *
 * Counters go to two scopes: global hour and day buckets, and the campaign's
 * hour and day buckets. Fields only the global reports use (processing time,
 * conversations, inbound messages) skip the campaign buckets.
 *
 * Per-message state (a hash) uses these fields: `q` queued, `s` sent, `f`
 * failed (dead-lettered), `x` cancelled, `d` delivered, `r` read; `sb`, `fb`
 * and `xb` the `hourId:dayId` buckets where sent, failed and cancelled were
 * counted; `c` campaign, `p` phone, `n` instance, `m` gateway message id,
 * `lfa` last failed attempt. Contact state uses `cs` conversation start (ms),
 * `cb` its buckets, `la` last activity (ms), `ho` handed off, and `aw`, `ab`,
 * `ac` for the latest unanswered outbound message: time, buckets, campaign.
 *
 * Requires Redis 6.2 or later (`SET ... GET`).
 */

import type { ChainableCommander, Redis } from 'ioredis';

import { FIELD as F } from './counters';
import { luaKeyBuilders } from './keys';

/** Seconds a receipt for an unknown gateway message id waits for its send to be recorded. */
export const PENDING_RECEIPT_TTL_SECONDS = 3600;

/**
 * Seconds an inbound message id is remembered to drop webhook retries. Evolution
 * API retries a webhook at most 10 times with a delay capped at 300 s, so a
 * retry never comes a day later.
 */
export const INBOUND_DEDUP_TTL_SECONDS = 24 * 3600;

/** Contacts kept per day in the busiest-contacts set; the rest are trimmed. */
export const BUSIEST_CONTACTS_KEPT = 500;

/** The busiest-contacts set is trimmed when a day counter reaches a multiple of this. */
const BUSIEST_TRIM_INTERVAL = 500;

/**
 * Every this many events (counted by a day counter), an event that touches a
 * contact also ends up to `SWEEP_BATCH` timed-out conversations. That is two
 * per event on average, more than the one conversation an event can start,
 * so the active set stays small without a scan.
 */
const SWEEP_INTERVAL = 16;
const SWEEP_BATCH = 2 * SWEEP_INTERVAL;

/** Arguments every script receives first, in this order. */
export interface ScriptContext {
	/** `AnalyticsKeys.base`. */
	base: string;
	/** Real clock, epoch ms. */
	nowMs: number;
	/** Time of the event, epoch ms. */
	atMs: number;
	hourId: string;
	dayId: string;
	/** Unix seconds; 0 when the event is older than retention and skips the hour bucket. */
	hourExpireAt: number;
	/** Unix seconds; 0 when the event is older than retention and skips the day bucket. */
	dayExpireAt: number;
	/** Sliding expiry of a campaign's bucket list, in seconds. */
	retentionSeconds: number;
	/** Lifetime of per-message and per-contact state, in seconds. */
	stateTtlSeconds: number;
	conversationTimeoutMs: number;
}

/**
 * Separator of the packed arguments. Ids, phones and labels are checked to
 * contain no control characters, so it never occurs inside a value.
 */
const SEPARATOR = '\x1f';

/**
 * Packs the common arguments and `args` into one string, the script's only
 * ARGV. One argument instead of twenty keeps the client-side cost of a call
 * close to that of a single plain command.
 */
export function packArgs(context: ScriptContext, args: (string | number)[]): string {
	const values = [
		context.base,
		context.nowMs,
		context.atMs,
		context.hourId,
		context.dayId,
		context.hourExpireAt,
		context.dayExpireAt,
		context.retentionSeconds,
		context.stateTtlSeconds,
		context.conversationTimeoutMs,
		...args,
	];
	return values.join(SEPARATOR) + SEPARATOR;
}

const FIRST_OP_ARG = 11;

/** Lua list of the operation's arguments, such as `A[11], A[12]`. */
function opArgs(count: number): string {
	return Array.from({ length: count }, (_, i) => `A[${FIRST_OP_ARG + i}]`).join(', ');
}

const PRELUDE = `
local A = {}
for value in string.gmatch(ARGV[1], '([^\\031]*)\\031') do A[#A + 1] = value end
local base = A[1]
local nowMs = tonumber(A[2])
local atMs = tonumber(A[3])
local hourId = A[4]
local dayId = A[5]
local hourExp = tonumber(A[6])
local dayExp = tonumber(A[7])
local keepSeconds = tonumber(A[8])
local stateTtl = tonumber(A[9])
local timeoutMs = tonumber(A[10])
${luaKeyBuilders()}
local nowBuckets = hourId .. ':' .. dayId
local trimBusiest = false
local sweepDue = false

local function max(a, b) if a > b then return a end return b end
local function push(list, field, amount) list[#list + 1] = field; list[#list + 1] = amount end

-- Increments the fields of one hash and returns the first field's new value,
-- which equals its amount when the key is new.
local function incrementAll(key, fields)
  local first = redis.call('HINCRBY', key, fields[1], fields[2])
  for i = 3, #fields, 2 do
    redis.call('HINCRBY', key, fields[i], fields[i + 1])
  end
  return first
end

-- A new day bucket creates the day's contact sets with the same expiry, so
-- later PFADD and ZINCRBY calls never make a key without one. The empty
-- member keeps the busiest-contacts set in existence; reads skip it.
local function createDaySets()
  local messaged = messagedKey(dayId)
  redis.call('PFADD', messaged)
  redis.call('EXPIREAT', messaged, dayExp)
  local busiest = busiestKey(dayId)
  redis.call('ZADD', busiest, 'NX', 0, '')
  redis.call('EXPIREAT', busiest, dayExp)
end

local function addToCampaignBucket(key, expireAt, fields, campaign)
  if expireAt > 0 and incrementAll(key, fields) == fields[2] then
    redis.call('EXPIREAT', key, expireAt)
    local list = campaignBucketsKey(campaign)
    redis.call('SADD', list, key)
    redis.call('EXPIRE', list, keepSeconds)
    redis.call('ZADD', campaignsKey, nowMs, campaign)
  end
end

-- Adds to the buckets of the event's time: globalFields to the global hour
-- and day, campaignFields to the campaign's hour and day. A new bucket gets
-- its expiry; a new campaign bucket is listed for the campaign.
local function addNow(globalFields, campaign, campaignFields)
  if #globalFields > 0 then
    if hourExp > 0 and incrementAll(hourKey(hourId), globalFields) == globalFields[2] then
      redis.call('EXPIREAT', hourKey(hourId), hourExp)
    end
    if dayExp > 0 then
      local first = incrementAll(dayKey(dayId), globalFields)
      if first == globalFields[2] then
        redis.call('EXPIREAT', dayKey(dayId), dayExp)
        createDaySets()
      end
      if first % ${BUSIEST_TRIM_INTERVAL} == 0 then trimBusiest = true end
      if first % ${SWEEP_INTERVAL} == 0 then sweepDue = true end
    end
  end
  if campaign ~= '' and #campaignFields > 0 then
    addToCampaignBucket(campaignHourKey(hourId, campaign), hourExp, campaignFields, campaign)
    addToCampaignBucket(campaignDayKey(dayId, campaign), dayExp, campaignFields, campaign)
  end
end

-- Adds to buckets named in stored state. A bucket that has expired is not
-- created again, so a late update never leaves a key without expiry.
local function addToExisting(key, fields)
  if #fields > 0 and redis.call('EXISTS', key) == 1 then
    for i = 1, #fields, 2 do
      redis.call('HINCRBY', key, fields[i], fields[i + 1])
    end
  end
end

local function addStored(buckets, globalFields, campaign, campaignFields)
  local h, d = string.match(buckets or '', '^(%d+):(%d+)$')
  if not h then return end
  addToExisting(hourKey(h), globalFields)
  addToExisting(dayKey(d), globalFields)
  if campaign and campaign ~= '' then
    addToExisting(campaignHourKey(h, campaign), campaignFields)
    addToExisting(campaignDayKey(d, campaign), campaignFields)
  end
end

-- Counts delivered (level 3) or read (level 4) once per message; read
-- implies delivered. Counts go to the buckets where the message was sent, or
-- to the event's buckets when the send is not known.
local function applyReceipt(state, level, campaign)
  local st = redis.call('HMGET', state, 'd', 'r', 'sb')
  local fields = {}
  if level >= 3 and not st[1] then push(fields, '${F.delivered}', 1) end
  if level >= 4 and not st[2] then push(fields, '${F.read}', 1) end
  if #fields == 0 then return 0 end
  if level >= 4 then
    redis.call('HSET', state, 'd', 1, 'r', 1)
  else
    redis.call('HSET', state, 'd', 1)
  end
  if st[3] then
    addStored(st[3], fields, campaign, fields)
  else
    addNow(fields, campaign, fields)
  end
  return 1
end

local function endTimedOut(contact, buckets)
  addStored(buckets, {'${F.conversationsEnded}', 1, '${F.endedTimeout}', 1}, '', {})
  redis.call('HDEL', contact, 'cs', 'cb', 'ho')
end

-- Ends up to limit conversations whose last activity is more than the
-- timeout before this event, and drops them from the active set.
local function sweepConversations(limit)
  local stale = redis.call('ZRANGEBYSCORE', conversationsKey, '-inf', atMs - timeoutMs,
    'LIMIT', 0, limit)
  for _, member in ipairs(stale) do
    local contact = contactKey(member)
    local c = redis.call('HMGET', contact, 'cs', 'la', 'cb')
    if c[1] and atMs - tonumber(c[2]) > timeoutMs then endTimedOut(contact, c[3]) end
    redis.call('ZREM', conversationsKey, member)
  end
  return #stale
end

-- Reads a contact before an event. Ends a conversation that timed out, and
-- when none is active adds the counter of a new one to globalFields.
local function readContact(phone, globalFields)
  local key = contactKey(phone)
  local c = redis.call('HMGET', key, 'cs', 'la', 'cb', 'aw', 'ab', 'ac')
  local contact = {key = key, lastAt = tonumber(c[2] or '0'), buckets = c[3],
    awaitingAt = tonumber(c[4] or ''), awaitingBuckets = c[5], awaitingCampaign = c[6] or ''}
  local startedAt = tonumber(c[1] or '0')
  if startedAt > 0 and atMs - contact.lastAt > timeoutMs then
    endTimedOut(key, c[3])
    startedAt = 0
  end
  contact.isNew = startedAt == 0
  if contact.isNew then
    contact.buckets = nowBuckets
    push(globalFields, '${F.conversationsStarted}', 1)
  end
  return contact
end

-- Writes a contact's activity after an event, with extra field pairs.
local function saveContact(phone, contact, extra)
  local lastAt = max(contact.lastAt, atMs)
  local fields = {'la', lastAt}
  if contact.isNew then push(fields, 'cs', atMs); push(fields, 'cb', nowBuckets) end
  for i = 1, #extra do fields[#fields + 1] = extra[i] end
  redis.call('HSET', contact.key, unpack(fields))
  redis.call('EXPIRE', contact.key, stateTtl)
  redis.call('ZADD', conversationsKey, lastAt, phone)
  if sweepDue then sweepConversations(${SWEEP_BATCH}) end
end

-- Counts one message in or out for the day's busiest contacts.
local function countContactMessage(phone)
  if dayExp == 0 then return end
  local key = busiestKey(dayId)
  redis.call('ZINCRBY', key, 1, phone)
  if trimBusiest then
    local size = redis.call('ZCARD', key)
    if size > ${BUSIEST_CONTACTS_KEPT} then
      redis.call('ZREMRANGEBYRANK', key, 0, size - ${BUSIEST_CONTACTS_KEPT + 1})
    end
  end
end
`;

/**
 * `waaQueued` (key: message state). Args: phone, campaign, instance.
 * Returns 1 when counted, 0 when the job was already queued.
 */
const QUEUED = `
local phone, campaign, instance = ${opArgs(3)}
local state = KEYS[1]
if redis.call('HEXISTS', state, 'q') == 1 then return 0 end
addNow({'${F.queued}', 1}, campaign, {'${F.queued}', 1})
redis.call('HSET', state, 'q', 1, 'c', campaign, 'p', phone, 'n', instance)
redis.call('EXPIRE', state, stateTtl)
return 1
`;

/**
 * `waaSent` (key: message state, or any key in mode none). Args: mode (job,
 * gateway or none), messageId, phone, campaign, instance, processingMs (-1
 * when unknown), attempts (0 when unknown), default cost in millionths, then
 * the gateway ids of further parts of a split text (job mode only).
 * Returns {counted 1 or 0, campaign}.
 */
const SENT = `
local mode, messageId, phone, campaign, instance, processingMs, attempts, defaultCost = ${opArgs(8)}
processingMs, attempts, defaultCost = tonumber(processingMs), tonumber(attempts), tonumber(defaultCost)
local state = KEYS[1]
local fields = {'${F.sent}', 1}
local pending = 0

if mode == 'none' then
  push(fields, '${F.queued}', 1)
else
  if messageId ~= '' then
    -- Link the gateway id to this state, taking a receipt that came first.
    local link = gatewayKey(messageId)
    local old = redis.call('SET', link, state, 'EX', stateTtl, 'GET')
    if old and string.sub(old, 1, 1) == '#' then
      pending = tonumber(string.sub(old, 2))
    elseif old and old ~= state and mode == 'gateway' then
      -- The id already belongs to a job, which counted the send.
      redis.call('SET', link, old, 'EX', stateTtl)
      return {0, campaign}
    end
  end
  local st = redis.call('HMGET', state, 's', 'f', 'x', 'q', 'c', 'lfa', 'fb', 'xb')
  if campaign == '' and st[5] then campaign = st[5] end
  if mode == 'job' then
    -- Receipts for any part of a split text count for the one message.
    for i = ${FIRST_OP_ARG + 8}, #A do
      local old = redis.call('SET', gatewayKey(A[i]), state, 'EX', stateTtl, 'GET')
      if old and string.sub(old, 1, 1) == '#' then
        pending = max(pending, tonumber(string.sub(old, 2)))
      end
    end
  end
  if st[1] then
    if pending > 0 then applyReceipt(state, pending, campaign) end
    return {0, campaign}
  end
  if st[2] then addStored(st[7], {'${F.failed}', -1}, campaign, {'${F.failed}', -1}) end
  if st[3] then addStored(st[8], {'${F.cancelled}', -1}, campaign, {'${F.cancelled}', -1}) end
  if not st[4] then push(fields, '${F.queued}', 1) end
  local lastFailed = tonumber(st[6] or '0')
  if attempts > 0 then
    local retries = max(0, attempts - 1 - lastFailed)
    if retries > 0 then push(fields, '${F.retries}', retries) end
    lastFailed = max(lastFailed, attempts - 1)
  end
  redis.call('HSET', state, 's', 1, 'q', 1, 'sb', nowBuckets, 'lfa', lastFailed,
    'c', campaign, 'p', phone, 'n', instance, 'm', messageId)
  if st[2] or st[3] then redis.call('HDEL', state, 'f', 'fb', 'x', 'xb') end
  redis.call('EXPIRE', state, stateTtl)
end

-- Cost per message: the campaign's, else the instance's, else the default.
local costs = redis.call('HMGET', costsKey, 'c:' .. campaign, 'i:' .. instance)
local cost = defaultCost
if campaign ~= '' and costs[1] then
  cost = tonumber(costs[1])
elseif instance ~= '' and costs[2] then
  cost = tonumber(costs[2])
end
if cost > 0 then push(fields, '${F.costMicros}', cost) end

local globalFields = {}
for i = 1, #fields do globalFields[i] = fields[i] end
if processingMs >= 0 then
  push(globalFields, '${F.processingMs}', processingMs)
else
  push(globalFields, '${F.untimedSent}', 1)
end
local contact = nil
if phone ~= '' then contact = readContact(phone, globalFields) end
addNow(globalFields, campaign, fields)
if pending > 0 then applyReceipt(state, pending, campaign) end

if contact then
  if dayExp > 0 then redis.call('PFADD', messagedKey(dayId), phone) end
  countContactMessage(phone)
  local extra = {}
  if not contact.awaitingAt or atMs >= contact.awaitingAt then
    extra = {'aw', atMs, 'ab', nowBuckets, 'ac', campaign}
  end
  saveContact(phone, contact, extra)
end
return {1, campaign}
`;

/**
 * `waaAttemptFailed` (key: message state). Args: campaign, attempt number.
 * Counts the retries up to this attempt that were not counted yet. Returns
 * the number of retries counted.
 */
const ATTEMPT_FAILED = `
local campaign, attempt = ${opArgs(2)}
attempt = tonumber(attempt)
local state = KEYS[1]
local st = redis.call('HMGET', state, 's', 'f', 'lfa', 'c')
if st[1] or st[2] then return 0 end
if campaign == '' and st[4] then campaign = st[4] end
local lastFailed = tonumber(st[3] or '0')
if attempt <= lastFailed then return 0 end
local fields = {'${F.retries}', attempt - lastFailed}
addNow(fields, campaign, fields)
redis.call('HSET', state, 'lfa', attempt, 'c', campaign)
redis.call('EXPIRE', state, stateTtl)
return attempt - lastFailed
`;

/**
 * `waaDeadLettered` (key: message state, or any key in mode none). Args:
 * mode, phone, campaign, instance, attempts (0 when unknown). Returns 1 when
 * counted, 0 when already failed, -1 when already sent.
 */
const DEAD_LETTERED = `
local mode, phone, campaign, instance, attempts = ${opArgs(5)}
attempts = tonumber(attempts)
local state = KEYS[1]
local fields = {'${F.failed}', 1}
if mode == 'none' then
  push(fields, '${F.queued}', 1)
  addNow({'${F.failed}', 1, '${F.queued}', 1, '${F.deadLettered}', 1}, campaign, fields)
  return 1
end
local st = redis.call('HMGET', state, 's', 'f', 'q', 'lfa', 'c', 'x', 'xb')
if st[1] then return -1 end
if st[2] then return 0 end
if campaign == '' and st[5] then campaign = st[5] end
if not st[3] then push(fields, '${F.queued}', 1) end
if st[6] then addStored(st[7], {'${F.cancelled}', -1}, campaign, {'${F.cancelled}', -1}) end
local lastFailed = tonumber(st[4] or '0')
if attempts > 0 then
  local retries = max(0, attempts - 1 - lastFailed)
  if retries > 0 then push(fields, '${F.retries}', retries) end
  lastFailed = max(lastFailed, attempts)
end
local globalFields = {'${F.deadLettered}', 1}
for i = 1, #fields do globalFields[#globalFields + 1] = fields[i] end
addNow(globalFields, campaign, fields)
redis.call('HSET', state, 'f', 1, 'fb', nowBuckets, 'q', 1, 'lfa', lastFailed,
  'c', campaign, 'p', phone, 'n', instance)
if st[6] then redis.call('HDEL', state, 'x', 'xb') end
redis.call('EXPIRE', state, stateTtl)
return 1
`;

/**
 * `waaRequeued` (key: message state). Args: campaign. Moves a dead-lettered
 * message back to pending: decrements failed where it was counted. Returns 1
 * when it did, 0 when the message was not failed.
 */
const REQUEUED = `
local campaign = ${opArgs(1)}
local state = KEYS[1]
local st = redis.call('HMGET', state, 'f', 'fb', 'c')
if not st[1] then return 0 end
if campaign == '' and st[3] then campaign = st[3] end
addStored(st[2], {'${F.failed}', -1}, campaign, {'${F.failed}', -1})
addNow({'${F.requeued}', 1}, campaign, {'${F.requeued}', 1})
redis.call('HDEL', state, 'f', 'fb')
redis.call('HSET', state, 'lfa', 0)
redis.call('EXPIRE', state, stateTtl)
return 1
`;

/**
 * `waaCancelled` (key: message state). Args: phone, campaign, instance.
 * Returns 1 when counted, 0 when the message had already ended.
 */
const CANCELLED = `
local phone, campaign, instance = ${opArgs(3)}
local state = KEYS[1]
local st = redis.call('HMGET', state, 's', 'f', 'x', 'q', 'c')
if st[1] or st[2] or st[3] then return 0 end
if campaign == '' and st[5] then campaign = st[5] end
local fields = {'${F.cancelled}', 1}
if not st[4] then push(fields, '${F.queued}', 1) end
addNow(fields, campaign, fields)
redis.call('HSET', state, 'x', 1, 'xb', nowBuckets, 'q', 1, 'c', campaign, 'p', phone, 'n', instance)
redis.call('EXPIRE', state, stateTtl)
return 1
`;

/**
 * `waaReceipt` (key: gateway id string). Args: messageId, level (2 sent, 3
 * delivered, 4 read), mode (webhook or manual), campaign, phone. Returns
 * {result, state key, campaign, phone} where result is 1 counted, 0 nothing
 * new, -1 unknown message id (a webhook receipt is kept for an hour in case
 * the send is recorded late), -2 the message state has expired.
 */
const RECEIPT = `
local messageId, level, mode, campaign, phone = ${opArgs(5)}
level = tonumber(level)
local link = KEYS[1]
local target = redis.call('GET', link)
local state
if target and string.sub(target, 1, 1) ~= '#' then
  state = target
  if redis.call('EXISTS', state) == 0 then return {-2, state, '', ''} end
elseif mode == 'webhook' then
  local pendingLevel = 0
  if target then pendingLevel = tonumber(string.sub(target, 2)) end
  if level >= 3 and level > pendingLevel then
    redis.call('SET', link, '#' .. level, 'EX', ${PENDING_RECEIPT_TTL_SECONDS})
  end
  return {-1, '', '', ''}
else
  -- A manual receipt for a message not tracked as sent keeps its own state.
  state = gatewayStateKey(messageId)
  redis.call('SET', link, state, 'EX', stateTtl)
  redis.call('HSET', state, 'c', campaign, 'p', phone)
  redis.call('EXPIRE', state, stateTtl)
end
local st = redis.call('HMGET', state, 'c', 'p')
if st[1] and st[1] ~= '' then campaign = st[1] end
if st[2] then phone = st[2] end
if level < 3 then return {0, state, campaign, phone} end
return {applyReceipt(state, level, campaign), state, campaign, phone}
`;

/**
 * `waaInbound` (key: contact). Args: phone, inbound message id ('' to skip
 * deduplication), intent field, sentiment field. Returns {counted, responded,
 * campaign, responseMs}.
 */
const INBOUND = `
local phone, inboundId, intentField, sentimentField = ${opArgs(4)}
if inboundId ~= '' then
  local fresh = redis.call('SET', inboundKey(inboundId), 1, 'NX', 'EX', ${INBOUND_DEDUP_TTL_SECONDS})
  if not fresh then return {0, 0, '', 0} end
end
local fields = {'${F.received}', 1}
if intentField ~= '' then push(fields, intentField, 1) end
if sentimentField ~= '' then push(fields, sentimentField, 1) end
local contact = readContact(phone, fields)
addNow(fields, '', {})
countContactMessage(phone)

local extra = {}
local responded, campaign, responseMs = 0, '', 0
if contact.awaitingAt and atMs >= contact.awaitingAt then
  responded = 1
  responseMs = atMs - contact.awaitingAt
  campaign = contact.awaitingCampaign
  addStored(contact.awaitingBuckets, {'${F.responses}', 1, '${F.responseMs}', responseMs},
    campaign, {'${F.responses}', 1})
  local day = string.match(contact.awaitingBuckets or '', ':(%d+)$')
  if day then
    local ttl = redis.call('PTTL', messagedKey(day))
    if ttl > 0 then
      redis.call('PFADD', repliedKey(day), phone)
      redis.call('PEXPIRE', repliedKey(day), ttl)
    end
  end
  extra = {'aw', '', 'ab', '', 'ac', ''}
end
saveContact(phone, contact, extra)
return {1, responded, campaign, responseMs}
`;

/**
 * `waaConversation` (key: contact). Args: phone, action (start, end or
 * handoff), direction (in or out) or end reason. Returns 1 when something
 * was counted.
 */
const CONVERSATION = `
local phone, action, detail = ${opArgs(3)}
local key = KEYS[1]
if action == 'start' or action == 'handoff' then
  local fields = {}
  local contact = readContact(phone, fields)
  addNow(fields, '', {})
  saveContact(phone, contact, {})
  if action == 'start' then
    if contact.isNew then return 1 end
    return 0
  end
  if redis.call('HSETNX', key, 'ho', 1) == 0 then return 0 end
  addStored(contact.buckets, {'${F.handoffs}', 1}, '', {})
  return 1
end
local c = redis.call('HMGET', key, 'cs', 'la', 'cb', 'ho')
if not c[1] then return 0 end
if atMs - tonumber(c[2]) > timeoutMs then
  endTimedOut(key, c[3])
  redis.call('ZREM', conversationsKey, phone)
  return 0
end
local fields = {'${F.conversationsEnded}', 1, 'end_' .. detail, 1}
if detail == 'handoff' and not c[4] then push(fields, '${F.handoffs}', 1) end
addStored(c[3], fields, '', {})
redis.call('HDEL', key, 'cs', 'cb', 'ho')
redis.call('ZREM', conversationsKey, phone)
return 1
`;

/**
 * `waaCount` (key: any key of the tag). Args: campaign, withGlobal (1 or 0),
 * then field and amount pairs. Plain counters without per-message state:
 * conversions and campaign events.
 */
const COUNT = `
local campaign, withGlobal = ${opArgs(2)}
local fields = {}
for i = ${FIRST_OP_ARG + 2}, #A, 2 do push(fields, A[i], tonumber(A[i + 1])) end
if withGlobal == '1' then
  addNow(fields, campaign, fields)
else
  addNow({}, campaign, fields)
end
return 1
`;

/**
 * `waaSweep` (key: active conversations). Args: batch size. Ends the
 * conversations that timed out before the event time. Returns how many it
 * looked at.
 */
const SWEEP = `
return sweepConversations(tonumber(${opArgs(1)}))
`;

const SCRIPT_BODIES = {
	waaQueued: QUEUED,
	waaSent: SENT,
	waaAttemptFailed: ATTEMPT_FAILED,
	waaDeadLettered: DEAD_LETTERED,
	waaRequeued: REQUEUED,
	waaCancelled: CANCELLED,
	waaReceipt: RECEIPT,
	waaInbound: INBOUND,
	waaConversation: CONVERSATION,
	waaCount: COUNT,
	waaSweep: SWEEP,
} as const;

/** Name of one recording script. */
export type ScriptName = keyof typeof SCRIPT_BODIES;

/** Defines every script as an ioredis command on `client`. */
export function defineScripts(client: Redis): void {
	for (const [name, body] of Object.entries(SCRIPT_BODIES)) {
		client.defineCommand(name, { numberOfKeys: 1, lua: PRELUDE + body });
	}
}

type ScriptCall = (key: string, packedArgs: string) => Promise<unknown>;
type ScriptQueue = (key: string, packedArgs: string) => ChainableCommander;

/** Runs script `name` with its routing `key`, the common arguments and `args`. */
export function runScript(
	client: Redis,
	name: ScriptName,
	key: string,
	context: ScriptContext,
	args: (string | number)[],
): Promise<unknown> {
	const call = (client as unknown as Record<ScriptName, ScriptCall>)[name];
	return call.call(client, key, packArgs(context, args));
}

/** Queues script `name` on a pipeline, for batches that share one round trip. */
export function queueScript(
	pipeline: ChainableCommander,
	name: ScriptName,
	key: string,
	context: ScriptContext,
	args: (string | number)[],
): void {
	const queue = (pipeline as unknown as Record<ScriptName, ScriptQueue>)[name];
	queue.call(pipeline, key, packArgs(context, args));
}
