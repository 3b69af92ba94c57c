-- A stand-in health script for the Lua harness's own test: echoes what it read from `obj`.
local s = obj.spec
return {
  status = "Healthy",
  message = s.text .. "|" .. #s.list .. "|" .. s.list[3] .. "|" .. s.n .. "|" .. tostring(s.flag) .. "|" .. tostring(s.gone),
}
