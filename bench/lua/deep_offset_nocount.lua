-- Scenario "deep_offset_nocount": see deep.lua and bench/deep.py.
require("deep").install("deep_offset_nocount")
