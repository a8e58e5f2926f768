-- wrk: GET the inclusion proof of a random event (ids from BENCH_IDS, one per line) as an auditor's API
-- token (BENCH_TOKEN); prints p95 latency (ms) and the failures at the end for bench/run.
local token = os.getenv("BENCH_TOKEN")

function init(args)
  ids = {}
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/audit/proof/inclusion?event=" .. id, {["Authorization"] = "Bearer " .. token})
end

done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.2f\n", latency:percentile(95) / 1000))
  io.write(string.format("ERRORS %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
