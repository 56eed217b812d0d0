-- wrk script for the community mix: every request is a random logged-in
-- reader and a random target; 5-10% of requests are writes. Each answer is
-- checked for its kind and counted; one JSON line sums up when the run ends.
--
-- WRK_MIX_DATA names a Lua file (written by bench/mix.py) returning:
--   readers   { {cookie=, token=, csrf=, xff=}, ... }  (csrf already urlencoded)
--   users     demo users in the database: profiles are /user/demo1..demoN
--   max_post  the newest post id when the run starts (for ?before=)
--   reads     { {kind, weight}, ... }  the read targets and their weights
--   write_share  fraction of requests that are writes (half API, half form)
--   host, referer, seed, run (a nonce that keeps post bodies unique)
--
-- The kind of each request travels in its X-Request-ID, which Wren echoes,
-- so each answer is judged by what was asked: a form post must answer 302
-- to "/", an API post 201 with the post, /api/feed 200 with "items", a page
-- 200 with a whole HTML document for a logged-in reader (a log-out form, no
-- login form); the home feed shows the post form, page one of /explore at
-- least one post. Other pages may be empty (counted, not failed).

local data = dofile(os.getenv("WRK_MIX_DATA"))
local readers = data.readers
local n_readers = #readers

local KINDS = {
  "feed", "explore", "profile", "feed_deep", "explore_deep", "profile_deep",
  "api_feed", "api_post", "form_post",
}
local HTML = {
  feed = true, explore = true, profile = true,
  feed_deep = true, explore_deep = true, profile_deep = true,
}
local POST_CARD = '<article class="post card'
local LOGIN_FORM = 'name="password"'
local LOGGED_IN = '/auth/logout'  -- the navbar's log-out form
local POST_FORM = 'class="post-form'

local total_weight = 0
for _, r in ipairs(data.reads) do total_weight = total_weight + r[2] end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Counters are plain numeric globals ("sent_feed", "bad_api_post", ...):
-- wrk 4.1 crashes copying tables out of a thread whose script defines
-- request(), so done() reads numbers and strings only.
local COUNTERS = {"sent", "ok", "bad", "empty"}
local NAME = {}
for _, c in ipairs(COUNTERS) do
  NAME[c] = {}
  for _, k in ipairs(KINDS) do NAME[c][k] = c .. "_" .. k end
end

local function count(counter, kind)
  local name = NAME[counter][kind]
  _G[name] = _G[name] + 1
end

function init(args)
  math.randomseed(data.seed * 1000 + tid * 7919)
  for _ = 1, 10 do math.random() end
  seq = 0
  for _, c in ipairs(COUNTERS) do
    for _, k in ipairs(KINDS) do _G[NAME[c][k]] = 0 end
  end
  bad_unknown = 0
  sample = ""
end

