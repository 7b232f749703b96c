--[[
  Applies one pre-aggregated Kafka batch of one partition to the speed store, all or nothing.

  KEYS[1]  marker            string; its absence means Redis lost its data
  KEYS[2]  generation        string; the current generation g
  KEYS[3]  offsets           hash partition -> next offset to apply
  KEYS[4…] referenced by index (1-based into KEYS) from the payload: seen-id sets, view-bucket
           state hashes and per-generation bucket index sets

  ARGV[1]  JSON payload:
    { "gen": g the caller aggregated for,
      "partition": "p", "first": first offset of the batch, "next": offset after the batch,
      "dedup": [ [addKey, [checkKey…], [id…], expireAtMs] … ],  -- ids, grouped by time slice
      "states": [ [hashKey, indexKey, bucket, [field, op, value] …] … ] }
    op: "c" HINCRBY, "s" HINCRBYFLOAT, "n" keep the minimum, "x" keep the maximum.
    Numbers travel as strings so Lua never rounds a double.

  Returns one of
    { "ok" }                       applied; offsets[p] = next
    { "lost" }                     the marker is gone: recover before applying anything
    { "gen", g }                   the generation moved on: aggregate again for g
    { "stale", storedOffset }      offsets[p] is not `first`: another consumer applied it; seek
    { "dup", id… }                 these ids were already counted: drop them and try again
  Nothing is written unless the answer is "ok".
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'lost' }
end

local payload = cjson.decode(ARGV[1])
local gen = tonumber(redis.call('GET', KEYS[2]) or '0')
if gen ~= payload.gen then
  return { 'gen', tostring(gen) }
end

local stored = redis.call('HGET', KEYS[3], payload.partition)
if stored and tonumber(stored) ~= payload.first then
  return { 'stale', stored }
end

-- Any id already seen within the window (in this slice or a neighbour) is a duplicate.
local dups = {}
for _, group in ipairs(payload.dedup) do
  local ids = group[3]
  for _, checkIndex in ipairs(group[2]) do
    local key = KEYS[checkIndex]
    for start = 1, #ids, 4000 do
      local chunk = { unpack(ids, start, math.min(start + 3999, #ids)) }
      local seen = redis.call('SMISMEMBER', key, unpack(chunk))
      for i, flag in ipairs(seen) do
        if flag == 1 then
          dups[#dups + 1] = chunk[i]
        end
      end
    end
  end
end
if #dups > 0 then
  table.insert(dups, 1, 'dup')
  return dups
end

for _, group in ipairs(payload.dedup) do
  local key = KEYS[group[1]]
  local ids = group[3]
  for start = 1, #ids, 4000 do
    redis.call('SADD', key, unpack(ids, start, math.min(start + 3999, #ids)))
  end
  redis.call('PEXPIREAT', key, group[4])
end

for _, bucketStates in ipairs(payload.states) do
  local hash = KEYS[bucketStates[1]]
  redis.call('SADD', KEYS[bucketStates[2]], bucketStates[3])
  for i = 4, #bucketStates do
    local update = bucketStates[i]
    local field, op, value = update[1], update[2], update[3]
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
end

redis.call('HSET', KEYS[3], payload.partition, payload.next)
return { 'ok' }
