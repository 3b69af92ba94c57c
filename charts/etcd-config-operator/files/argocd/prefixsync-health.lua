-- Argo CD health check of etcdconfig.dev/PrefixSync (resource.customizations.health.etcdconfig.dev_PrefixSync).
-- Lua 5.1 (gopher-lua). Conditions: docs/conditions.md of etcd-config-operator.
local hs = {}

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function describe(c)
  local text = c.reason or c.status
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: the ConfigMap is left as it was"
  return hs
end

local status = obj.status
local generation = obj.metadata and obj.metadata.generation
if status == nil or status.observedGeneration == nil
    or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to act on the latest spec"
  return hs
end

local ready = condition(status.conditions, "Ready")
local rolledOut = condition(status.conditions, "RolledOut")
if ready ~= nil and ready.status == "False" then
  if ready.reason == "Suspended" then
    hs.status = "Suspended"
  else
    hs.status = "Degraded"
  end
  hs.message = describe(ready)
  return hs
end
if rolledOut ~= nil and rolledOut.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = describe(rolledOut)
  return hs
end
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  if ready ~= nil then
    hs.message = describe(ready)
  else
    hs.message = "waiting for the first sync"
  end
  return hs
end

hs.status = "Healthy"
if status.syncedRevision ~= nil then
  hs.message = "synced at etcd revision " .. status.syncedRevision
else
  hs.message = describe(ready)
end
return hs