local function pick_read()
  local x = math.random() * total_weight
  for _, r in ipairs(data.reads) do
    x = x - r[2]
    if x < 0 then return r[1] end
  end
  return data.reads[#data.reads][1]
end

local function headers_for(reader, kind)
  return {
    ["Host"] = data.host,
    ["User-Agent"] = "wren-bench",
    ["X-Forwarded-Proto"] = "https",
    ["X-Forwarded-For"] = reader.xff,
    ["X-Request-ID"] = kind .. "." .. tid .. "." .. seq,
  }
end

function request()
  seq = seq + 1
  local reader = readers[math.random(n_readers)]
  local kind
  if math.random() < data.write_share then
    kind = (math.random() < 0.5) and "api_post" or "form_post"
  else
    kind = pick_read()
  end
  count("sent", kind)
  local h = headers_for(reader, kind)

  if kind == "api_post" or kind == "form_post" then
    local text = "bench post " .. data.run .. "-" .. tid .. "-" .. seq .. " #bench"
    if kind == "api_post" then
      h["Authorization"] = "Bearer " .. reader.token
      h["Content-Type"] = "application/json"
      return wrk.format("POST", "/api/posts", h, '{"body": "' .. text .. '"}')
    end
    h["Cookie"] = reader.cookie
    h["Content-Type"] = "application/x-www-form-urlencoded"
    h["Referer"] = data.referer
    local form = "csrf_token=" .. reader.csrf .. "&body="
      .. string.gsub(string.gsub(text, " ", "+"), "#", "%%23")
    return wrk.format("POST", "/", h, form)
  end

  if kind == "api_feed" then
    h["Authorization"] = "Bearer " .. reader.token
    return wrk.format("GET", "/api/feed", h)
  end

  h["Cookie"] = reader.cookie
  local path
  if kind == "feed" then
    path = "/"
  elseif kind == "explore" then
    path = "/explore"
  elseif kind == "profile" then
    path = "/user/demo" .. math.random(data.users)
  else
    local before = "?before=" .. math.random(data.max_post)
    if kind == "feed_deep" then
      path = "/" .. before
    elseif kind == "explore_deep" then
      path = "/explore" .. before
    else
      path = "/user/demo" .. math.random(data.users) .. before
    end
  end
  return wrk.format("GET", path, h)
end

local function header(headers, name)
  local value = headers[name]
  if value then return value end
  local lower = string.lower(name)
  for k, v in pairs(headers) do
    if string.lower(k) == lower then return v end
  end
  return nil
end

local function judge(kind, status, headers, body)
  if kind == "form_post" then
    local location = header(headers, "Location") or ""
    return status == 302 and (location == "/" or string.match(location, "^https?://[^/]+/$") ~= nil)
  elseif kind == "api_post" then
    return status == 201 and string.find(body, '"id":', 1, true) ~= nil
  elseif kind == "api_feed" then
    return status == 200 and string.find(body, '"items":', 1, true) ~= nil
  elseif HTML[kind] then
    if status ~= 200 or not string.find(body, "</html>", 1, true)
        or string.find(body, LOGIN_FORM, 1, true)
        or not string.find(body, LOGGED_IN, 1, true) then
      return false
    end
    if kind == "feed" and not string.find(body, POST_FORM, 1, true) then
      return false
    end
    if not string.find(body, POST_CARD, 1, true) then
      -- A deep page, a new user's profile or a quiet feed may be empty;
      -- page one of /explore never is.
      if kind == "explore" then return false end
      count("empty", kind)
    end
    return true
  end
  return false
end

function response(status, headers, body)
  local rid = header(headers, "X-Request-ID") or ""
  local kind = string.match(rid, "^([a-z_]+)%.")
  if kind == nil or NAME.sent[kind] == nil then
    bad_unknown = bad_unknown + 1
    if sample == "" then sample = "unknown:" .. status end
    return
  end
  if judge(kind, status, headers, body) then
    count("ok", kind)
  else
    count("bad", kind)
    if sample == "" then
      sample = kind .. ":" .. status .. ":" .. (header(headers, "Location") or "")
    end
  end
end

local function json_counts(counter)
  local parts = {}
  for _, k in ipairs(KINDS) do
    local n = 0
    for _, thread in ipairs(threads) do
      n = n + thread:get(NAME[counter][k])
    end
    table.insert(parts, string.format('"%s": %d', k, n))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local unknown, samples = 0, {}
  for _, thread in ipairs(threads) do
    unknown = unknown + thread:get("bad_unknown")
    local s = thread:get("sample")
    if s ~= "" then table.insert(samples, '"' .. string.gsub(s, '["\\]', "") .. '"') end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "status_errors": %d, ' ..
    '"sent": %s, "ok": %s, "bad": %s, "empty": %s, "unknown": %d, ' ..
    '"samples": [%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write, e.timeout, e.status,
    json_counts("sent"), json_counts("ok"), json_counts("bad"),
    json_counts("empty"), unknown, table.concat(samples, ", ")))
end
