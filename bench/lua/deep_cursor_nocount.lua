-- Scenario "deep_cursor_nocount": see deep.lua and bench/deep.py.
require("deep").install("deep_cursor_nocount")
