-- Scenario "update": see common.lua for the data set and the reported lines.
local c = require("common")
c.install(c.update_request)
