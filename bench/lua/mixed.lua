-- Scenario "mixed": 80% reads (40% list, 40% get) and 20% writes (5% create, 10% update, 5%
-- complete), chosen at random per request. See common.lua for the data set.
local c = require("common")
c.install(function()
  local r = math.random(1, 100)
  if r <= 40 then
    return c.list_request()
  elseif r <= 80 then
    return c.get_request()
  elseif r <= 85 then
    return c.create_request()
  elseif r <= 95 then
    return c.update_request()
  else
    return c.complete_request()
  end
end)
