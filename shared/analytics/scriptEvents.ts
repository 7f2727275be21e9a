/**
 * Lua handlers of the recording script, one per kind of event. Each reads
 * and writes the event's per-message or per-contact state (see
 * `scriptState`), which carries the idempotency rules, and hands its counter
 * updates to the merged updates of `scriptUpdates`. A handler takes the
 * positions of its first and last field in `A` and returns its reply, never
 * nil. A message's state is kept per job id, else per gateway message id;
 * with neither, a send or failure counts every time.
 */

import { FIELD as F } from './counters';
import { CONTACT as C, contactText, MESSAGE as M, messageText } from './scriptState';

/** Seconds a receipt for an unknown gateway message id waits for its send to be recorded. */
export const PENDING_RECEIPT_TTL_SECONDS = 3600;

/**
 * Seconds an inbound message id is remembered to drop webhook retries. Evolution
 * API retries a webhook at most 10 times with a delay capped at 300 s, so a
 * retry never comes a day later.
 */
export const INBOUND_DEDUP_TTL_SECONDS = 24 * 3600;

/** Lua statement that adds `amount` to `field` of the counters table `counters`. */
function inc(counters: string, field: string, amount = '1'): string {
	return `${counters}['${field}'] = (${counters}['${field}'] or 0) + ${amount}`;
}

