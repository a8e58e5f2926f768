-- wrk: file requests through the API, each with its own email address (the per-email limit stays out
-- of the way; the per-address limit is raised for the run).
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
  return wrk.format("POST", "/api/v1/requests", {["Content-Type"] = "application/json"}, body)
end
