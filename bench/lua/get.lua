-- Scenario "get": see common.lua for the data set and the reported lines.
local c = require("common")
c.install(c.get_request)