/** Helpers shared by the handlers. Needs the state functions and the merged updates. */
const HELPERS = `
local QUEUED_ONE = {'${F.queued}', 1}
local REQUEUED_ONE = {'${F.requeued}', 1}
local FAILED_UNDO = {'${F.failed}', -1}
local CANCELLED_UNDO = {'${F.cancelled}', -1}
local HANDOFF_ONE = {'${F.handoffs}', 1}

local function stateKeyOf(jobId, messageId)
  if jobId ~= '' then return messageKey(jobId) end
  return gatewayStateKey(messageId)
end

-- Returns the counters that a receipt at level adds to a message: delivered
-- (level 3) or read (level 4), each once per message; read implies delivered.
local function receiptFields(st, level)
  local fields = {}
  if level >= 3 and st[${M.delivered}] == '' then push(fields, '${F.delivered}', 1) end
  if level >= 4 and st[${M.read}] == '' then push(fields, '${F.read}', 1) end
  return fields
end

local function markReceipt(st, level)
  st[${M.delivered}] = '1'
  if level >= 4 then st[${M.read}] = '1' end
end

-- Counts a receipt in the buckets where the message was sent, or in the
-- event's buckets when the send is not known.
local function countReceipt(st, fields, campaign)
  if st[${M.sentBuckets}] ~= '' then
    addStored(st[${M.sentBuckets}], fields, campaign, fields)
  else
    addNow(fields, campaign, fields)
  end
end

-- Marks and counts a receipt. Returns 1 when it changed the state, which
-- the caller writes.
local function applyReceipt(st, level, campaign)
  local fields = receiptFields(st, level)
  if #fields == 0 then return 0 end
  markReceipt(st, level)
  countReceipt(st, fields, campaign)
  return 1
end

-- Returns the state string a contact without state has after an event: a
-- new conversation, the awaiting mark when awaitCampaign is given, the
-- day's first message when countsMessage, and handedOff ('1' or '').
local function freshContact(awaitCampaign, countsMessage, handedOff)
  local awaitingAt, awaitingBuckets, dayCount, day = '', '', '', ''
  if awaitCampaign then
    awaitingAt, awaitingBuckets = atText, bucket.ids
  else
    awaitCampaign = ''
  end
  if countsMessage and bucket.isDayKept then dayCount, day = '1', bucket.dayId end
  return ${contactText({
		conversationStartedAt: 'atText',
		lastActivityAt: 'atText',
		conversationBuckets: 'bucket.ids',
		handedOff: 'handedOff',
		awaitingAt: 'awaitingAt',
		awaitingBuckets: 'awaitingBuckets',
		awaitingCampaign: 'awaitCampaign',
		messageDayCount: 'dayCount',
		messageDay: 'day',
	})}
end

-- Opens a contact for an event. A contact without state gets freshText,
-- its state after the event, at once. Otherwise this ends a conversation
-- that timed out. Returns the key, the state (nil when fresh), whether the
-- event starts a conversation, the last activity before the event, and
-- whether the state is fresh and written already.
local function openContact(phone, freshText)
  local key = contactKey(phone)
  local contact = writeContactIfAbsent(key, freshText)
  if not contact then return key, nil, true, 0, true end
  local lastAt = tonumber(contact[${C.lastActivityAt}]) or 0
  if contact[${C.conversationStartedAt}] ~= '' and atMs - lastAt > timeoutMs then
    endTimedOut(contact)
  end
  return key, contact, contact[${C.conversationStartedAt}] == '', lastAt, false
end

-- Puts a contact in the active set with its last activity.
local function markActive(phone, lastAtText)
  setActive(phone, lastAtText)
  if atMs > sweepAtMs then sweepAtMs = atMs end
end

-- Writes an opened contact's activity after an event, unless it is fresh.
-- awaitCampaign set to a campaign ('' for none) marks the event as the
-- latest unanswered outbound message; false clears that mark; nil leaves it.
local function saveContact(phone, key, contact, isNew, lastAt, awaitCampaign, isFresh)
  if isFresh then
    markActive(phone, atText)
    return
  end
  if atMs > lastAt then contact[${C.lastActivityAt}] = atText end
  if isNew then
    contact[${C.conversationStartedAt}] = atText
    contact[${C.conversationBuckets}] = bucket.ids
  end
  if awaitCampaign then
    contact[${C.awaitingAt}] = atText
    contact[${C.awaitingBuckets}] = bucket.ids
    contact[${C.awaitingCampaign}] = awaitCampaign
  elseif awaitCampaign == false then
    contact[${C.awaitingAt}] = ''
    contact[${C.awaitingBuckets}] = ''
    contact[${C.awaitingCampaign}] = ''
  end
  writeState(key, contact, true)
  markActive(phone, contact[${C.lastActivityAt}])
end

-- Cost per message in millionths: the campaign's, else the instance's, else
-- the default. Each cost is read once per batch.
local campaignCosts, instanceCosts = {}, {}
local function costOf(campaign, instance)
  if campaign ~= '' then
    local cost = campaignCosts[campaign]
    if cost == nil then
      cost = call('HGET', costsKey, 'c:' .. campaign)
      campaignCosts[campaign] = cost
    end
    if cost then return tonumber(cost) end
  end
  if instance ~= '' then
    local cost = instanceCosts[instance]
    if cost == nil then
      cost = call('HGET', costsKey, 'i:' .. instance)
      instanceCosts[instance] = cost
    end
    if cost then return tonumber(cost) end
  end
  return defaultCost
end
`;

/**
 * Queued. Fields: jobId, phone, campaign, instance. Returns 1 when counted,
 * 0 when the job was already queued.
 */
const QUEUED = `
local function recordQueued(i)
  local key, phone, campaign, instance = messageKey(A[i]), A[i + 1], A[i + 2], A[i + 3]
  local old = writeMessageIfAbsent(key, ${messageText({
		queued: "'1'",
		campaign: 'campaign',
		phone: 'phone',
		instance: 'instance',
	})})
  if old then
    if old[${M.queued}] ~= '' then return 0 end
    old[${M.queued}] = '1'
    old[${M.campaign}] = campaign
    old[${M.phone}] = phone
    old[${M.instance}] = instance
    writeState(key, old, true)
  end
  addNow(QUEUED_ONE, campaign, QUEUED_ONE)
  return 1
end
`;

