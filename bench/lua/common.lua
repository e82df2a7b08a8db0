-- Shared by every scenario script: random rows of the seeded data set, status accounting and
-- the machine-readable summary that bench/wrk.py parses.
--
-- Seeded rows (see bench/database.py): row k (0-based) belongs to owner k % OWNERS, named
-- "u%05d", and has id k + 1; so task j of owner o has id j * OWNERS + o + 1.
-- Script arguments (after `--` on wrk's command line): OWNERS TASKS_PER_OWNER.
local M = {}

local threads = {}
local OWNERS = 1000
local PER_OWNER = 100

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function M.init(args)
  OWNERS = tonumber(args[1]) or OWNERS
  PER_OWNER = tonumber(args[2]) or PER_OWNER
  statuses = {}
  responses = 0
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + 7919 * (thread_id or 0))
end

function M.owner_index()
  return math.random(0, OWNERS - 1)
end

function M.owner_name(o)
  return string.format("u%05d", o)
end

-- A random owner and the id of one of that owner's seeded tasks.
function M.random_task()
  local o = M.owner_index()
  local j = math.random(0, PER_OWNER - 1)
  return M.owner_name(o), j * OWNERS + o + 1
end

M.json_headers = { ["Content-Type"] = "application/json" }

local counter = 0
function M.task_body()
  counter = counter + 1
  local completed = (counter % 2 == 0) and "true" or "false"
  return string.format(
    '{"title": "bench task %d", "description": "written by wrk", "completed": %s}',
    counter, completed)
end

function M.list_request()
  return wrk.format("GET", "/api/" .. M.owner_name(M.owner_index()) .. "/tasks")
end

function M.get_request()
  local owner, id = M.random_task()
  return wrk.format("GET", "/api/" .. owner .. "/tasks/" .. id)
end

function M.create_request()
  return wrk.format("POST", "/api/" .. M.owner_name(M.owner_index()) .. "/tasks",
                    M.json_headers, M.task_body())
end

function M.update_request()
  local owner, id = M.random_task()
  return wrk.format("PUT", "/api/" .. owner .. "/tasks/" .. id, M.json_headers, M.task_body())
end

function M.complete_request()
  local owner, id = M.random_task()
  return wrk.format("PATCH", "/api/" .. owner .. "/tasks/" .. id .. "/complete")
end

function M.response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
end

-- One line per fact, prefixed "BENCH", after wrk's own report.
function M.done(summary, latency, requests)
  local merged = {}
  local counted = 0
  for _, thread in ipairs(threads) do
    counted = counted + (thread:get("responses") or 0)
    local per_thread = thread:get("statuses") or {}
    for status, n in pairs(per_thread) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format("%d:%d", status, n))
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format("BENCH statuses %s\n", table.concat(parts, ",")))
  io.write(string.format("BENCH responses %d\n", counted))
  io.write(string.format("BENCH requests %d duration_us %d\n", summary.requests, summary.duration))
  io.write(string.format("BENCH socket_errors connect %d read %d write %d timeout %d\n",
                         e.connect, e.read, e.write, e.timeout))
  io.write(string.format("BENCH latency_us p50 %d p90 %d p99 %d max %d\n",
                         latency:percentile(50), latency:percentile(90),
                         latency:percentile(99), latency.max))
end

-- Install the shared callbacks as the globals wrk looks for.
function M.install(request_fn)
  setup = M.setup
  init = M.init
  response = M.response
  done = M.done
  request = request_fn
end

return M
