-- wrk: GET one queue page with a bearer token; prints p95 latency (ms) at the end for bench/run.
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")

request = function()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.2f\n", latency:percentile(95) / 1000))
  io.write(string.format("ERRORS %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
