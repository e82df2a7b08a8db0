-- Scenario "list": see common.lua for the data set and the reported lines.
local c = require("common")
c.install(c.list_request)
