--[[
  (Re)initializes an empty or lost speed store, once: only when the marker is absent.

  KEYS[1]  marker        string
  KEYS[2]  generation    string
  KEYS[3]  offsets       hash partition -> next offset to apply
  KEYS[4]  pointer       JSON of the published batch version (may be absent)

  ARGV[1]  marker value (who initialized, when)
  ARGV[2]  generation to start at (the published batch generation + 1, or 1)
  ARGV[3]  JSON {partition: offset} to resume from (the published cut, or {})
  ARGV[4]  pointer JSON to restore, or ""

  Returns "initialized", or "present" when the marker was already there (nothing written).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'present'
end
redis.call('DEL', KEYS[3])
for partition, offset in pairs(cjson.decode(ARGV[3])) do
  redis.call('HSET', KEYS[3], partition, tostring(offset))
end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[4], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1])
return 'initialized'
