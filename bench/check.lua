-- wrk script: count answers that are not 2xx or lack the page's marker text,
-- and print one JSON line with the summary when the run ends.
-- Environment: WRK_MARKERS (texts every good body contains, one per line),
-- WRK_HEADERS (extra request headers, "Name: value", one per line).

local markers = {}
for line in string.gmatch(os.getenv("WRK_MARKERS") or "", "[^\n]+") do
  table.insert(markers, line)
end
local extra = os.getenv("WRK_HEADERS") or ""
for line in string.gmatch(extra, "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  missing = 0
  sample_status = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    sample_status = status
  else
    for _, marker in ipairs(markers) do
      if not string.find(body, marker, 1, true) then
        missing = missing + 1
        break
      end
    end
  end
end

function done(summary, latency, requests)
  local bad, absent, status = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    absent = absent + thread:get("missing")
    local s = thread:get("sample_status")
    if s ~= 0 then status = s end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"non2xx": %d, "marker_missing": %d, "sample_bad_status": %d, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, bad, absent, status,
    e.connect + e.read + e.write, e.timeout))
end
