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
 * KEYS: limiter, sendWindow, settings, bull meta, bull wait, bull prioritized,
 *       bull delayed
 * ARGV: now ms, want, default max, default duration ms, default jitter,
 *       catch-up ms, random number in [0, 1), '1' to grant slots even when no
 *       job is waiting (for the later parts of a split text)
 * Returns { granted, waitMs, state, tat, base, interval } where state is
 * `ok`, `paused`, `throttled`, `empty` or `limited`. For `empty`, waitMs is
 * the time until the next delayed job is due, or -1 when there is none.
 */
export const CLAIM_SLOTS_LUA = `
local limiterKey, windowKey, settingsKey = KEYS[1], KEYS[2], KEYS[3]
local metaKey, waitKey, prioritizedKey, delayedKey = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[2])

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
-- be at least one window old. The window is stretched by a guard of 1 % (at
-- most 25 ms), because a request reaches the gateway a few ms after its claim
-- and that delay varies from send to send.
local window = duration + math.min(25, duration * 0.01)
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
for _ = 1, granted do
  redis.call('LPUSH', windowKey, now)
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
 * ARGV: deadline ms, now ms
 * Returns the deadline in force.
 */
export const THROTTLE_LUA = `
local current = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0')
local deadline = tonumber(ARGV[1])
if deadline > current then
  redis.call('HSET', KEYS[1], 'pausedUntil', deadline)
  current = deadline
end
local ttl = math.ceil(current - tonumber(ARGV[2])) + 60000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return current
`;