/**
 * Sent. Fields: jobId, messageId, phone, campaign, instance, processingMs
 * (-1 when unknown), attempts (0 when unknown), then the gateway ids of
 * further parts of a split text (with a job id only). Returns 1 when
 * counted.
 */
const SENT = `
-- Links the gateway ids to the state key and returns the highest level of
-- the receipts that came first, or nil when the id already belongs to a
-- job, which counted the send.
local function linkSent(isJob, state, messageId, from, last)
  local pending = 0
  if messageId ~= '' then
    local link = gatewayKey(messageId)
    local old = call('SET', link, state, 'EX', stateTtl, 'GET')
    if old and string.byte(old, 1) == 35 then
      pending = tonumber(string.sub(old, 2))
    elseif old and old ~= state and not isJob then
      call('SET', link, old, 'EX', stateTtl)
      return nil
    end
  end
  if isJob then
    -- Receipts for any part of a split text count for the one message.
    for k = from, last do
      local old = call('SET', gatewayKey(A[k]), state, 'EX', stateTtl, 'GET')
      if old and string.byte(old, 1) == 35 then
        pending = max(pending, tonumber(string.sub(old, 2)))
      end
    end
  end
  return pending
end

-- Marks a message state sent; the caller writes it. Returns whether the
-- message was queued before and the retries not counted yet. On a new
-- state it counts nothing.
local function markSent(st, phone, campaign, instance, messageId, attempts)
  if st[${M.failed}] ~= '' then
    addStored(st[${M.failedBuckets}], FAILED_UNDO, campaign, FAILED_UNDO)
  end
  if st[${M.cancelled}] ~= '' then
    addStored(st[${M.cancelledBuckets}], CANCELLED_UNDO, campaign, CANCELLED_UNDO)
  end
  local isQueued, retries = st[${M.queued}] ~= '', 0
  local lastFailed = tonumber(st[${M.lastFailedAttempt}]) or 0
  if attempts > 0 then
    retries = max(0, attempts - 1 - lastFailed)
    if attempts - 1 > lastFailed then st[${M.lastFailedAttempt}] = intText(attempts - 1) end
  end
  if st[${M.lastFailedAttempt}] == '' then st[${M.lastFailedAttempt}] = '0' end
  st[${M.sent}] = '1'
  st[${M.queued}] = '1'
  st[${M.sentBuckets}] = bucket.ids
  st[${M.campaign}] = campaign
  st[${M.phone}] = phone
  st[${M.instance}] = instance
  st[${M.messageId}] = messageId
  st[${M.failed}], st[${M.failedBuckets}] = '', ''
  st[${M.cancelled}], st[${M.cancelledBuckets}] = '', ''
  return isQueued, retries
end

-- Records the send in the message state at key, written new when the key
-- does not exist. pending is the level of receipts that came first.
-- Returns nil when the message was sent before, else whether it was
-- queued, the retries not counted yet, and the campaign.
local function sendState(key, pending, phone, campaign, instance, messageId, attempts)
  local old
  if pending == 0 then
    local lastFailed = '0'
    if attempts > 1 then lastFailed = intText(attempts - 1) end
    old = writeMessageIfAbsent(key, ${messageText({
			queued: "'1'",
			sent: "'1'",
			sentBuckets: 'bucket.ids',
			campaign: 'campaign',
			phone: 'phone',
			instance: 'instance',
			messageId: 'messageId',
			lastFailedAttempt: 'lastFailed',
		})})
    if not old then return false, max(0, attempts - 1), campaign end
  else
    local st = newMessage()
    local isQueued, retries = markSent(st, phone, campaign, instance, messageId, attempts)
    local receipt = receiptFields(st, pending)
    if #receipt > 0 then markReceipt(st, pending) end
    old = writeMessageIfAbsent(key, concat(st, '\\030'))
    if not old then
      if #receipt > 0 then countReceipt(st, receipt, campaign) end
      return isQueued, retries, campaign
    end
  end
  if campaign == '' then campaign = old[${M.campaign}] end
  if old[${M.sent}] ~= '' then
    if pending > 0 and applyReceipt(old, pending, campaign) == 1 then
      writeState(key, old, false)
    end
    return nil
  end
  local isQueued, retries = markSent(old, phone, campaign, instance, messageId, attempts)
  if pending > 0 then applyReceipt(old, pending, campaign) end
  writeState(key, old, true)
  return isQueued, retries, campaign
end

local function recordSent(i, last)
  local jobId, messageId, phone, campaign, instance = A[i], A[i + 1], A[i + 2], A[i + 3], A[i + 4]
  local processingMs, attempts = A[i + 5], tonumber(A[i + 6])
  local isQueued, retries = false, 0

  if jobId ~= '' or messageId ~= '' then
    local key = stateKeyOf(jobId, messageId)
    local pending = linkSent(jobId ~= '', key, messageId, i + 7, last)
    if not pending then return 0 end
    isQueued, retries, campaign =
      sendState(key, pending, phone, campaign, instance, messageId, attempts)
    if isQueued == nil then return 0 end
  end

  local cost = costOf(campaign, instance)
  local key, contact, isNew, lastAt, isFresh = openContact(phone, freshContact(campaign, true, ''))
  local g, c = nowCounters(campaign, '${F.sent}')
  ${inc('g', F.sent)}
  if not isQueued then ${inc('g', F.queued)} end
  if retries > 0 then ${inc('g', F.retries, 'retries')} end
  if cost > 0 then ${inc('g', F.costMicros, 'cost')} end
  if processingMs ~= '-1' then
    ${inc('g', F.processingMs, 'tonumber(processingMs)')}
  else
    ${inc('g', F.untimedSent)}
  end
  if isNew then ${inc('g', F.conversationsStarted)} end
  if c then
    ${inc('c', F.sent)}
    if not isQueued then ${inc('c', F.queued)} end
    if retries > 0 then ${inc('c', F.retries, 'retries')} end
    if cost > 0 then ${inc('c', F.costMicros, 'cost')} end
  end

  addMessaged(phone)
  countContactMessage(phone, contact, isFresh)
  local awaiting = nil
  if not isFresh then
    local awaitingAt = tonumber(contact[${C.awaitingAt}])
    if not awaitingAt or atMs >= awaitingAt then awaiting = campaign end
  end
  saveContact(phone, key, contact, isNew, lastAt, awaiting, isFresh)
  return 1
end
`;

