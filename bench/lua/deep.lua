-- The deep-page scenarios (bench/deep.py): one fixed page of the owner with many rows, by
-- offset or by cursor. bench/deep.py finds the page's path (a cursor only a walk through the
-- pages can give) and passes it in the environment as BENCH_PATH_<scenario>.
local c = require("common")
local M = {}

function M.install(scenario)
  local path = os.getenv("BENCH_PATH_" .. scenario)
  if not path then
    error("BENCH_PATH_" .. scenario .. " is not set: run the scenario through `make bench`")
  end
  c.install(function()
    return wrk.format("GET", path)
  end)
end

return M
