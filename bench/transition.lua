-- wrk: each request fires one officer event on a different request, from a file of "id event" lines
-- (BENCH_IDS; every synthetic request is at version 1), as an officer's API token (BENCH_TOKEN). The
-- lines are dealt out between wrk's threads; prints p99 latency (ms) and the failures at the end.
local token = os.getenv("BENCH_TOKEN")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  jobs = {}
  next_job = 1
  local n = 0
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if n % threads == tid then
      local id, event = line:match("^(%S+)%s+(%S+)$")
      jobs[#jobs + 1] = {id = id, event = event}
    end
    n = n + 1
  end
end

request = function()
  local job = jobs[next_job]
  next_job = next_job + 1
  if job == nil then
    -- Out of requests to move: a request that fails, so the run is rejected rather than mismeasured.
    return wrk.format("GET", "/api/v1/out-of-requests")
  end
  return wrk.format("POST", "/api/v1/requests/" .. job.id .. "/events",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"},
    '{"event":"' .. job.event .. '","expected_version":1,"data":{}}')
end

done = function(summary, latency, requests)
  io.write(string.format("P99_MS %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("ERRORS %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
