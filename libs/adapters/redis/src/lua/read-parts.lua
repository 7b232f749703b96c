--[[
  Reads view-bucket state hashes only when they changed since the caller last read them (read only).

  KEYS[i]  a view-bucket state hash
  ARGV[i]  the digest the caller holds for KEYS[i], or "" when it holds none

  The digest is the SHA-1 of the hash's DUMP (its serialized content): an unchanged hash has the
  digest the caller holds, and a changed hash cannot (content differs, so its DUMP does). A digest
  may also change without a change of content (DUMP's layout can move when Redis rehashes): that
  only costs a re-read.

  Returns, per key, { "" } when the key is gone, { digest } when the caller's digest is current,
  or { digest, { field, value, … } } (HGETALL) otherwise. One call, so every hash is read at the
  same instant.
]]
local out = {}
for i, key in ipairs(KEYS) do
  local dump = redis.call('DUMP', key)
  if not dump then
    out[i] = { '' }
  else
    local digest = redis.sha1hex(dump)
    if digest == ARGV[i] then
      out[i] = { digest }
    else
      out[i] = { digest, redis.call('HGETALL', key) }
    end
  end
end
return out