/**
 * Attempt failed. Fields: jobId, campaign, attempt number. Counts the
 * retries up to this attempt that were not counted yet, and returns that
 * number.
 */
const ATTEMPT_FAILED = `
local function recordAttemptFailed(i)
  local key = messageKey(A[i])
  local st = readMessage(key)
  if st[${M.sent}] ~= '' or st[${M.failed}] ~= '' then return 0 end
  local campaign, attempt = A[i + 1], tonumber(A[i + 2])
  if campaign == '' then campaign = st[${M.campaign}] end
  local lastFailed = tonumber(st[${M.lastFailedAttempt}]) or 0
  if attempt <= lastFailed then return 0 end
  local fields = {'${F.retries}', attempt - lastFailed}
  addNow(fields, campaign, fields)
  st[${M.lastFailedAttempt}] = A[i + 2]
  st[${M.campaign}] = campaign
  writeState(key, st, true)
  return attempt - lastFailed
end
`;

/**
 * Dead-lettered. Fields: jobId, messageId, phone, campaign, instance,
 * attempts (0 when unknown). Returns 1 when counted, 0 when already failed,
 * -1 when already sent.
 */
const DEAD_LETTERED = `
local function recordDeadLettered(i)
  local jobId, messageId, phone, campaign, instance = A[i], A[i + 1], A[i + 2], A[i + 3], A[i + 4]
  local attempts = tonumber(A[i + 5])
  local fields = {'${F.failed}', 1}
  if jobId == '' and messageId == '' then
    push(fields, '${F.queued}', 1)
    addNow({'${F.failed}', 1, '${F.queued}', 1, '${F.deadLettered}', 1}, campaign, fields)
    return 1
  end
  local key = stateKeyOf(jobId, messageId)
  local st = readMessage(key)
  if st[${M.sent}] ~= '' then return -1 end
  if st[${M.failed}] ~= '' then return 0 end
  if campaign == '' then campaign = st[${M.campaign}] end
  if st[${M.queued}] == '' then push(fields, '${F.queued}', 1) end
  if st[${M.cancelled}] ~= '' then
    addStored(st[${M.cancelledBuckets}], CANCELLED_UNDO, campaign, CANCELLED_UNDO)
  end
  local lastFailed = tonumber(st[${M.lastFailedAttempt}]) or 0
  if attempts > 0 then
    local retries = max(0, attempts - 1 - lastFailed)
    if retries > 0 then push(fields, '${F.retries}', retries) end
    lastFailed = max(lastFailed, attempts)
  end
  local globalFields = {'${F.deadLettered}', 1}
  for k = 1, #fields do globalFields[#globalFields + 1] = fields[k] end
  addNow(globalFields, campaign, fields)
  st[${M.failed}] = '1'
  st[${M.failedBuckets}] = bucket.ids
  st[${M.queued}] = '1'
  st[${M.lastFailedAttempt}] = intText(lastFailed)
  st[${M.campaign}] = campaign
  st[${M.phone}] = phone
  st[${M.instance}] = instance
  st[${M.cancelled}], st[${M.cancelledBuckets}] = '', ''
  writeState(key, st, true)
  return 1
end
`;

