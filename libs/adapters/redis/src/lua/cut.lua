--[[
  The cut that starts a batch run: records every partition's next offset as the boundary of the
  current generation g, and moves the speed layer to generation g + 1, atomically.

  KEYS[1]  marker        string; its absence means Redis lost its data
  KEYS[2]  generation    string; the current generation g
  KEYS[3]  offsets       hash partition -> next offset to apply
  KEYS[4]  cuts          hash generation -> JSON {partition: offset}

  Returns { "ok", g, cutJson }: events below the cut offsets are in generations <= g, the rest in
  generations > g. Or { "lost" } when the marker is gone.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'lost' }
end
local gen = redis.call('GET', KEYS[2]) or '0'
local flat = redis.call('HGETALL', KEYS[3])
local cut = {}
for i = 1, #flat, 2 do
  cut[flat[i]] = flat[i + 1]
end
-- An empty Lua table would encode as [] instead of {}.
local json = (#flat == 0) and '{}' or cjson.encode(cut)
redis.call('HSET', KEYS[4], gen, json)
redis.call('INCR', KEYS[2])
return { 'ok', gen, json }
