--[[
  Applies one pre-aggregated Kafka batch of one partition to the speed store, all or nothing.

  KEYS[1]  marker            string; its absence means Redis lost its data
  KEYS[2]  generation        string; the current generation g
  KEYS[3]  offsets           hash partition -> next offset to apply
  KEYS[4…] referenced by index (1-based into KEYS) from ARGV: seen-id sets, view-bucket state
           hashes and per-generation bucket index sets

  ARGV, flat (counts say how many items follow; numbers travel as strings so Lua never rounds a
  double):
    1  expected marker value, or "" (no register cache to fence)
    2  g the caller aggregated for
    3  partition p
    4  first offset of the batch
    5  offset after the batch
    6  W, then W pairs (partition, offset): the caller's watermarks — each stored offset must be
       at least that (else the store went back in time: its register cache is wrong)
    then D dedup groups, each: addKey, expireAtMs, C, C checkKeys, N, N ids
    then S hashes, each: hashKey, indexKey, bucket,
                         U, U triples (field, op, value)   op "c" HINCRBY, "s" HINCRBYFLOAT,
                                                           "n" keep the minimum, "x" keep the maximum
                         R, R register fields, R ranks     HyperLogLog registers, kept by max

  Returns one of
    { "ok", marker }               applied; offsets[p] = next
    { "lost" }                     the marker is gone: recover before applying anything
    { "fence", marker }            the marker is not the expected one, or an offset is below a
                                   watermark: drop the register cache and send the batch in full
    { "gen", g }                   the generation moved on: aggregate again for g
    { "stale", storedOffset }      offsets[p] is not `first`: another consumer applied it; seek
    { "dup", id… }                 these ids were already counted: drop them and try again
  Nothing is written unless the answer is "ok".
]]
local marker = redis.call('GET', KEYS[1])
if not marker then
  return { 'lost' }
end
if ARGV[1] ~= '' and ARGV[1] ~= marker then
  return { 'fence', marker }
end

local a = 6
local watermarks = tonumber(ARGV[a])
a = a + 1
for _ = 1, watermarks do
  local stored = redis.call('HGET', KEYS[3], ARGV[a])
  if not stored or tonumber(stored) < tonumber(ARGV[a + 1]) then
    return { 'fence', marker }
  end
  a = a + 2
end

local gen = tonumber(redis.call('GET', KEYS[2]) or '0')
if gen ~= tonumber(ARGV[2]) then
  return { 'gen', tostring(gen) }
end

local partition = ARGV[3]
local stored = redis.call('HGET', KEYS[3], partition)
if stored and tonumber(stored) ~= tonumber(ARGV[4]) then
  return { 'stale', stored }
end

local CHUNK = 2000

-- Dedup groups: remember where each one's ids are.
local groups = {}
local dedupCount = tonumber(ARGV[a])
a = a + 1
for g = 1, dedupCount do
  local checks = tonumber(ARGV[a + 2])
  local group = { add = KEYS[tonumber(ARGV[a])], expireAt = ARGV[a + 1], checkFrom = a + 3, checks = checks }
  local n = tonumber(ARGV[a + 3 + checks])
  group.idFrom = a + 4 + checks
  group.idTo = group.idFrom + n - 1
  groups[g] = group
  a = group.idTo + 1
end

-- Any id already seen within the window (in its slice or a neighbour) is a duplicate.
local dups = {}
for _, group in ipairs(groups) do
  for c = 0, group.checks - 1 do
    local key = KEYS[tonumber(ARGV[group.checkFrom + c])]
    for start = group.idFrom, group.idTo, CHUNK do
      local stop = math.min(start + CHUNK - 1, group.idTo)
      local seen = redis.call('SMISMEMBER', key, unpack(ARGV, start, stop))
      for i, flag in ipairs(seen) do
        if flag == 1 then
          dups[#dups + 1] = ARGV[start + i - 1]
        end
      end
    end
  end
end
if #dups > 0 then
  table.insert(dups, 1, 'dup')
  return dups
end

for _, group in ipairs(groups) do
  if group.idTo >= group.idFrom then
    for start = group.idFrom, group.idTo, CHUNK do
      redis.call('SADD', group.add, unpack(ARGV, start, math.min(start + CHUNK - 1, group.idTo)))
    end
    redis.call('PEXPIREAT', group.add, group.expireAt)
  end
end

local hashCount = tonumber(ARGV[a])
a = a + 1
for _ = 1, hashCount do
  local hash = KEYS[tonumber(ARGV[a])]
  redis.call('SADD', KEYS[tonumber(ARGV[a + 1])], ARGV[a + 2])
  local updates = tonumber(ARGV[a + 3])
  a = a + 4
  for _ = 1, updates do
    local field, op, value = ARGV[a], ARGV[a + 1], ARGV[a + 2]
    a = a + 3
    if op == 'c' then
      redis.call('HINCRBY', hash, field, value)
    elseif op == 's' then
      redis.call('HINCRBYFLOAT', hash, field, value)
    else
      local current = redis.call('HGET', hash, field)
      if not current
        or (op == 'n' and tonumber(value) < tonumber(current))
        or (op == 'x' and tonumber(value) > tonumber(current)) then
        redis.call('HSET', hash, field, value)
      end
    end
  end

  local registers = tonumber(ARGV[a])
  local fields = a + 1
  local ranks = fields + registers
  for start = 0, registers - 1, CHUNK do
    local stop = math.min(start + CHUNK - 1, registers - 1)
    local current = redis.call('HMGET', hash, unpack(ARGV, fields + start, fields + stop))
    local raise = {}
    for k = start, stop do
      local now = current[k - start + 1]
      local rank = ARGV[ranks + k]
      if not now or tonumber(rank) > tonumber(now) then
        raise[#raise + 1] = ARGV[fields + k]
        raise[#raise + 1] = rank
      end
    end
    if #raise > 0 then
      redis.call('HSET', hash, unpack(raise))
    end
  end
  a = ranks + registers
end

redis.call('HSET', KEYS[3], partition, ARGV[5])
return { 'ok', marker }