/**
 * Requeued. Fields: jobId, campaign. Moves a dead-lettered message back to
 * pending: decrements failed where it was counted. Returns 1 when it did, 0
 * when the message was not failed.
 */
const REQUEUED = `
local function recordRequeued(i)
  local key = messageKey(A[i])
  local st = readMessage(key)
  if st[${M.failed}] == '' then return 0 end
  local campaign = A[i + 1]
  if campaign == '' then campaign = st[${M.campaign}] end
  addStored(st[${M.failedBuckets}], FAILED_UNDO, campaign, FAILED_UNDO)
  addNow(REQUEUED_ONE, campaign, REQUEUED_ONE)
  st[${M.failed}], st[${M.failedBuckets}] = '', ''
  st[${M.lastFailedAttempt}] = '0'
  writeState(key, st, true)
  return 1
end
`;

/**
 * Cancelled. Fields: jobId, phone, campaign, instance. Returns 1 when
 * counted, 0 when the message had already ended.
 */
const CANCELLED = `
local function recordCancelled(i)
  local key = messageKey(A[i])
  local st = readMessage(key)
  if st[${M.sent}] ~= '' or st[${M.failed}] ~= '' or st[${M.cancelled}] ~= '' then return 0 end
  local campaign = A[i + 2]
  if campaign == '' then campaign = st[${M.campaign}] end
  local fields = {'${F.cancelled}', 1}
  if st[${M.queued}] == '' then push(fields, '${F.queued}', 1) end
  addNow(fields, campaign, fields)
  st[${M.cancelled}] = '1'
  st[${M.cancelledBuckets}] = bucket.ids
  st[${M.queued}] = '1'
  st[${M.campaign}] = campaign
  st[${M.phone}] = A[i + 1]
  st[${M.instance}] = A[i + 3]
  writeState(key, st, true)
  return 1
end
`;

/**
 * Receipt. Fields: messageId, level (2 sent, 3 delivered, 4 read), mode
 * (webhook or manual), campaign, phone. Returns {result, state key,
 * campaign, phone} where result is 1 counted, 0 nothing new, -1 unknown
 * message id (a webhook receipt is kept for an hour in case the send is
 * recorded late), -2 the message state has expired.
 */
