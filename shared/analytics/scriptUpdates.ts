/**
 * Lua that reads the common arguments of a batch and merges the counter and
 * set updates of its events, to write each one once at the end of the
 * script. Events read and write their state right away, in order (see
 * `scriptState`), so a later event of the batch reads what an earlier one
 * wrote. Only updates that no event reads back wait for the end:
 *
 * - bucket increments, summed per key and field, one HINCRBY per pair;
 * - the new buckets' expiry and campaign lists, once per new key;
 * - scores of the active-conversations set, the last one per contact;
 * - the day's HyperLogLogs, one PFADD per key;
 * - the day's busiest-contacts scores, taken from the count of the day's
 *   messages kept in contact state, in one ZADD per key;
 * - the sweep of timed-out conversations and the trim of the busiest
 *   contacts, which run as often as unbatched events would run them: once
 *   for each multiple of the interval that a day counter passes.
 *
 * Increments go first to the buckets of the events' own time, which they
 * create, and then to buckets named in stored state, which they only touch
 * while those exist. So a receipt in the same batch as its send finds the
 * bucket the send created.
 *
 * Arguments given to `redis.call` are strings: Redis 7.0 formats a Lua
 * number argument with `%.17g`, which costs more than the command itself.
 */

import { FIELD as F } from './counters';
import { luaKeyBuilders } from './keys';
import { CONTACT as C } from './scriptState';

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

/** Values per Redis call when a script passes a list, well under Lua's stack limit. */
const CHUNK = 1000;

/**
 * Reads the common arguments, packed as `packBatch` writes them: the header
 * and the batch's buckets. Sets `nextArg` to the first event.
 */
export const BATCH_PRELUDE = `
local call = redis.call
local A = {}
local argCount = 0
for value in string.gmatch(ARGV[1], '([^\\031]*)\\031') do
  argCount = argCount + 1
  A[argCount] = value
end
local base = A[1]
local nowText = A[2]
local keepSeconds = A[3]
local stateTtl = A[4]
local timeoutMs = tonumber(A[5])
local defaultCost = tonumber(A[6])
${luaKeyBuilders()}

-- Buckets of the batch's events, by the index events give as a string.
-- An expiry of '0' marks a bucket past retention, which is not counted.
local bucketList, buckets = {}, {}
local nextArg = 8
for index = 1, tonumber(A[7]) do
  local hourId, dayId = A[nextArg], A[nextArg + 1]
  local hourExp, dayExp = A[nextArg + 2], A[nextArg + 3]
  local b = {
    hourId = hourId, dayId = dayId, hourExp = hourExp, dayExp = dayExp,
    isHourKept = hourExp ~= '0', isDayKept = dayExp ~= '0',
    ids = hourId .. ':' .. dayId, hourKey = hourKey(hourId), dayKey = dayKey(dayId),
    global = {}, counting = {}, campaigns = {}, campaignOrder = {},
  }
  bucketList[index] = b
  buckets[tostring(index)] = b
  nextArg = nextArg + 4
end

-- The event being recorded: its time (epoch ms, as a number and as given)
-- and its buckets.
local atMs, atText, bucket = tonumber(nowText), nowText, nil

local format = string.format
local function intText(n)
  if n == 1 then return '1' end
  return format('%d', n)
end
local function max(a, b) if a > b then return a end return b end
local function push(list, field, amount) list[#list + 1] = field; list[#list + 1] = amount end

-- Calls command with key and the values of list, in chunks.
local function callChunked(command, key, list)
  for first = 1, #list, ${CHUNK} do
    call(command, key, unpack(list, first, math.min(#list, first + ${CHUNK - 1})))
  end
end
`;

