-- wrk: the answers counted by status, printed after wrk's own summary as lines
-- "status 200: 1234"; a 503 without a Retry-After header is counted apart, as
-- "status 503 without Retry-After" (the API's every 503 says when to retry).
-- Each wrk thread runs its own Lua state: done() adds up their tallies.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  local key = tostring(status)
  if status == 503 and headers["retry-after"] == nil and headers["Retry-After"] == nil then
    key = "503 without Retry-After"
  end
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      total[key] = (total[key] or 0) + count
    end
  end
  for key, count in pairs(total) do
    io.write(string.format("status %s: %d\n", key, count))
  end
end