const RECEIPT = `
local function recordReceipt(i)
  local messageId, levelText, mode, campaign, phone = A[i], A[i + 1], A[i + 2], A[i + 3], A[i + 4]
  local level = tonumber(levelText)
  local link = gatewayKey(messageId)
  local target = call('GET', link)
  local key, st, renew
  if target and string.byte(target, 1) ~= 35 then
    local exists
    key = target
    st, exists = readMessage(key)
    if not exists then return {-2, key, '', ''} end
  elseif mode == 'webhook' then
    local pendingLevel = 0
    if target then pendingLevel = tonumber(string.sub(target, 2)) end
    if level >= 3 and level > pendingLevel then
      call('SET', link, '#' .. levelText, 'EX', '${PENDING_RECEIPT_TTL_SECONDS}')
    end
    return {-1, '', '', ''}
  else
    -- A manual receipt for a message not tracked as sent keeps its own state.
    key = gatewayStateKey(messageId)
    call('SET', link, key, 'EX', stateTtl)
    st = readMessage(key)
    st[${M.campaign}] = campaign
    st[${M.phone}] = phone
    renew = true
  end
  if st[${M.campaign}] ~= '' then campaign = st[${M.campaign}] end
  if st[${M.phone}] ~= '' then phone = st[${M.phone}] end
  local result = 0
  if level >= 3 then result = applyReceipt(st, level, campaign) end
  if renew or result == 1 then writeState(key, st, renew) end
  return {result, key, campaign, phone}
end
`;

/**
 * Inbound. Fields: phone, inbound message id ('' to skip deduplication),
 * intent field, sentiment field. Returns {counted, responded, campaign,
 * responseMs}.
 */
const INBOUND = `
local function recordInbound(i)
  local phone, inboundId, intentField, sentimentField = A[i], A[i + 1], A[i + 2], A[i + 3]
  if inboundId ~= '' then
    local fresh = call('SET', inboundKey(inboundId), '1', 'NX', 'EX',
      '${INBOUND_DEDUP_TTL_SECONDS}')
    if not fresh then return {0, 0, '', 0} end
  end
  local key, contact, isNew, lastAt, isFresh = openContact(phone, freshContact(nil, true, ''))
  local g = nowCounters('', '${F.received}')
  ${inc('g', F.received)}
  if intentField ~= '' then g[intentField] = (g[intentField] or 0) + 1 end
  if sentimentField ~= '' then g[sentimentField] = (g[sentimentField] or 0) + 1 end
  if isNew then ${inc('g', F.conversationsStarted)} end
  countContactMessage(phone, contact, isFresh)

  local responded, campaign, responseMs, awaiting = 0, '', 0, nil
  local awaitingAt = nil
  if not isFresh then awaitingAt = tonumber(contact[${C.awaitingAt}]) end
  if awaitingAt and atMs >= awaitingAt then
    local awaitingBuckets = contact[${C.awaitingBuckets}]
    responded = 1
    responseMs = atMs - awaitingAt
    campaign = contact[${C.awaitingCampaign}]
    addStored(awaitingBuckets, {'${F.responses}', 1, '${F.responseMs}', responseMs},
      campaign, {'${F.responses}', 1})
    local day = string.match(awaitingBuckets, ':(%d+)$')
    if day then addReplied(day, phone) end
    awaiting = false
  end
  saveContact(phone, key, contact, isNew, lastAt, awaiting, isFresh)
  return {1, responded, campaign, responseMs}
end
`;

/**
 * Conversation. Fields: phone, action (start, end or handoff), direction (in
 * or out) or end reason. Returns 1 when something was counted.
 */