const COUNTERS = `
local function add(counters, field, amount)
  counters[field] = (counters[field] or 0) + amount
end

local function addAll(counters, fields)
  for i = 1, #fields, 2 do
    local field = fields[i]
    counters[field] = (counters[field] or 0) + fields[i + 1]
  end
end

-- Returns the counters of one campaign of a bucket or stored-bucket entry.
local function campaignCounters(owner, campaign)
  local counters = owner.campaigns[campaign]
  if not counters then
    counters = {}
    owner.campaigns[campaign] = counters
    owner.campaignOrder[#owner.campaignOrder + 1] = campaign
  end
  return counters
end

-- Returns the counters of the event's hour and day: the global ones, and
-- the campaign's unless campaign is ''. countingField is the field whose
-- day counter counts the event for the sweep and trim intervals.
local function nowCounters(campaign, countingField)
  local b = bucket
  if countingField then b.counting[countingField] = true end
  if campaign == '' then return b.global, nil end
  return b.global, campaignCounters(b, campaign)
end

-- Adds globalFields to the global hour and day of the event, and
-- campaignFields to the campaign's hour and day.
local function addNow(globalFields, campaign, campaignFields)
  if #campaignFields == 0 then campaign = '' end
  local g, c = nowCounters(campaign, globalFields[1])
  addAll(g, globalFields)
  if c then addAll(c, campaignFields) end
end

local storedList, storedByIds = {}, {}

-- Adds to the buckets named by stored 'hourId:dayId' ids.
local function addStored(ids, globalFields, campaign, campaignFields)
  if not ids or ids == '' then return end
  local s = storedByIds[ids]
  if s == nil then
    local h, d = string.match(ids, '^(%d+):(%d+)$')
    s = false
    if h then
      s = {hourId = h, dayId = d, global = {}, campaigns = {}, campaignOrder = {}}
      storedList[#storedList + 1] = s
    end
    storedByIds[ids] = s
  end
  if not s then return end
  addAll(s.global, globalFields)
  if campaign and campaign ~= '' and #campaignFields > 0 then
    addAll(campaignCounters(s, campaign), campaignFields)
  end
end
`;

const SETS = `
-- Scores of the active-conversations set by contact; false removes the contact.
local activeOrder, activeScores = {}, {}
local function setActive(phone, score)
  if activeScores[phone] == nil then activeOrder[#activeOrder + 1] = phone end
  activeScores[phone] = score
end

-- The latest time of an event that touched a contact; 0 when none did.
local sweepAtMs = 0

-- Sweeps due, and days whose busiest contacts are due for a trim.
local sweepsDue, trimDays = 0, {}

local dayOrder, daySets = {}, {}
local function daySetsOf(dayId)
  local sets = daySets[dayId]
  if not sets then
    sets = {messaged = {}, contacts = {}, scores = {}, added = {}}
    daySets[dayId] = sets
    dayOrder[#dayOrder + 1] = dayId
  end
  return sets
end

-- Adds a contact to the HyperLogLog of the event's day.
local function addMessaged(phone)
  if not bucket.isDayKept then return end
  local messaged = daySetsOf(bucket.dayId).messaged
  messaged[#messaged + 1] = phone
end

-- Counts one message in or out for the day's busiest contacts. The contact
-- state keeps the count of the contact's latest day, which becomes its
-- score in that day's set; a message on an earlier day adds 1 to that
-- day's score instead. fresh tells a state written new for this event,
-- which holds a count of 1 already; contact is nil then.
local function countContactMessage(phone, contact, fresh)
  if not bucket.isDayKept then return end
  local day = bucket.dayId
  local sets = daySetsOf(day)
  local count = 1
  if not fresh then
    local lastDay = contact[${C.messageDay}]
    if lastDay == day then
      count = (tonumber(contact[${C.messageDayCount}]) or 0) + 1
      contact[${C.messageDayCount}] = intText(count)
    elseif lastDay == '' or lastDay < day then
      contact[${C.messageDayCount}], contact[${C.messageDay}] = '1', day
    else
      sets.added[phone] = (sets.added[phone] or 0) + 1
      return
    end
  end
  if not sets.scores[phone] then sets.contacts[#sets.contacts + 1] = phone end
  sets.scores[phone] = count
end

local repliedOrder, repliedByDay = {}, {}
local function addReplied(dayId, phone)
  local replied = repliedByDay[dayId]
  if not replied then
    replied = {}
    repliedByDay[dayId] = replied
    repliedOrder[#repliedOrder + 1] = dayId
  end
  replied[#replied + 1] = phone
end

local TIMEOUT_FIELDS = {'${F.conversationsEnded}', 1, '${F.endedTimeout}', 1}
local NO_FIELDS = {}

-- Ends a contact's conversation as timed out; the caller writes the state.
local function endTimedOut(contact)
  addStored(contact[${C.conversationBuckets}], TIMEOUT_FIELDS, '', NO_FIELDS)
  contact[${C.conversationStartedAt}] = ''
  contact[${C.conversationBuckets}] = ''
  contact[${C.handedOff}] = ''
end

-- Ends up to limit conversations whose last activity is more than the
-- timeout before refMs, and drops them from the active set.
local function sweepConversations(limit, refMs)
  local stale = call('ZRANGEBYSCORE', conversationsKey, '-inf', intText(refMs - timeoutMs),
    'LIMIT', '0', intText(limit))
  for _, member in ipairs(stale) do
    local key = contactKey(member)
    local contact = readContactState(key)
    local lastAt = tonumber(contact[${C.lastActivityAt}]) or 0
    if contact[${C.conversationStartedAt}] ~= '' and refMs - lastAt > timeoutMs then
      endTimedOut(contact)
      writeState(key, contact, false)
    end
  end
  callChunked('ZREM', conversationsKey, stale)
  return #stale
end
`;

