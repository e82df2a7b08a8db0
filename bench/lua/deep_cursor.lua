-- Scenario "deep_cursor": see deep.lua and bench/deep.py.
require("deep").install("deep_cursor")
