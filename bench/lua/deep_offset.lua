-- Scenario "deep_offset": see deep.lua and bench/deep.py.
require("deep").install("deep_offset")
