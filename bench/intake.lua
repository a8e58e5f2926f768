-- wrk: file requests through the API, each with its own email address and from its own client address
-- (bench/run trusts loopback as the proxy, so X-Forwarded-For names the client): the intake limits
-- count every request, as they would for a public form filed by many people, and none is refused.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"name":"Bench Requester","email":"b%d_%d@example.invalid","request_type":"access",' ..
    '"jurisdiction":"eea","message":"Benchmark request.","language":"en"}', tid, counter)
  local client = string.format("10.%d.%d.%d", tid % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("POST", "/api/v1/requests",
    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = client}, body)
end
