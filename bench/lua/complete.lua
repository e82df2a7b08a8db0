-- Scenario "complete": see common.lua for the data set and the reported lines.
local c = require("common")
c.install(c.complete_request)
