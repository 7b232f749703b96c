--[[
  What a serving-API query reads first, in one atomic call (read only).

  KEYS[1] pointer   JSON of the published batch version
  KEYS[2] marker    present while Redis holds the speed store
  KEYS[3] generation
  KEYS[4] offsets   hash partition -> next offset (written by apply-batch with the states)

  Returns { pointer or nil, marker or nil, generation or nil, { partition, offset, … } }.
]]
return {
  redis.call('GET', KEYS[1]),
  redis.call('GET', KEYS[2]),
  redis.call('GET', KEYS[3]),
  redis.call('HGETALL', KEYS[4]),
}
