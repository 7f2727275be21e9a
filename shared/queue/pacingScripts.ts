/**
 * Lua scripts of the per-instance pacer. Each script touches only the keys of
 * one instance, which share a hash tag, so they run on Redis Cluster too. They
 * read BullMQ's `meta`, `wait`, `prioritized` and `delayed` keys of that
 * instance but never write them.
 */

/**
 * Grants up to `want` send slots to the caller.
 *
 * Slots follow a schedule with one slot every `duration / max` ms. A caller
 * that is behind the schedule by up to `catchUpMs` still gets the slots it
 * missed, so timer lateness does not lower the rate. On top of the schedule,
 * a list of recent start times caps the starts in any window of `duration` ms
 * at `max`.
 *
 * The clock is Redis's own TIME, so claims of all workers are ordered by one
 * clock. A send starts some time after its claim, and that delay varies; if an
 * earlier send started late and a later one early, both could fall into one
 * window. So the window is stretched by a guard: 1 % of the duration (at most
 * 25 ms), or the largest claim-to-send delay a worker reported in the last
 * one to two periods, whichever is larger. A period is 10 s, or the duration
 * plus a second when that is longer, so a late send counts until it has left
 * the window. A busy machine thus sends a little slower instead of crowding
 * the window. Some sends start later than their worker has measured, such
 * as a process's first sends, which run code for the first time. For those
 * the caller passes an allowance, and its slots count in the window as if
 * they started that much later.
 *
 * KEYS: limiter, sendWindow, settings, bull meta, bull wait, bull prioritized,
 *       bull delayed
 * ARGV: now ms or '' for Redis TIME, want, default max, default duration ms,
 *       default jitter, catch-up ms, random number in [0, 1), '1' to grant
 *       slots even when no job is waiting (for the later parts of a split
 *       text), claim-to-send delay ms, allowance ms
 * Returns { granted, waitMs, state, tat, base, interval } where state is
 * `ok`, `paused`, `throttled`, `empty` or `limited`. For `empty`, waitMs is
 * the time until the next delayed job is due, or -1 when there is none.
 */
