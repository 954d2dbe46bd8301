-- wrk script: cycle through prepared requests (one customer each), one line per request:
-- path <TAB> bearer token (may be empty) <TAB> JSON body. Usage: wrk ... -s rotate.lua -- FILE
local counter = 0
local requests = {}
local next_index = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. token
    end
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
  -- Threads start at different places of the same rotation.
  next_index = ((thread_id or 1) - 1) * 7919 % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