const CONVERSATION = `
local function recordConversation(i)
  local phone, action, detail = A[i], A[i + 1], A[i + 2]
  if action == 'start' or action == 'handoff' then
    local handedOff = ''
    if action == 'handoff' then handedOff = '1' end
    local key, contact, isNew, lastAt, isFresh = openContact(phone, freshContact(nil, false, handedOff))
    if isNew then
      local g = nowCounters('', '${F.conversationsStarted}')
      ${inc('g', F.conversationsStarted)}
    end
    -- A handoff counts once per conversation, in the buckets where it started.
    local isHandoff, startedIn = action == 'handoff', bucket.ids
    if not isFresh then
      isHandoff = isHandoff and contact[${C.handedOff}] == ''
      if isHandoff then contact[${C.handedOff}] = '1' end
      saveContact(phone, key, contact, isNew, lastAt, nil, false)
      startedIn = contact[${C.conversationBuckets}]
    else
      markActive(phone, atText)
    end
    if action == 'start' then
      if isNew then return 1 end
      return 0
    end
    if not isHandoff then return 0 end
    addStored(startedIn, HANDOFF_ONE, '', NO_FIELDS)
    return 1
  end
  local key = contactKey(phone)
  local contact = readContactState(key)
  if contact[${C.conversationStartedAt}] == '' then return 0 end
  setActive(phone, false)
  local lastAt = tonumber(contact[${C.lastActivityAt}]) or 0
  if atMs - lastAt > timeoutMs then
    endTimedOut(contact)
    writeState(key, contact, false)
    return 0
  end
  local fields = {'${F.conversationsEnded}', 1, 'end_' .. detail, 1}
  if detail == 'handoff' and contact[${C.handedOff}] == '' then
    push(fields, '${F.handoffs}', 1)
  end
  addStored(contact[${C.conversationBuckets}], fields, '', NO_FIELDS)
  contact[${C.conversationStartedAt}] = ''
  contact[${C.conversationBuckets}] = ''
  contact[${C.handedOff}] = ''
  writeState(key, contact, false)
  return 1
end
`;

/**
 * Plain counters without per-message state: conversions and campaign events.
 * Fields: campaign, withGlobal (1 or 0), then field and amount pairs.
 * Returns 1.
 */
const COUNT = `
local function recordCount(i, last)
  local campaign, withGlobal = A[i], A[i + 1]
  local fields = {}
  for k = i + 2, last, 2 do push(fields, A[k], tonumber(A[k + 1])) end
  if withGlobal == '1' then
    addNow(fields, campaign, fields)
  else
    addNow(NO_FIELDS, campaign, fields)
  end
  return 1
end
`;

/** Operation codes of the events the recording script takes. */
export const OP = {
	queued: 'q',
	sent: 's',
	attemptFailed: 'a',
	deadLettered: 'd',
	requeued: 'r',
	cancelled: 'x',
	receipt: 'g',
	inbound: 'i',
	conversation: 'c',
	count: 'n',
} as const;

/** Operation code of one event. */
export type OpCode = (typeof OP)[keyof typeof OP];

/** Every handler and the table that maps operation codes to them. */
export const EVENT_HANDLERS = `${HELPERS}${QUEUED}${SENT}${ATTEMPT_FAILED}${DEAD_LETTERED}
${REQUEUED}${CANCELLED}${RECEIPT}${INBOUND}${CONVERSATION}${COUNT}
local handlers = {
  ['${OP.queued}'] = recordQueued,
  ['${OP.sent}'] = recordSent,
  ['${OP.attemptFailed}'] = recordAttemptFailed,
  ['${OP.deadLettered}'] = recordDeadLettered,
  ['${OP.requeued}'] = recordRequeued,
  ['${OP.cancelled}'] = recordCancelled,
  ['${OP.receipt}'] = recordReceipt,
  ['${OP.inbound}'] = recordInbound,
  ['${OP.conversation}'] = recordConversation,
  ['${OP.count}'] = recordCount,
}
`;
