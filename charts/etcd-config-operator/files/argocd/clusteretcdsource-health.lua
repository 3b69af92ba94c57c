-- Argo CD health check of etcdconfig.dev/ClusterEtcdSource
-- (resource.customizations.health.etcdconfig.dev_ClusterEtcdSource). Lua 5.1 (gopher-lua).
-- Conditions: docs/conditions.md of etcd-config-operator.
local hs = {}

local status = obj.status
local generation = obj.metadata and obj.metadata.generation
if status == nil or status.observedGeneration == nil
    or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to act on the latest spec"
  return hs
end

local ready = nil
for _, c in ipairs(status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  end
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the first connection to etcd"
  return hs
end

local text = ready.reason or ready.status
if ready.message ~= nil and ready.message ~= "" then
  text = text .. ": " .. ready.message
end
if ready.status == "True" then
  hs.status = "Healthy"
  if status.memberCount ~= nil and status.revision ~= nil then
    text = "connected to " .. status.memberCount .. " etcd members at revision " .. status.revision
  end
elseif ready.status == "False" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = text
return hs