const APPLY = `
-- Returns how many multiples of interval a counter passed on its way from
-- value - amount to value.
local function multiplesPassed(value, amount, interval)
  return math.floor(value / interval) - math.floor((value - amount) / interval)
end

-- Adds counters to a bucket hash and returns whether the key is new: the
-- first field written comes back equal to its amount only when it was
-- absent. On a day bucket, counting names the fields that count events for
-- the sweep and trim intervals.
local function incrementAll(key, counters, counting, dayId)
  local isNew = nil
  for field, amount in pairs(counters) do
    if amount ~= 0 then
      local value = call('HINCRBY', key, field, intText(amount))
      if isNew == nil then isNew = value == amount end
      if counting and counting[field] and amount > 0 then
        sweepsDue = sweepsDue + multiplesPassed(value, amount, ${SWEEP_INTERVAL})
        if multiplesPassed(value, amount, ${BUSIEST_TRIM_INTERVAL}) > 0 then
          trimDays[dayId] = true
        end
      end
    end
  end
  return isNew == true
end

-- A new day bucket creates the day's contact sets with the same expiry, so
-- later PFADD and ZINCRBY calls never make a key without one. The empty
-- member keeps the busiest-contacts set in existence; reads skip it.
local function createDaySets(dayId, expireAt)
  local messaged = messagedKey(dayId)
  call('PFADD', messaged)
  call('EXPIREAT', messaged, expireAt)
  local busiest = busiestKey(dayId)
  call('ZADD', busiest, 'NX', '0', '')
  call('EXPIREAT', busiest, expireAt)
end

-- A new bucket gets its expiry, and a new campaign bucket is listed for
-- the campaign.
local function addToCampaignBucket(key, counters, expireAt, campaign)
  if incrementAll(key, counters) then
    call('EXPIREAT', key, expireAt)
    local list = campaignBucketsKey(campaign)
    call('SADD', list, key)
    call('EXPIRE', list, keepSeconds)
    call('ZADD', campaignsKey, nowText, campaign)
  end
end

local function applyNow()
  for _, b in ipairs(bucketList) do
    if b.isHourKept and incrementAll(b.hourKey, b.global) then
      call('EXPIREAT', b.hourKey, b.hourExp)
    end
    if b.isDayKept and incrementAll(b.dayKey, b.global, b.counting, b.dayId) then
      call('EXPIREAT', b.dayKey, b.dayExp)
      createDaySets(b.dayId, b.dayExp)
    end
    for _, campaign in ipairs(b.campaignOrder) do
      local counters = b.campaigns[campaign]
      if b.isHourKept then
        addToCampaignBucket(campaignHourKey(b.hourId, campaign), counters, b.hourExp, campaign)
      end
      if b.isDayKept then
        addToCampaignBucket(campaignDayKey(b.dayId, campaign), counters, b.dayExp, campaign)
      end
    end
  end
end

local function applyActive()
  local scores, removed = {}, {}
  for _, phone in ipairs(activeOrder) do
    local score = activeScores[phone]
    if score then
      scores[#scores + 1] = score
      scores[#scores + 1] = phone
    else
      removed[#removed + 1] = phone
    end
  end
  callChunked('ZADD', conversationsKey, scores)
  callChunked('ZREM', conversationsKey, removed)
end

-- A bucket that has expired is not created again, so a late update never
-- leaves a key without expiry.
local function addToExisting(key, counters)
  if next(counters) == nil or call('EXISTS', key) == 0 then return end
  for field, amount in pairs(counters) do
    if amount ~= 0 then call('HINCRBY', key, field, intText(amount)) end
  end
end

local function applyStored()
  for _, s in ipairs(storedList) do
    addToExisting(hourKey(s.hourId), s.global)
    addToExisting(dayKey(s.dayId), s.global)
    for _, campaign in ipairs(s.campaignOrder) do
      addToExisting(campaignHourKey(s.hourId, campaign), s.campaigns[campaign])
      addToExisting(campaignDayKey(s.dayId, campaign), s.campaigns[campaign])
    end
  end
end

-- Scores only rise (GT): a state that lost its count, such as one written
-- before counts were kept, never lowers a score counted before.
local function applyBusiest(dayId, sets)
  local key = busiestKey(dayId)
  local scored = {}
  for _, member in ipairs(sets.contacts) do
    scored[#scored + 1] = intText(sets.scores[member])
    scored[#scored + 1] = member
  end
  for first = 1, #scored, ${CHUNK} do
    call('ZADD', key, 'GT', unpack(scored, first, math.min(#scored, first + ${CHUNK - 1})))
  end
  for member, amount in pairs(sets.added) do
    call('ZINCRBY', key, intText(amount), member)
  end
  if trimDays[dayId] then
    local size = call('ZCARD', key)
    if size > ${BUSIEST_CONTACTS_KEPT} then
      call('ZREMRANGEBYRANK', key, '0', intText(size - ${BUSIEST_CONTACTS_KEPT + 1}))
    end
  end
end

local function applyDaySets()
  for _, dayId in ipairs(dayOrder) do
    local sets = daySets[dayId]
    callChunked('PFADD', messagedKey(dayId), sets.messaged)
    applyBusiest(dayId, sets)
  end
  -- Replies count for a day whose sends are still retained, and expire with them.
  for _, dayId in ipairs(repliedOrder) do
    local ttl = call('PTTL', messagedKey(dayId))
    if ttl > 0 then
      local replied = repliedKey(dayId)
      callChunked('PFADD', replied, repliedByDay[dayId])
      call('PEXPIRE', replied, intText(ttl))
    end
  end
end

-- Writes every merged update. The sweep runs after the active set has its
-- new scores, and before stored increments, which it adds to.
local function applyUpdates()
  applyNow()
  applyActive()
  if sweepAtMs > 0 and sweepsDue > 0 then
    sweepConversations(${SWEEP_BATCH} * sweepsDue, sweepAtMs)
  end
  applyStored()
  applyDaySets()
end
`;

/** Counters, sets and the function that writes them. Needs `BATCH_PRELUDE` and `STATE_IO`. */
export const MERGED_UPDATES = COUNTERS + SETS + APPLY;