export const CLAIM_SLOTS_LUA = `
local limiterKey, windowKey, settingsKey = KEYS[1], KEYS[2], KEYS[3]
local metaKey, waitKey, prioritizedKey, delayedKey = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now = tonumber(ARGV[1])
if ARGV[1] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local want = tonumber(ARGV[2])
local lag = tonumber(ARGV[9])

if redis.call('HEXISTS', metaKey, 'paused') == 1 then
  return {0, -1, 'paused', '', '', ''}
end

local pausedUntil = tonumber(redis.call('HGET', limiterKey, 'pausedUntil') or '0')
if pausedUntil > now then
  return {0, math.ceil(pausedUntil - now), 'throttled', '', '', ''}
end

local ready = want
if ARGV[8] ~= '1' then
  ready = redis.call('LLEN', waitKey) + redis.call('ZCARD', prioritizedKey)
  if ready < want then
    -- BullMQ scores a delayed job as its due time in ms * 4096 plus a counter.
    ready = ready + redis.call('ZCOUNT', delayedKey, 0, (now + 1) * 4096 - 1)
  end
end
if ready == 0 then
  local first = redis.call('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')
  local nextDue = -1
  if first[2] then
    nextDue = math.max(1, math.floor(tonumber(first[2]) / 4096) - now)
  end
  return {0, nextDue, 'empty', '', '', ''}
end

local settings = redis.call('HMGET', settingsKey, 'max', 'duration', 'jitter')
local max = tonumber(settings[1] or ARGV[3])
local duration = tonumber(settings[2] or ARGV[4])
local jitter = tonumber(settings[3] or ARGV[5])
local granted = math.min(want, ready)
if max == 0 then
  return {granted, 0, 'ok', '', '', ''}
end

local interval = duration / max
local tat = tonumber(redis.call('HGET', limiterKey, 'tat') or '0')
-- A caller up to catch-up ms behind the schedule keeps its slot; after a
-- longer idle spell the schedule starts again from now, with no credit.
local base = tat
if tat < now - tonumber(ARGV[6]) then
  base = now
end
if base > now then
  return {0, math.ceil(base - now), 'limited', '', '', ''}
end
granted = math.min(granted, math.floor((now - base) / interval) + 1)

-- The start that falls out of the window when 'granted' more are added must
-- be at least one window plus the guard old.
-- Reported delays are kept as the largest of the current period and of the
-- previous one, so each report counts for at least one period. A late send
-- matters until it leaves the window, so a period is at least a window and
-- a second.
local period = math.max(10000, duration + 1000)
local lagState = redis.call('HMGET', limiterKey, 'lag', 'lagAt', 'lagBefore')
local currentLag = tonumber(lagState[1] or '0')
local periodStart = tonumber(lagState[2] or '0')
local previousLag = tonumber(lagState[3] or '0')
if now - periodStart >= period then
  if now - periodStart >= 2 * period then
    previousLag = 0
  else
    previousLag = currentLag
  end
  currentLag = lag
  redis.call('HSET', limiterKey, 'lag', currentLag, 'lagAt', now, 'lagBefore', previousLag)
elseif lag > currentLag then
  currentLag = lag
  redis.call('HSET', limiterKey, 'lag', currentLag)
end
local worstLag = math.max(currentLag, previousLag)
local window = duration + math.max(math.min(25, duration * 0.01), worstLag)
local length = redis.call('LLEN', windowKey)
while granted > 0 and length > max - granted do
  local started = tonumber(redis.call('LINDEX', windowKey, max - granted))
  if started <= now - window then
    break
  end
  granted = granted - 1
end
if granted == 0 then
  local oldest = tonumber(redis.call('LINDEX', windowKey, max - 1))
  return {0, math.max(1, math.ceil(oldest + window - now)), 'limited', '', '', ''}
end

local nextTat = base + granted * interval * (1 + jitter * tonumber(ARGV[7]))
local tatText = string.format('%.3f', nextTat)
redis.call('HSET', limiterKey, 'tat', tatText)
-- Entries stay in order, so the entry max positions back is the latest of
-- all entries that far back.
local counted = now + tonumber(ARGV[10])
local newest = tonumber(redis.call('LINDEX', windowKey, 0) or '0')
if newest > counted then
  counted = newest
end
for _ = 1, granted do
  redis.call('LPUSH', windowKey, counted)
end
redis.call('LTRIM', windowKey, 0, max - 1)
local ttl = math.ceil(duration + interval) + 60000
if redis.call('PTTL', limiterKey) < ttl then
  redis.call('PEXPIRE', limiterKey, ttl)
end
redis.call('PEXPIRE', windowKey, ttl)
return {granted, 0, 'ok', tatText, string.format('%.3f', base), string.format('%.6f', interval)}
`;

/**
 * Gives back slots that were granted but found no job, when no other caller
 * has claimed since. Otherwise the slots stay used, which can only slow sends.
 *
 * KEYS: limiter, sendWindow
 * ARGV: tat returned by the claim, tat to restore, number of slots to return
 * Returns 1 when the slots were returned, 0 otherwise.
 */
export const RELEASE_SLOTS_LUA = `
if redis.call('HGET', KEYS[1], 'tat') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'tat', ARGV[2])
for _ = 1, tonumber(ARGV[3]) do
  redis.call('LPOP', KEYS[2])
end
return 1
`;

/**
 * Holds all sends of an instance until a deadline, as a gateway's 429 response requests.
 * A later deadline replaces an earlier one, never the reverse.
 *
 * KEYS: limiter
 * ARGV: delay ms, now ms or '' for Redis TIME
 * Returns the deadline in force.
 */
export const THROTTLE_LUA = `
local now = tonumber(ARGV[2])
if ARGV[2] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local current = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0')
local deadline = now + tonumber(ARGV[1])
if deadline > current then
  redis.call('HSET', KEYS[1], 'pausedUntil', deadline)
  current = deadline
end
local ttl = math.ceil(current - now) + 60000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return current
`;
